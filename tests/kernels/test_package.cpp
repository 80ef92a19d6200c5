// Kernel packages: the built-in kinds' manifests agree with the golden
// models' definitions; a user's package is read, hashed and listed; every
// fault of a manifest is one line naming the file, the line and the fault.
#include <doctest/doctest.h>

#include <algorithm>
#include <fstream>
#include <map>
#include <set>
#include <string>

#include "neuroppa/base/error.hpp"
#include "neuroppa/kernels/catalogue.hpp"
#include "neuroppa/kernels/package.hpp"
#include "neuroppa/models/training.hpp"
#include "support.hpp"

using namespace neuroppa;
namespace fs = std::filesystem;

namespace {

const std::string kBin = NEUROPPA_BINARY;

// An AdderNet-style package (-|x - w|) as a user would write it.
const std::string kAdderManifest = R"(# AdderNet: the synapse adds -|x - w|.
[kernel]
name = "adder"
description = "AdderNet: -|x - w|"
backend = "output-stage"
trainer = "int8-qat"

[parameters]
XW = { default = 8, min = 2, max = 12 }
WW = { default = 8, min = 2, max = 12 }

[widths]
activation = "XW"
code = "WW"

[rtl]
shape = "synapse"
top = "adder_synapse"
files = ["adder_synapse.sv"]
parameters = ["XW", "WW"]
archs = ["chain", "tree", "csa"]
default_arch = "tree"

[golden]
source = "golden.c"
)";

void write(const fs::path& file, const std::string& text) {
  fs::create_directories(file.parent_path());
  std::ofstream(file, std::ios::binary) << text;
}

fs::path adder_package(const fs::path& folder, const std::string& manifest = kAdderManifest) {
  write(folder / "kernel.toml", manifest);
  write(folder / "adder_synapse.sv", "module adder_synapse #(parameter int XW = 8, parameter int WW = 8) ();\nendmodule\n");
  write(folder / "golden.c", "long np_synapse_term(unsigned x, unsigned code) { return 0; }\n");
  return folder;
}

// The manifest with `from` replaced by `to` (which must be there once).
std::string edited(const std::string& from, const std::string& to) {
  std::string m = kAdderManifest;
  const auto at = m.find(from);
  REQUIRE(at != std::string::npos);
  return m.replace(at, from.size(), to);
}

std::string read_error(const fs::path& folder) {
  try {
    kernels::read_package(folder);
  } catch (const Error& e) {
    return e.what();
  }
  return "(no error)";
}

}  // namespace

TEST_CASE("built-in packages: every built-in kind, its manifest agreeing with the golden models") {
  const auto& builtins = kernels::builtin_packages();
  REQUIRE(builtins.size() == 5);
  const std::vector<std::string> order = {"mac", "shift", "threshold", "spike", "sigma-delta"};
  std::set<std::string> hashes;
  for (std::size_t i = 0; i < builtins.size(); ++i) {
    const kernels::Package& p = builtins[i];
    CAPTURE(p.name);
    CHECK(p.name == order[i]);
    CHECK(p.builtin);
    CHECK(p.origin == "built-in");
    CHECK(p.hash.size() == 64);
    CHECK(hashes.insert(p.hash).second);
    const models::KernelKind kind = *models::parse_kernel_kind(p.name);
    CHECK(p.default_arch == models::default_arch(kind));
    for (const models::KernelArch a : models::kAllKernelArchs)
      CHECK((std::find(p.archs.begin(), p.archs.end(), a) != p.archs.end()) == models::arch_exists(kind, a));
    CHECK(p.backend == models::backend_of(kind));
    CHECK((p.backend == kernels::Backend::membrane) == models::has_membrane(kind));
    CHECK(p.trainer == models::to_string(models::trainer_of(kind)));  // the recipe train uses is the manifest's
    // Widths at every value of the parameters' ranges equal the C++ definitions.
    const kernels::PackageParameter* xw = p.parameter("XW");
    const kernels::PackageParameter* ww = p.parameter("WW");
    if (xw) CHECK(xw->default_value == models::default_xw(kind));
    for (unsigned x = xw ? xw->min : 8; x <= (xw ? xw->max : 8); ++x)
      for (unsigned w = ww ? ww->min : 8; w <= (ww ? ww->max : 8); ++w) {
        models::KernelParams params{kind, 9, x, ww ? w : models::default_code_bits(kind, x), 64,
                                    models::default_arch(kind)};
        CHECK(!models::validate(params));  // the manifest's ranges are ones the models accept
        const std::map<std::string, unsigned> values = {{"XW", x}, {"WW", w}};
        CHECK(p.code_bits.evaluate(values) == params.code_bits());
        CHECK(p.activation_bits.evaluate(values) == params.activation_bits());
      }
    if (xw) {  // one past the manifest's XW range, the models refuse too
      models::KernelParams past{kind, 9, xw->max + 1,
                                ww ? ww->default_value : models::default_code_bits(kind, xw->max + 1), 64,
                                models::default_arch(kind)};
      CHECK(models::validate(past));
    }
    if (ww) CHECK(ww->default_value == models::default_code_bits(kind, 8));
    // The catalogue's traits are the manifest's.
    const kernels::KernelTraits& t = kernels::traits(kind);
    CHECK(t.description == p.description);
    CHECK(t.top == p.top);
    CHECK(kernels::top_module(kind) == p.top);
  }
}

TEST_CASE("a user's package: read, hashed by content, listed after the built-ins") {
  const fs::path root = neuroppa::test::temp_dir("packages");
  const fs::path folder = adder_package(root / "adder");
  const kernels::Package p = kernels::read_package(folder);
  CHECK(p.name == "adder");
  CHECK(!p.builtin);
  CHECK(p.origin == folder.string());
  {  // a relative folder is named absolutely, so reports say where it was wherever they are read
    const fs::path here = fs::current_path();
    fs::current_path(root);
    const std::string origin = kernels::read_package("./adder/").origin;
    fs::current_path(here);
    CHECK(origin == folder.string());
  }
  CHECK(p.shape == kernels::RtlShape::synapse);
  CHECK(p.top == "adder_synapse");
  CHECK(p.parameter("XW")->max == 12);
  CHECK(p.code_bits.evaluate({{"XW", 3}, {"WW", 5}}) == 5);
  REQUIRE(p.golden_source);
  CHECK(*p.golden_source == "golden.c");

  // The hash follows every file the manifest names, and only those.
  write(folder / "notes.txt", "not part of the package");
  CHECK(kernels::read_package(folder).hash == p.hash);
  write(folder / "golden.c", "long np_synapse_term(unsigned x, unsigned code) { return 1; }\n");
  CHECK(kernels::read_package(folder).hash != p.hash);

  // A folder of packages: each sub-folder with a manifest, in name order.
  adder_package(root / "zz-second", edited("name = \"adder\"", "name = \"adder2\""));
  const auto catalogue = kernels::assemble_catalogue({root});
  REQUIRE(catalogue.size() == 7);
  CHECK(catalogue[5].name == "adder");
  CHECK(catalogue[6].name == "adder2");
  // The package folder itself works as well.
  CHECK(kernels::assemble_catalogue({folder}).size() == 6);
}

TEST_CASE("kernel path: two packages of one name are an error naming both folders") {
  const fs::path root = neuroppa::test::temp_dir("clash");
  const fs::path a = adder_package(root / "a"), b = adder_package(root / "b");
  try {
    kernels::assemble_catalogue({a, b});
    FAIL("no error");
  } catch (const Error& e) {
    const std::string what = e.what();
    CHECK(what.find("two kernel packages named 'adder'") != std::string::npos);
    CHECK(what.find(a.string()) != std::string::npos);
    CHECK(what.find(b.string()) != std::string::npos);
  }
  const fs::path mac = adder_package(root / "mac", edited("name = \"adder\"", "name = \"mac\""));
  const std::string clash_with_builtin = "named 'mac': built-in and " + mac.string();
  CHECK_THROWS_WITH_AS(kernels::assemble_catalogue({mac}), doctest::Contains(clash_with_builtin.c_str()), Error);
  CHECK_THROWS_WITH_AS(kernels::assemble_catalogue({root / "none"}),
                       doctest::Contains("no such folder"), Error);
  fs::create_directories(root / "empty");
  CHECK_THROWS_WITH_AS(kernels::assemble_catalogue({root / "empty"}),
                       doctest::Contains("no kernel.toml in it or in its sub-folders"), Error);
}

TEST_CASE("a manifest's faults: one line each, naming the file, the line and the fault") {
  const fs::path root = neuroppa::test::temp_dir("bad-manifests");
  struct Bad {
    std::string manifest;
    std::string line;  // ":N:"
    std::string what;
  };
  const std::vector<Bad> cases = {
      {edited("[kernel]\n", "[kernal]\n"), ":2:", "unknown key kernal"},
      {edited("description = \"AdderNet: -|x - w|\"\n", ""), ":2:", "missing key kernel.description"},
      {edited("backend = \"output-stage\"", "backend = \"systolic\""), ":5:", "kernel.backend 'systolic': choose"},
      {edited("trainer = \"int8-qat\"", "trainer = \"magic\""), ":6:", "kernel.trainer 'magic': unknown trainer"},
      {edited("name = \"adder\"", "name = \"Adder\""), ":3:", "kernel.name 'Adder'"},
      {edited("name = \"adder\"", "name = \"all\""), ":3:", "reserved word"},
      {edited("name = \"adder\"", "name = \"adder\"\ncolour = \"red\""), ":4:", "unknown key kernel.colour"},
      {edited("XW = { default = 8, min = 2, max = 12 }", "XW = { default = 8, min = 0, max = 20 }"), ":9:",
       "parameters.XW: 0..20 goes outside 1..16"},
      {edited("XW = { default = 8, min = 2, max = 12 }", "XW = { default = 13, min = 2, max = 12 }"), ":9:",
       "default 13 is outside 2..12"},
      {edited("XW = { default = 8, min = 2, max = 12 }", "XW = { default = 8, min = 9, max = 4 }"), ":9:",
       "min 9 is above max 4"},
      {edited("XW = { default = 8, min = 2, max = 12 }", "XW = { default = 8, min = 2 }"), ":9:",
       "missing key parameters.XW.max"},
      {edited("WW = { default = 8, min = 2, max = 12 }", "WW = { default = 8, min = 2, max = 12 }\nK = { default = 9, min = 1, max = 9 }"),
       ":11:", "K and AW are every kernel's"},
      {edited("code = \"WW\"", "code = \"WW + Q\""), ":14:", "names 'Q', which is not a parameter"},
      {edited("code = \"WW\"", "code = \"WW + 8\""), ":14:", "ranges 10..20 bits"},
      {edited("code = \"WW\"", "code = \"WW +\""), ":14:", "write a sum of parameters and whole numbers"},
      {edited("code = \"WW\"", "code = \"2 * WW\""), ":14:", "write a sum of parameters and whole numbers"},
      {edited("shape = \"synapse\"", "shape = \"systolic\""), ":17:", "rtl.shape 'systolic': choose synapse or kernel"},
      {edited("top = \"adder_synapse\"", "top = \"adder synapse\""), ":18:", "is not a Verilog module name"},
      {edited("files = [\"adder_synapse.sv\"]", "files = [\"missing.sv\"]"), ":19:", "'missing.sv' is not in the package"},
      {edited("files = [\"adder_synapse.sv\"]", "files = [\"../escape.sv\"]"), ":19:", "must be a path inside the package"},
      {edited("files = [\"adder_synapse.sv\"]", "files = []"), ":19:", "rtl.files must be a non-empty list"},
      {edited("parameters = [\"XW\", \"WW\"]", "parameters = [\"XW\", \"DEPTH\"]"), ":20:", "names 'DEPTH'"},
      {edited("archs = [\"chain\", \"tree\", \"csa\"]", "archs = [\"chain\", \"wallace\"]"), ":21:",
       "unknown micro-architecture 'wallace'"},
      {edited("default_arch = \"tree\"", "default_arch = \"booth-csa\""), ":22:", "is not one of rtl.archs"},
      {edited("source = \"golden.c\"", "source = \"golden.cpp\""), ":25:", "'golden.cpp' is not in the package"},
      {edited("[widths]", "[widths"), ":12:", "not valid TOML"},
      // A value echoed in a message keeps it one line: control characters are shown escaped.
      {edited("name = \"adder\"", "name = \"a\\u0000b\""), ":3:", "kernel.name 'a\\x00b'"},
  };
  int n = 0;
  for (const Bad& c : cases) {
    const fs::path folder = adder_package(root / std::to_string(n++), c.manifest);
    const std::string what = read_error(folder);
    CAPTURE(c.manifest);
    CHECK(what.find((folder / "kernel.toml").string() + c.line) == 0);
    CHECK(what.find(c.what) != std::string::npos);
    CHECK(what.find('\n') == std::string::npos);
  }
  CHECK(read_error(root / "nowhere").find("no such folder") != std::string::npos);
  fs::create_directories(root / "no-manifest");
  CHECK(read_error(root / "no-manifest").find("kernel.toml: no such file") != std::string::npos);
}

TEST_CASE("neuroppa kinds: the built-ins, then the kernel path's packages; a bad one is one line, exit 2") {
  auto r = neuroppa::test::run_command({kBin, "kinds", "--format", "csv"});
  REQUIRE(r.status == 0);
  for (const std::string kind : {"mac", "shift", "threshold", "spike"})
    CHECK(r.out.find("\n" + kind + ",") != std::string::npos);
  CHECK(r.out.find("threshold-ste") != std::string::npos);

  const fs::path root = neuroppa::test::temp_dir("kinds-cli");
  const fs::path folder = adder_package(root / "adder");
  r = neuroppa::test::run_command({kBin, "kinds", "--kernel-path", folder.string()});
  REQUIRE(r.status == 0);
  CHECK(r.out.find("| adder | AdderNet: -\\|x - w\\| | " + folder.string()) != std::string::npos);
  CHECK(r.out.find(kernels::read_package(folder).hash.substr(0, 12)) != std::string::npos);

  // NEUROPPA_KERNEL_PATH comes first: the same package from both is a clash.
  r = neuroppa::test::run_command({"env", "NEUROPPA_KERNEL_PATH=" + root.string(), kBin, "kinds", "--kernel-path",
                                   folder.string()});
  CHECK(r.status == 2);
  CHECK(r.err == "neuroppa: error: two kernel packages named 'adder': " + folder.string() + " and " + folder.string() +
                     "; rename one (kernel.name)\n");

  write(folder / "kernel.toml", edited("trainer = \"int8-qat\"", "trainer = \"magic\""));
  r = neuroppa::test::run_command({kBin, "kinds", "--kernel-path", folder.string()});
  CHECK(r.status == 2);
  CHECK(r.err.find("neuroppa: error: " + (folder / "kernel.toml").string() + ":6: kernel.trainer 'magic'") == 0);
  CHECK(std::count(r.err.begin(), r.err.end(), '\n') == 1);
}
