// Networks of a package kind: the generic term-table trainer (ternary) and
// AdderNet's own (adder) learn Fashion-MNIST through the package's golden term; the integer network it
// writes is what the reference inference and the platform (RTL lanes built
// from the package's synapse module) compute, bit for bit. A term that does
// not vanish at x = 0 (AdderNet's) counts everywhere; what the trainer cannot
// use is refused by name.
#include <doctest/doctest.h>

#include <filesystem>
#include <string>

#include "neuroppa/app/run.hpp"
#include "neuroppa/app/verify.hpp"
#include "neuroppa/base/error.hpp"
#include "neuroppa/base/file.hpp"
#include "neuroppa/kernels/catalogue.hpp"
#include "neuroppa/kernels/package.hpp"
#include "neuroppa/models/dataset.hpp"
#include "neuroppa/models/training.hpp"
#include "support.hpp"

namespace fs = std::filesystem;
using namespace neuroppa;
using models::KernelKind;

namespace {

fs::path examples() { return test::source_dir() / "examples" / "kernels"; }

KernelKind load_kind(const fs::path& folder, const std::string& name) {
  kernels::register_packages(kernels::assemble_catalogue({folder}), test::model_cache_dir());
  const auto kind = models::parse_kernel_kind(name);
  REQUIRE(kind.has_value());
  kernels::prepare_kinds(std::vector{*kind});
  return *kind;
}

const models::LabelledImages& training_set() {
  static const models::LabelledImages data = models::load_fashion_mnist(true);
  return data;
}
const models::LabelledImages& test_set() {
  static const models::LabelledImages data = models::load_fashion_mnist(false);
  return data;
}

models::TrainOptions small_run(KernelKind kind) {
  models::TrainOptions o;
  o.kind = kind;
  o.arch = "d32,d10";
  o.epochs = 1;
  o.train_images = 4000;
  o.test_images = 1000;
  return o;
}

// A copy of an example package under a new name, one file edited.
fs::path package_copy(const std::string& example, const std::string& name, const std::string& file,
                      const std::string& from, const std::string& to) {
  const fs::path dir = test::temp_dir("package-net-" + name) / name;
  fs::copy(examples() / example, dir, fs::copy_options::recursive);
  for (const auto& [path, old_text, new_text] :
       {std::tuple{dir / "kernel.toml", "name = \"" + example + "\"", "name = \"" + name + "\""},
        std::tuple{dir / file, from, to}}) {
    std::string text = base::read_file(path);
    const auto at = text.find(old_text);
    REQUIRE(at != std::string::npos);
    text.replace(at, old_text.size(), new_text);
    base::write_file(path, text);
  }
  return dir;
}

}  // namespace

TEST_CASE("package kinds train with their trainers, and the platform runs what was trained") {
  for (const std::string name : {"ternary", "adder"}) {
    CAPTURE(name);
    const KernelKind kind = load_kind(examples(), name);
    const models::TrainOptions o = small_run(kind);
    const models::Network net = models::train_network(o, training_set(), test_set());
    for (const models::Layer& l : net.layers)
      if (l.computes()) CHECK(l.kind == kind);
    // The reference inference of the written network is the accuracy recorded.
    CHECK(models::reference_accuracy(net, test_set(), 1000) == net.training.quantised_accuracy);
    // Chance is 0.1. Ternary (term-table) keeps its float network's accuracy
    // (0.73 here); adder (addernet: AdderNet's own float training, then codes
    // by least squares) learns more slowly in one short epoch (0.62 here).
    CHECK(net.training.quantised_accuracy > (name == "ternary" ? 0.65 : 0.55));
    // Same seed, same codes.
    CHECK(models::train_network(o, training_set(), test_set()).layers[1].codes == net.layers[1].codes);

    const fs::path file = test::temp_dir("package-net-run") / (name + ".json.gz");
    models::write_network(net, file);
    app::RunRequest r;
    r.model = file.string();
    r.images = 40;
    r.check = true;
    app::Context context;
    context.cache_dir = test::model_cache_dir();
    const app::RunResult run = app::run_network(r, context);
    CHECK(run.mismatches == 0);
    CHECK(run.images == 40);
    bool named = false;  // the summary names the package and its hash
    for (const std::string& note : run.tables.front().notes)
      named = named || note.find("Kernel packages: " + name + " from") != std::string::npos;
    CHECK(named);
  }
}

TEST_CASE("an AdderNet term at x = 0 counts in the reference inference") {
  const KernelKind adder = load_kind(examples(), "adder");
  models::Network net;
  net.name = "adder-by-hand";
  net.input = {1, 2, 2};
  models::Layer flatten;
  flatten.type = models::LayerType::flatten;
  flatten.in = {1, 2, 2};
  flatten.out = {4, 1, 1};
  models::Layer dense;
  dense.type = models::LayerType::dense;
  dense.kind = adder;
  dense.in = {4, 1, 1};
  dense.out = {2, 1, 1};
  dense.code_bits = 8;
  // Weights 10, 20, 0, 5 (unsigned codes), then all zero.
  dense.codes = {10, 20, 0, 5, 0, 0, 0, 0};
  dense.bias = {100, 100};
  dense.shift = 0;
  net.layers = {flatten, dense};
  models::validate(net, "hand-built adder network");
  const std::uint8_t black[4] = {0, 0, 0, 0};
  // -(|0 - 10| + |0 - 20| + 0 + |0 - 5|) + 100 = 65; the second neuron: 100.
  CHECK(models::infer(net, black).outputs == std::vector<std::uint32_t>{65, 100});
  const std::uint8_t grey[4] = {10, 10, 10, 10};
  // -(0 + 10 + 10 + 5) + 100 = 75; -(4 * 10) + 100 = 60.
  CHECK(models::infer(net, grey).outputs == std::vector<std::uint32_t>{75, 60});
}

TEST_CASE("what the term-table trainer and the platform cannot use is refused by name") {
  SUBCASE("a package naming a built-in recipe its codes do not fit") {
    const fs::path dir =
        package_copy("ternary", "ternary-int8", "kernel.toml", "trainer = \"term-table\"", "trainer = \"int8-qat\"");
    const KernelKind kind = load_kind(dir.parent_path(), "ternary-int8");
    CHECK_THROWS_WITH_AS(models::train_network(small_run(kind), training_set(), test_set()),
                         doctest::Contains("--kind ternary-int8: trainer int8-qat writes 8-bit two's-complement "
                                           "weights, and ternary-int8 codes are 2 bits"),
                         Error);
  }
  SUBCASE("a golden term that is not 0 at x = 0, code 0 (the padding of a layer's last beat)") {
    const fs::path dir = package_copy("adder", "adder-offset", "golden.c", "return d < 0 ? d : -d;",
                                      "return (d < 0 ? d : -d) - 1;");
    kernels::register_packages(kernels::assemble_catalogue({dir.parent_path()}), test::model_cache_dir());
    const auto kind = models::parse_kernel_kind("adder-offset");
    REQUIRE(kind.has_value());
    CHECK_THROWS_WITH_AS(kernels::prepare_kinds(std::vector{*kind}),
                         doctest::Contains("its golden term at x = 0, code 0 is -1; it must be 0"), Error);
  }
}

TEST_CASE("a package names a built-in recipe: mac as a synapse package with int8-qat trains mac's network") {
  const fs::path bench = test::source_dir() / "bench" / "packages";
  const fs::path dir = test::temp_dir("package-int8") / "mac-int8";
  fs::copy(bench / "mac-synapse", dir, fs::copy_options::recursive);
  for (const auto& [from, to] : {std::pair<std::string, std::string>{"name = \"mac-synapse\"", "name = \"mac-int8\""},
                                 {"trainer = \"term-table\"", "trainer = \"int8-qat\""}}) {
    std::string text = base::read_file(dir / "kernel.toml");
    REQUIRE(text.find(from) != std::string::npos);
    text.replace(text.find(from), from.size(), to);
    base::write_file(dir / "kernel.toml", text);
  }
  const KernelKind package = load_kind(dir.parent_path(), "mac-int8");
  CHECK(models::trainer_of(package) == models::Trainer::int8_qat);
  const models::Network built_in = models::train_network(small_run(neuroppa::models::kind_named("mac")), training_set(), test_set());
  const models::Network packaged = models::train_network(small_run(package), training_set(), test_set());
  // The same recipe on the same codes and the same terms: the same network, kind apart.
  REQUIRE(packaged.layers.size() == built_in.layers.size());
  for (std::size_t i = 0; i < built_in.layers.size(); ++i) {
    CHECK(packaged.layers[i].codes == built_in.layers[i].codes);
    CHECK(packaged.layers[i].bias == built_in.layers[i].bias);
    CHECK(packaged.layers[i].shift == built_in.layers[i].shift);
  }
  CHECK(packaged.training.quantised_accuracy == built_in.training.quantised_accuracy);
}

TEST_CASE("a membrane package: spike as a synapse package verifies, trains spike's network and runs checked") {
  const KernelKind package = load_kind(test::source_dir() / "bench" / "packages", "spike-synapse");
  CHECK(models::has_membrane(package));
  const models::KernelParams p{package, 9, 8, 8, 32, models::KernelArch::tree};
  CHECK(p.activation_bits() == 1);
  CHECK(p.describe() == "spike-synapse K=9 WW=8 AW=32 arch=tree");

  app::VerifyRequest v;
  v.kinds = {package};
  v.archs = {models::KernelArch::chain, models::KernelArch::tree, models::KernelArch::csa};
  v.beats = 20000;
  app::Context context;
  context.cache_dir = test::model_cache_dir();
  const app::VerifyResult rtl = app::verify(v, context);
  REQUIRE(rtl.kernels.size() == 3);
  CHECK(rtl.failed() == 0);
  v.archs = {models::KernelArch::csa};
  v.gate_level = true;
  CHECK(app::verify(v, context).failed() == 0);

  models::TrainOptions o = small_run(package);
  o.timesteps = 8;
  const models::Network packaged = models::train_network(o, training_set(), test_set());
  o.kind = neuroppa::models::kind_named("spike");
  const models::Network built_in = models::train_network(o, training_set(), test_set());
  CHECK(packaged.spiking());
  REQUIRE(packaged.layers.size() == built_in.layers.size());
  for (std::size_t i = 0; i < built_in.layers.size(); ++i) {  // snn-conversion by name: the same network
    CHECK(packaged.layers[i].codes == built_in.layers[i].codes);
    CHECK(packaged.layers[i].bias == built_in.layers[i].bias);
    CHECK(packaged.layers[i].vth == built_in.layers[i].vth);
  }
  CHECK(packaged.training.quantised_accuracy == built_in.training.quantised_accuracy);

  const fs::path file = test::temp_dir("package-membrane-run") / "spike-synapse.json.gz";
  models::write_network(packaged, file);
  app::RunRequest r;
  r.model = file.string();
  r.images = 20;
  r.check = true;
  const app::RunResult run = app::run_network(r, context);
  CHECK(run.mismatches == 0);
}

TEST_CASE("a sigma-delta package: the built-in as a synapse package verifies at every arch, RTL and gate level") {
  const KernelKind package = load_kind(test::source_dir() / "bench" / "packages", "sigma-delta-synapse");
  CHECK(models::has_sigma_delta(package));
  const models::KernelParams p{package, 9, 4, 8, 32, models::KernelArch::csa};
  CHECK(p.activation_bits() == 4);
  CHECK(p.describe() == "sigma-delta-synapse K=9 XW=4 WW=8 AW=32 arch=csa");
  const auto ports = kernels::ports(p);
  CHECK(std::any_of(ports.begin(), ports.end(), [](const kernels::KernelPort& q) {
    return q.name == "residue_o" && q.width == 32 && q.output;
  }));

  app::VerifyRequest v;
  v.kinds = {package};
  v.archs = {models::KernelArch::chain, models::KernelArch::tree, models::KernelArch::csa};
  v.beats = 20000;
  app::Context context;
  context.cache_dir = test::model_cache_dir();
  const app::VerifyResult rtl = app::verify(v, context);
  REQUIRE(rtl.kernels.size() == 3);
  CHECK(rtl.failed() == 0);
  for (const auto& k : rtl.kernels) CHECK(k.result.outputs > 1000);
  v.archs = {models::KernelArch::chain};  // the one arch the built-in does not have
  v.gate_level = true;
  v.K = 3;  // a smaller netlist: the build is the cost
  CHECK(app::verify(v, context).failed() == 0);
}
