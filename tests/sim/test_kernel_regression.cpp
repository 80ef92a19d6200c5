// RTL kernels against the golden models, cycle by cycle.
#include <doctest/doctest.h>

#include <cstdio>

#include "neuroppa/sim/kernel_regression.hpp"
#include "neuroppa/sim/kernel_models.hpp"
#include "regression_sets.hpp"
#include "support.hpp"

using namespace neuroppa;
using models::KernelKind;
using models::KernelParams;

namespace {

std::shared_ptr<const vmodel::LoadedModel> rtl_model(const KernelParams& p) {
  static vmodel::ModelCache cache(test::model_cache_dir(),
                                [](std::string_view line) { std::fputs(std::string(line).c_str(), stderr); });
  return cache.load(sim::kernel_rtl_spec(p));
}

sim::RegressionResult regress(const KernelParams& p, std::uint64_t beats, std::uint64_t seed) {
  sim::KernelHarness dut(rtl_model(p), p);
  models::KernelGolden golden(p);
  models::BeatStream stream(p, seed);
  return sim::run_regression(dut, golden, stream, beats);
}

void regress_all_sets(KernelKind kind, std::uint64_t beats_per_kernel) {
  const auto sets = test::regression_sets(kind);
  for (const KernelParams& p : sets) {
    CAPTURE(p.describe());
    const auto r = regress(p, beats_per_kernel / sets.size() + 1, 1);
    const std::string first_mismatch = r.first ? sim::describe(*r.first, p) : "none";
    INFO(first_mismatch);
    CHECK(r.mismatches == 0);
    CHECK(r.beats >= beats_per_kernel / sets.size());
    CHECK(r.outputs > r.beats / 64);  // outputs were really compared
  }
}

// Flips one bit of a beat's sum, only when synapse 0 carries the most
// extreme code: the kind of slip a golden model (or RTL) could hide.
class OneBitWrongGolden : public models::KernelGolden {
 public:
  using KernelGolden::KernelGolden;
  std::int64_t beat_sum(std::span<const std::uint32_t> x, std::span<const std::uint32_t> w) const override {
    const std::int64_t sum = KernelGolden::beat_sum(x, w);
    const std::uint32_t top_code = (1u << params().code_bits()) - 1;
    return w[0] == top_code ? sum ^ 1 : sum;
  }
};

}  // namespace

TEST_CASE("RTL equals golden, >= 100,000 beats per kernel over 4 parameter sets") {
  for (KernelKind kind : neuroppa::models::builtin_kernel_kinds()) {
    CAPTURE(models::to_string(kind));
    regress_all_sets(kind, 100000);
  }
}

// tree and csa reduce the K terms through np_reduce: odd levels, a single row left, and widths
// clipped at AW are the corners; chain is above. `sets`: which of the kind's regression sets.
static void regress_archs(const std::vector<std::size_t>& sets_used) {
  for (models::KernelArch arch : {models::KernelArch::tree, models::KernelArch::csa, models::KernelArch::shift_add})
    for (KernelKind kind : neuroppa::models::builtin_kernel_kinds()) {
      if (!models::arch_exists(kind, arch)) continue;
      const std::vector<KernelParams> all = test::regression_sets(kind);
      std::vector<KernelParams> sets;
      for (const std::size_t i : sets_used) sets.push_back(all[i]);
      for (unsigned K : {2u, 3u}) {
        KernelParams p = all[1];
        p.K = K;
        p.AW = p.required_accumulator_bits();
        sets.push_back(p);
      }
      for (KernelParams p : sets) {
        p.arch = arch;
        CAPTURE(p.describe());
        const auto r = regress(p, 100000 / sets.size(), 3);
        INFO((r.first ? sim::describe(*r.first, p) : "none"));
        CHECK(r.mismatches == 0);
        CHECK(r.outputs > r.beats / 64);
      }
    }
}

// K = 1, 2, 3 and 25 (odd levels, a single row), a 64-bit accumulator; the other two sets (K = 9
// and 25 at the tightest accumulator) are the long label's, below.
TEST_CASE("every micro-architecture: RTL equals golden for K = 1, 2, 3 and a 64-bit accumulator") {
  regress_archs({0, 3});
}

static void regress_booth(unsigned WW, unsigned K) {
  KernelParams p{neuroppa::models::kind_named("mac"), K, 8, WW, 32, models::KernelArch::booth_csa};
  p.AW = p.required_accumulator_bits();
  CAPTURE(p.describe());
  const auto r = regress(p, 8000, 5);
  INFO((r.first ? sim::describe(*r.first, p) : "none"));
  CHECK(r.mismatches == 0);
  CHECK(r.outputs > r.beats / 64);
}

TEST_CASE("Booth mac: RTL equals golden for odd, even and one-bit weights, K = 1, 2, 3, 9") {
  // ceil(WW/2) digits: an odd WW sign-extends into the top digit, WW = 1 is
  // a single digit of -x or 0, and the widest products sit at the sum's width.
  // Every WW and every K once here; the whole grid is the long label's.
  for (const auto& [WW, K] : {std::pair{1u, 1u}, {2u, 2u}, {5u, 3u}, {8u, 9u}, {16u, 3u}}) regress_booth(WW, K);
  for (KernelParams p : test::regression_sets(neuroppa::models::kind_named("mac"))) {
    p.arch = models::KernelArch::booth_csa;
    CAPTURE(p.describe());
    const auto r = regress(p, 25000, 3);
    CHECK(r.mismatches == 0);
  }
}

TEST_CASE("pipeline and synchronous reset: RTL equals golden (the golden model adds the cycle of latency)") {
  for (KernelKind kind : neuroppa::models::builtin_kernel_kinds())
    for (models::KernelArch arch : {models::KernelArch::chain, models::KernelArch::csa, models::KernelArch::shift_add}) {
      if (!models::arch_exists(kind, arch)) continue;
      KernelParams p = test::regression_sets(kind)[1];
      p.arch = arch;
      for (const auto& [pipeline, reset] : {std::pair{1u, models::ResetStyle::async},
                                            std::pair{0u, models::ResetStyle::sync},
                                            std::pair{1u, models::ResetStyle::sync}}) {
        p.pipeline = pipeline;
        p.reset = reset;
        CAPTURE(p.describe());
        const auto r = regress(p, 10000, 4);
        INFO((r.first ? sim::describe(*r.first, p) : "none"));
        CHECK(r.mismatches == 0);
        CHECK(r.outputs > r.beats / 64);
      }
      // The latency is real: the pipelined kernel against an unpipelined golden model differs.
      p.pipeline = 1;
      sim::KernelHarness dut(rtl_model(p), p);
      KernelParams unpipelined = p;
      unpipelined.pipeline = 0;
      models::KernelGolden golden(unpipelined);
      models::BeatStream stream(p, 4);
      CHECK(sim::run_regression(dut, golden, stream, 2000).mismatches > 0);
    }
}

TEST_CASE("a golden model with one bit wrong is caught") {
  for (KernelKind kind : neuroppa::models::builtin_kernel_kinds()) {
    const KernelParams p = test::regression_sets(kind)[1];
    CAPTURE(p.describe());
    sim::KernelHarness dut(rtl_model(p), p);
    OneBitWrongGolden golden(p);
    models::BeatStream stream(p, 1);
    const auto r = sim::run_regression(dut, golden, stream, 20000);
    CHECK(r.mismatches > 0);
    REQUIRE(r.first);
    const std::string text = sim::describe(*r.first, p);
    CHECK(text.find("first mismatch at cycle") == 0);
    CHECK(text.find("expected") != std::string::npos);
  }
}

TEST_CASE("regression results are reproducible per seed") {
  const KernelParams p = test::regression_sets(neuroppa::models::kind_named("mac"))[1];
  const auto a = regress(p, 5000, 9);
  const auto b = regress(p, 5000, 9);
  CHECK(a.cycles == b.cycles);
  CHECK(a.outputs == b.outputs);
  CHECK(a.mismatches == 0);
}

TEST_SUITE("long") {
  TEST_CASE("every micro-architecture: RTL equals golden over all the parameter sets and K = 2, 3") {
    regress_archs({0, 1, 2, 3});
  }

  TEST_CASE("Booth mac: RTL equals golden for WW in {1, 2, 5, 8, 16} x K in {1, 2, 3, 9}") {
    for (unsigned WW : {1u, 2u, 5u, 8u, 16u})
      for (unsigned K : {1u, 2u, 3u, 9u}) regress_booth(WW, K);
  }

  TEST_CASE("RTL equals golden, >= 10,000,000 beats per kernel") {
    for (KernelKind kind : neuroppa::models::builtin_kernel_kinds()) {
      CAPTURE(models::to_string(kind));
      regress_all_sets(kind, 10000000);
    }
  }
}

TEST_CASE("pack_bits: synapse 0 in the low bits, fields straddling words, the byte fast path") {
  std::vector<std::uint32_t> words(3);
  const std::vector<std::uint32_t> bytes = {0x12, 0x34, 0x56, 0x78, 0x9a};
  sim::pack_bits(bytes, 8, words);
  CHECK(words[0] == 0x78563412u);
  CHECK(words[1] == 0x9au);
  CHECK(words[2] == 0u);
  const std::vector<std::uint32_t> fives(7, 0x1f);  // 35 one bits: straddles the first word
  sim::pack_bits(fives, 5, words);
  CHECK(words[0] == 0xffffffffu);
  CHECK(words[1] == 0x7u);
  sim::pack_bits(std::vector<std::uint32_t>{0x3ff, 0x1}, 9, words);  // bits above the width are dropped
  CHECK(words[0] == (0x1ffu | (1u << 9)));
}
