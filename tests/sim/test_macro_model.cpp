// Power macro-models: the features counted on a running kernel against a
// reference computed here from the operands, the fit checked against timed
// gate level, the cache (a corrupt file is refitted, with one line), and a
// network's lanes priced at macro level against gate level.
#include <doctest/doctest.h>

#include <bit>
#include <fstream>

#include "network_fixtures.hpp"
#include "neuroppa/kernels/catalogue.hpp"
#include "neuroppa/kernels/package.hpp"
#include "neuroppa/models/dataset.hpp"
#include "neuroppa/models/operands.hpp"
#include "neuroppa/sim/datapath.hpp"
#include "neuroppa/sim/kernel_harness.hpp"
#include "neuroppa/sim/kernel_models.hpp"
#include "neuroppa/sim/macro_model.hpp"
#include "support.hpp"

using namespace neuroppa;
using models::KernelParams;

namespace {

unsigned ones(std::uint64_t v) { return unsigned(std::popcount(v)); }

// The feature sums the documentation defines, from the beats and the outputs
// (names() order).
std::vector<double> reference_features(const KernelParams& p, const std::vector<models::Beat>& beats,
                                       const std::vector<models::KernelOutputs>& outputs) {
  std::vector<double> f(sim::MacroFeatures::names().size(), 0.0);
  const auto mask = [](std::int64_t v, unsigned bits) {
    return bits >= 64 ? std::uint64_t(v) : std::uint64_t(v) & ((std::uint64_t{1} << bits) - 1);
  };
  const models::Backend backend = models::backend_of(p.kind);
  const bool membrane = backend == models::Backend::membrane, sd = backend == models::Backend::sigma_delta;
  const unsigned xb = p.activation_bits(), wb = p.code_bits();
  models::Beat before;
  before.x.assign(p.K, 0);
  before.w.assign(p.K, 0);
  models::KernelOutputs out_before2;
  std::vector<std::int64_t> terms_before(p.K, 0);
  std::int64_t acc = 0;
  for (std::size_t c = 0; c < beats.size(); ++c) {
    const models::Beat& b = beats[c];
    f[0] += 1;
    f[1] += b.first;
    f[2] += b.last;
    f[3] += (b.valid != before.valid) + (b.first != before.first) + (b.last != before.last);
    f[4] += ones(mask(b.bias, p.AW) ^ mask(before.bias, p.AW)) +
            (membrane ? 0 : ones(std::uint64_t(b.shift ^ before.shift))) +
            (backend == models::Backend::output_stage ? 0 : ones(mask(b.vth, p.AW) ^ mask(before.vth, p.AW)));
    if (membrane) f[5] += ones(mask(b.v, p.AW) ^ mask(before.v, p.AW));
    if (sd)
      f[5] += ones(mask(b.sigma, p.AW) ^ mask(before.sigma, p.AW)) + ones(mask(b.act, p.AW) ^ mask(before.act, p.AW)) +
              ones(mask(b.residue, p.AW) ^ mask(before.residue, p.AW));
    if (c >= 1) {  // registered outputs: the edge before this cycle's against the one before it
      const models::KernelOutputs& o1 = outputs[c - 1];
      f[6] += ones(o1.y ^ out_before2.y) + (o1.valid != out_before2.valid);
      if (membrane) f[7] += ones(mask(o1.v, p.AW) ^ mask(out_before2.v, p.AW));
      if (sd)
        f[7] += ones(mask(o1.sigma, p.AW) ^ mask(out_before2.sigma, p.AW)) +
                ones(mask(o1.act, p.AW) ^ mask(out_before2.act, p.AW)) +
                ones(mask(o1.residue, p.AW) ^ mask(out_before2.residue, p.AW));
      out_before2 = o1;
    }
    unsigned changed = 0;
    for (unsigned k = 0; k < p.K; ++k) {
      const unsigned dx = ones(b.x[k] ^ before.x[k]), dw = ones(b.w[k] ^ before.w[k]);
      changed += (dx | dw) != 0;
      f[10] += dx * ones(b.w[k]);
      f[11] += dw * ones(b.x[k]);
      f[12] += ones(b.x[k]);
      f[13] += ones(b.w[k]);
      f[14] += dx;
      f[15] += dw;
      f[16] += ((b.x[k] ^ before.x[k]) >> (xb - 1)) & 1;
      f[17] += ((b.w[k] ^ before.w[k]) >> (wb - 1)) & 1;
    }
    std::int64_t sum = 0;
    for (unsigned k = 0; k < p.K; ++k) {
      const std::int64_t term = models::synapse_term(p, b.x[k], b.w[k]);
      f[18] += ones(mask(term ^ terms_before[k], p.AW));
      terms_before[k] = term;
      sum += term;
    }
    const std::int64_t next = std::int64_t(mask(b.first ? sum : acc + sum, p.AW));
    f[19] += ones(std::uint64_t(next ^ acc));
    acc = next;
    f[8] += changed;
    f[9] += double(changed) * changed;
    before = b;
  }
  return f;
}

std::vector<models::Beat> operand_beats(const KernelParams& p, std::size_t count, std::uint64_t seed) {
  models::OperandSpec spec;
  spec.beats_per_output = 5;
  models::OperandStream stream(p, spec, seed);
  std::vector<models::Beat> beats;
  for (std::size_t i = 0; i < count; ++i) beats.push_back(stream.next());
  return beats;
}

}  // namespace

TEST_CASE("macro features: every path counts what the documentation defines") {
  vmodel::ModelCache cache(test::model_cache_dir());
  // 8/8-bit operands (K under, at and over 16: one block, a full one, a
  // partial second), 1-bit spikes (one block, three), 4-bit graded spikes,
  // shift's narrow codes (terms looked up, not multiplied), ternary codes on
  // 1-bit activations (a package: spikes whose terms are looked up), and 9-bit
  // threshold codes (16-bit lanes, or field by field: the generic path); terms
  // in 16 bits (AW >= 16) and wider (AW 12, 14: the generic loop). Each
  // through the vector pass (where the processor has SSSE3) and the portable one.
  kernels::register_packages(kernels::assemble_catalogue({test::source_dir() / "examples" / "kernels"}),
                             test::model_cache_dir());
  struct Case {
    const char* kind;
    unsigned K, AW, XW = 0;  // 0: the kind's default
  };
  for (const auto& [kind, K, AW, xw] :
       {Case{"mac", 5, 32}, {"mac", 16, 32}, {"mac", 21, 32}, {"spike", 19, 32}, {"spike", 40, 32}, {"spike", 6, 12},
        {"sigma-delta", 3, 32}, {"sigma-delta", 17, 32}, {"shift", 21, 32}, {"ternary", 19, 32, 1}, {"mac", 4, 20},
        {"threshold", 7, 32}, {"threshold", 21, 32}, {"threshold", 9, 14}})
   for (const bool vector_path : {true, false}) {
    CAPTURE(kind);
    CAPTURE(K);
    CAPTURE(AW);
    CAPTURE(vector_path);
    const models::KernelKind k = models::kind_named(kind);
    const unsigned XW = xw ? xw : models::default_xw(k);
    const KernelParams p{k, K, XW, models::default_ww(k, XW), AW, models::default_arch(k)};
    sim::KernelHarness harness(cache.load(sim::kernel_rtl_spec(p)), p);
    sim::KernelPorts ports(harness.instance(), k);
    sim::MacroFeatures features(ports, p, vector_path);
    features.use_banks(2);
    const auto beats = operand_beats(p, 300, 7);
    std::vector<models::KernelOutputs> outputs;
    for (std::size_t i = 0; i < beats.size(); ++i) {
      features.select_bank(i < 100 ? 0 : 1);
      outputs.push_back(harness.step(beats[i]));
      features.sample();
    }
    const std::vector<double> expected = reference_features(p, beats, outputs);
    const std::vector<double> a = features.sums(0), b = features.sums(1);
    REQUIRE(a.size() == expected.size());
    for (std::size_t f = 0; f < expected.size(); ++f) {
      CAPTURE(sim::MacroFeatures::names()[f]);
      CHECK(a[f] + b[f] == expected[f]);  // counts: exact
    }
    CHECK(a[0] == 100);
    CHECK(b[0] == 200);
    CHECK(expected[8] > 0);   // synapses changed
    CHECK(expected[10] > 0);  // the interaction terms saw data
  }
}

TEST_CASE("macro model: fitted on timed gate level, checked, cached, and refitted when the cache is corrupt" *
          doctest::timeout(600)) {
  const tech::Library library = tech::read_liberty(tech::resolve_library("osu018"));
  const models::KernelKind mac = models::kind_named("mac");
  const KernelParams p{mac, 4, 8, 8, 32, models::default_arch(mac)};
  sim::MacroStimulus stimulus;  // no network: random operands, checked on another seed
  stimulus.random_cycles = 3000;
  stimulus.validation_cycles = 1500;
  std::vector<std::string> notices;
  const auto notice = [&](std::string_view line) { notices.emplace_back(line); };
  const auto first = sim::macro_model(p, library, stimulus, test::model_cache_dir(), {}, notice);
  CHECK(first->kernel == p.describe());
  CHECK(first->validation.fit_cycles == 3000);
  CHECK(first->validation.validation_cycles == 1500);
  CHECK(first->validation.cycle_checked == 600);
  CHECK(std::abs(first->validation.total_error) < 0.03);
  CHECK(first->validation.cycle_error < 0.25);
  CHECK(first->validation.energy_per_cycle > 1e-13);
  CHECK(first->leakage_sequential.leakage + first->leakage_combinational.leakage > 0);
  double shares = 0;
  for (double s : first->validation.feature_share) shares += s;
  CHECK(shares == doctest::Approx(1).epsilon(1e-6));
  CHECK(notices.empty());

  // Cached: the same model, read back.
  const auto again = sim::macro_model(p, library, stimulus, test::model_cache_dir(), {}, notice);
  CHECK(again->key == first->key);
  CHECK(again->coefficients == first->coefficients);
  CHECK(notices.empty());

  // A corrupt file: refitted, one line naming it.
  const auto file = test::model_cache_dir() / "macro" / first->key / "macro-model.json";
  REQUIRE(std::filesystem::exists(file));
  std::ofstream(file, std::ios::trunc) << "{\"version\": 1, \"key\": ";
  const auto refit = sim::macro_model(p, library, stimulus, test::model_cache_dir(), {}, notice);
  REQUIRE(notices.size() == 1);
  CHECK(notices[0].find(file.string()) != std::string::npos);
  CHECK(notices[0].find("refitting") != std::string::npos);
  CHECK(refit->coefficients == first->coefficients);  // the fit is deterministic
  // Another version's file: refitted the same way.
  std::ofstream(file, std::ios::trunc) << R"({"version": 999})";
  sim::macro_model(p, library, stimulus, test::model_cache_dir(), {}, notice);
  CHECK(notices.size() == 2);
}

TEST_CASE("macro level: a network's lanes priced by its macro-model, against timed gate level" *
          doctest::timeout(900)) {
  const tech::Library library = tech::read_liberty(tech::resolve_library("osu018"));
  const models::Network net = test::random_network(models::kind_named("mac"), "d24,d10", 3);
  const models::LabelledImages train = models::load_fashion_mnist(true);
  const models::LabelledImages test_images = models::load_fashion_mnist(false);
  sim::DatapathConfig config;
  config.lanes = 4;
  config.K = 8;
  config.library = &library;
  sim::MacroStimulus stimulus;
  stimulus.networks = {net};
  stimulus.images = &train.images;
  stimulus.fit_cycles = 6000;
  stimulus.random_cycles = 1000;
  stimulus.validation_cycles = 2000;
  stimulus.lanes = 4;
  config.level = sim::Level::macro;
  config.macro_model = [&](const KernelParams& p) {
    return sim::macro_model(p, library, stimulus, test::model_cache_dir());
  };
  sim::Datapath macro(net, config, test::model_cache_dir());
  config.level = sim::Level::gate;
  config.activity = tech::ActivityMode{true, 1};
  sim::Datapath gate(net, config, test::model_cache_dir());
  for (std::size_t i = 0; i < 20; ++i) {
    const models::Inference a = macro.run(test_images.images.image(i)), b = gate.run(test_images.images.image(i));
    REQUIRE(a == b);
  }
  const sim::EnergyReport m = macro.energy(50e6, {}), g = gate.energy(50e6, {});
  REQUIRE(m.macro_models.size() == 1);
  CHECK(g.macro_models.empty());
  CAPTURE(m.macro_models[0]->describe());
  const double error = m.total.kernels.total() / g.total.kernels.total() - 1;
  CAPTURE(error);
  CHECK(std::abs(error) < 0.05);
  // Leakage: the same rule (every lane over the layer's time) at both levels.
  CHECK(m.total.kernels.leakage == doctest::Approx(g.total.kernels.leakage).epsilon(0.2));
  // The groups add up to the lanes' energy, as at gate level.
  CHECK(m.total.sequential.total() + m.total.combinational.total() + m.total.clock.total() ==
        doctest::Approx(m.total.kernels.total()));
  CHECK(m.components.front().first == "mac lanes, dynamic");
  // Image workers: their feature sums move into the datapath that prices. The
  // owner's lanes start image 5 from reset values rather than from image 4's
  // last beats: a few transitions differ, nothing else.
  config.level = sim::Level::macro;
  sim::Datapath worker(net, config, test::model_cache_dir()), owner(net, config, test::model_cache_dir());
  for (std::size_t i = 0; i < 5; ++i) worker.run(test_images.images.image(i));
  for (std::size_t i = 5; i < 20; ++i) owner.run(test_images.images.image(i));
  const double alone = owner.energy(50e6, {}).total.kernels.total();
  owner.absorb_stats(worker);
  const double both = owner.energy(50e6, {}).total.kernels.total();
  CHECK(both > alone * 1.2);  // the worker's five images count
  CHECK(both == doctest::Approx(m.total.kernels.total()).epsilon(1e-3));
}
