// Kernel packages as kinds: the example packages (examples/kernels/) verified
// RTL and gate level against their golden models, compiled at run time; a
// golden model made wrong is caught; a golden source that does not compile,
// one that lacks a function, and a shape neuroppa cannot build yet each give
// one error naming the package.
#include <doctest/doctest.h>

#include <algorithm>
#include <filesystem>
#include <fmt/format.h>
#include <functional>
#include <string>

#include "neuroppa/app/verify.hpp"
#include "neuroppa/base/error.hpp"
#include "neuroppa/base/file.hpp"
#include "neuroppa/kernels/catalogue.hpp"
#include "neuroppa/kernels/package.hpp"
#include "neuroppa/models/stimulus.hpp"
#include "neuroppa/sim/kernel_models.hpp"
#include "neuroppa/sim/kernel_regression.hpp"
#include "neuroppa/vmodel/model_build.hpp"
#include "support.hpp"

namespace fs = std::filesystem;
using namespace neuroppa;
using models::KernelArch;
using models::KernelKind;

namespace {

fs::path examples() { return test::source_dir() / "examples" / "kernels"; }

// Registers the packages under `folder` (idempotent for the same contents).
void load(const fs::path& folder) {
  kernels::register_packages(kernels::assemble_catalogue({folder}), test::model_cache_dir());
}

KernelKind kind_named(const std::string& name) {
  load(examples());
  const auto kind = models::parse_kernel_kind(name);
  REQUIRE(kind.has_value());
  return *kind;
}

app::VerifyResult verify(KernelKind kind, std::vector<KernelArch> archs, bool gate_level, std::uint64_t beats) {
  app::VerifyRequest r;
  r.kinds = {kind};
  r.archs = std::move(archs);
  r.gate_level = gate_level;
  r.beats = beats;
  app::Context context;
  context.cache_dir = test::model_cache_dir();
  return app::verify(r, context);
}

// A copy of the adder example named `name`, its golden.c edited by `edit`.
fs::path adder_copy(const std::string& name, const std::function<void(std::string&)>& edit) {
  const fs::path dir = test::temp_dir("package-" + name) / name;
  fs::copy(examples() / "adder", dir, fs::copy_options::recursive);
  std::string manifest = base::read_file(dir / "kernel.toml");
  manifest.replace(manifest.find("name = \"adder\""), 14, "name = \"" + name + "\"");
  base::write_file(dir / "kernel.toml", manifest);
  std::string golden = base::read_file(dir / "golden.c");
  edit(golden);
  base::write_file(dir / "golden.c", golden);
  return dir;
}

void replace(std::string& text, const std::string& from, const std::string& to) {
  const auto at = text.find(from);
  REQUIRE(at != std::string::npos);
  text.replace(at, from.size(), to);
}

}  // namespace

TEST_CASE("example packages: what models/ derives from their golden terms") {
  const KernelKind adder = kind_named("adder");
  const KernelKind ternary = kind_named("ternary");
  CHECK(models::to_string(adder) == "adder");
  CHECK(models::default_arch(adder) == KernelArch::tree);
  CHECK_FALSE(models::arch_exists(adder, KernelArch::booth_csa));
  CHECK_FALSE(models::has_membrane(ternary));

  const models::KernelParams a{adder, 9, 8, 8, 32, KernelArch::tree};
  CHECK(a.code_bits() == 8);
  CHECK(models::synapse_term(a, 10, 250) == -240);  // w = 250: -|10 - 250|
  CHECK(models::synapse_term(a, 255, 0x80) == -127);
  CHECK(models::synapse_term(a, 0, 0) == 0);
  // np_term_bounds gives [-255, 0]: 9 terms reach -2295, which needs 13 bits.
  CHECK(models::term_range(a) == std::pair<std::int64_t, std::int64_t>{-255, 0});
  CHECK(a.required_accumulator_bits() == 13);
  CHECK(models::synapse_term(a, 255, models::extreme_code(a, false)) == -255);  // w = 0
  CHECK(models::synapse_term(a, 255, models::extreme_code(a, true)) == 0);      // w = 255
  CHECK(a.describe() == "adder K=9 XW=8 WW=8 AW=32 arch=tree");
  // Hot paths look the terms up in a table asked of the golden model once: every entry is its term.
  const std::int64_t* table = models::term_table(a);
  REQUIRE(table != nullptr);
  CHECK(models::term_table(a) == table);  // computed once
  for (std::uint32_t code = 0; code < 256; ++code)
    for (std::uint32_t x = 0; x < 256; ++x)
      if (table[(code << 8) | x] != models::synapse_term(a, x, code)) FAIL_CHECK("term table differs at x=" << x << " code=" << code);
  auto wide = a;
  wide.XW = 11;  // 11 + 8 bits: more than 2^18 pairs, no table
  CHECK(models::term_table(wide) == nullptr);
  CHECK(models::term_table(models::KernelParams{neuroppa::models::kind_named("mac")}) != nullptr);  // built-ins too

  // ternary has no np_term_bounds: the range comes from trying every pair.
  const models::KernelParams t{ternary, 9, 8, models::default_code_bits(ternary, 8), 32};
  CHECK(t.code_bits() == 2);
  CHECK(models::term_range(t) == std::pair<std::int64_t, std::int64_t>{-255, 255});
  for (const bool negative : {false, true})
    for (std::uint32_t x : {0u, 1u, 200u, 255u}) CHECK(models::synapse_term(t, x, models::zero_code(t, negative)) == 0);
  CHECK(t.describe() == "ternary K=9 XW=8 AW=32");

  auto too_wide = a;
  too_wide.XW = 17;
  CHECK(models::validate(too_wide).value_or("") == "XW=17 is out of range for adder: its package takes XW 1..16");
  auto booth = a;
  booth.arch = KernelArch::booth_csa;
  CHECK(models::validate(booth).value_or("") == "arch booth-csa does not exist for adder: its package has chain, tree, csa");
  CHECK(kernels::kind_names().find("adder") != std::string::npos);
  CHECK(kernels::package_of(adder).origin == (examples() / "adder").string());
}

TEST_CASE("example packages: RTL equals the golden model at every arch, 100,000 beats") {
  for (const char* name : {"adder", "ternary"}) {
    CAPTURE(name);
    const app::VerifyResult r =
        verify(kind_named(name), {KernelArch::chain, KernelArch::tree, KernelArch::csa}, false, 100000);
    REQUIRE(r.kernels.size() == 3);
    for (const auto& k : r.kernels) {
      CAPTURE(k.describe());
      CHECK(k.result.beats == 100000);
      CHECK(k.result.outputs > 10000);
      CHECK(k.result.mismatches == 0);
    }
  }
}

TEST_CASE("example packages: gate level on osu018 equals the golden model") {
  // adder's tree is the netlist Verilator 5.006's DFG pass miscompiled.
  const app::VerifyResult r = verify(kind_named("adder"), {KernelArch::tree}, true, 20000);
  REQUIRE(r.kernels.size() == 1);
  CHECK(r.kernels[0].result.mismatches == 0);
  CHECK(r.kernels[0].result.outputs > 2000);
  const app::VerifyResult t = verify(kind_named("ternary"), {KernelArch::csa}, true, 20000);
  REQUIRE(t.kernels.size() == 1);
  CHECK(t.kernels[0].result.mismatches == 0);
}

TEST_CASE("a golden model made wrong: verify fails and shows the first mismatching beat") {
  // Off by one for large positive differences: a plausible bug.
  load(adder_copy("adder-wrong", [](std::string& g) {
    replace(g, "return d < 0 ? d : -d;", "return d < 0 ? d : (d > 200 ? 1 - d : -d);");
  }));
  const app::VerifyResult r = verify(*models::parse_kernel_kind("adder-wrong"), {}, false, 20000);
  REQUIRE(r.kernels.size() == 1);
  CHECK(r.failed() == 1);
  CHECK(r.kernels[0].result.mismatches > 0);
  const std::string text = r.kernels[0].describe();
  CHECK(text.find("first mismatch at cycle") != std::string::npos);
  CHECK(text.find("expected valid=true") != std::string::npos);
}

TEST_CASE("golden sources that cannot be used: one error naming the package") {
  load(adder_copy("adder-broken", [](std::string& g) { g += "int unfinished(\n"; }));
  const KernelKind broken = *models::parse_kernel_kind("adder-broken");
  try {
    kernels::prepare_kinds(std::vector{broken});
    FAIL("no error");
  } catch (const Error& e) {
    const std::string what = e.what();
    CHECK(what.find("kernel package adder-broken: golden model ") != std::string::npos);
    CHECK(what.find("does not compile (cc exit status 1); full log: ") != std::string::npos);
    const std::string log = what.substr(what.find("full log: ") + 10, what.find('\n') - what.find("full log: ") - 10);
    CHECK(base::read_file(log).find("error:") != std::string::npos);
  }

  load(adder_copy("adder-nameless", [](std::string& g) { replace(g, "np_synapse_term", "synapse_term"); }));
  CHECK_THROWS_WITH_AS(kernels::prepare_kinds(std::vector{*models::parse_kernel_kind("adder-nameless")}),
                       doctest::Contains("golden.c defines no np_synapse_term (with C linkage"), Error);

  load(adder_copy("adder-future", [](std::string& g) {
    replace(g, "return NP_KERNEL_ABI_VERSION;", "return 7;");
  }));
  CHECK_THROWS_WITH_AS(kernels::prepare_kinds(std::vector{*models::parse_kernel_kind("adder-future")}),
                       doctest::Contains("np_kernel_abi_version() gives 7; this neuroppa speaks ABI versions 1 to 4"), Error);
}

namespace {

// A user's whole-kernel package: the built-in mac's files (kernels/packages/mac) as a package of
// its own, module np_mac_kernel renamed `top`, its RTL text edited by `edit`.
fs::path whole_mac_copy(const std::string& name, const std::string& top,
                        const std::function<void(std::string&)>& edit = [](std::string&) {},
                        const std::string& golden_append = "") {
  const fs::path dir = test::temp_dir("whole-" + name) / name;
  fs::create_directories(dir);
  const fs::path mac = test::source_dir() / "kernels" / "packages" / "mac";
  std::string manifest = base::read_file(mac / "kernel.toml");
  replace(manifest, "name = \"mac\"", "name = \"" + name + "\"");
  replace(manifest, "top = \"np_mac_kernel\"", "top = \"" + top + "\"");
  replace(manifest, "files = [\"np_mac_kernel.sv\"]", "files = [\"" + top + ".sv\"]");
  base::write_file(dir / "kernel.toml", manifest);
  std::string rtl = base::read_file(mac / "np_mac_kernel.sv");
  replace(rtl, "module np_mac_kernel #(", "module " + top + " #(");
  edit(rtl);
  base::write_file(dir / (top + ".sv"), rtl);
  base::write_file(dir / "golden.c", base::read_file(mac / "golden.c") + golden_append);
  load(dir);
  return dir;
}

// mac with a saturating accumulator: the sum clamps at the AW-bit range instead of wrapping.
const std::string kSaturatingAccumulator = R"(
module sat_accumulator #(
  parameter int unsigned AW = 32,
  parameter int unsigned SYNC_RESET = 0
) (
  input  logic          clk_i,
  input  logic          rst_ni,
  input  logic          valid_i,
  input  logic          first_i,
  input  logic          last_i,
  input  logic [AW-1:0] beat_sum_i,
  output logic [AW-1:0] acc_o,
  output logic          capture_o,
  output logic          valid_o
);
  logic [AW-1:0] acc_q, start;
  logic [AW:0]   wide;
  logic          valid_q;
  assign start = first_i ? '0 : acc_q;
  assign wide = {start[AW-1], start} + {beat_sum_i[AW-1], beat_sum_i};
  assign acc_o = (wide[AW] != wide[AW-1]) ? (wide[AW] ? {1'b1, {(AW-1){1'b0}}} : {1'b0, {(AW-1){1'b1}}})
                                          : wide[AW-1:0];
  assign capture_o = valid_i && last_i;
  np_register #(.W(AW), .SYNC_RESET(SYNC_RESET)) u_acc_q (.clk_i, .rst_ni, .en_i(valid_i), .d_i(acc_o), .q_o(acc_q));
  np_register #(.W(1), .SYNC_RESET(SYNC_RESET)) u_valid_q (.clk_i, .rst_ni, .en_i(1'b1), .d_i(capture_o), .q_o(valid_q));
  assign valid_o = valid_q;
endmodule
)";

// Its golden step in C: state {acc, valid, y}, the sum wrapped at AW, then added with saturation.
const std::string kSaturatingStep = R"(
static int64_t wrap_bits(uint64_t v, uint32_t bits) {
  if (bits >= 64) return (int64_t)v;
  const uint64_t sign = (uint64_t)1 << (bits - 1), low = v & ((sign << 1) - 1);
  return (int64_t)((low ^ sign) - sign);
}
uint32_t np_kernel_state_words(const np_kernel_params* p) { (void)p; return 3; }
void np_kernel_reset(const np_kernel_params* p, uint64_t* s) { (void)p; s[0] = s[1] = s[2] = 0; }
void np_kernel_step(const np_kernel_params* p, uint64_t* s, const np_beat* b, np_outputs* out) {
  const int fire = b->valid && b->last;
  if (b->valid) {
    uint64_t sum = 0;
    for (uint32_t k = 0; k < p->K; ++k) sum += (uint64_t)np_synapse_term(p, b->x[k], b->w[k]);
    const int64_t start = b->first ? 0 : (int64_t)s[0], max = (int64_t)(((uint64_t)1 << (p->AW - 1)) - 1);
    __int128 acc = (__int128)start + wrap_bits(sum, p->AW);
    if (acc > max) acc = max;
    if (acc < -max - 1) acc = -max - 1;
    s[0] = (uint64_t)(int64_t)acc;
    if (fire) {
      const int64_t biased = wrap_bits((uint64_t)(int64_t)acc + (uint64_t)b->bias, p->AW);
      const uint64_t y_max = ((uint64_t)1 << p->XW) - 1;
      uint64_t y = (biased < 0 || b->shift >= p->AW) ? 0 : (uint64_t)biased >> b->shift;
      s[2] = y > y_max ? y_max : y;
    }
  }
  s[1] = (uint64_t)fire;
  out->valid = (uint32_t)s[1];
  out->y = (uint32_t)s[2];
  out->v = 0;
}
)";

void use_saturating_accumulator(std::string& rtl) {
  replace(rtl, "np_accumulator #(.AW(AW), .SYNC_RESET(SYNC_RESET)) u_acc (",
          "sat_accumulator #(.AW(AW), .SYNC_RESET(SYNC_RESET)) u_acc (");
  rtl += kSaturatingAccumulator;
}

}  // namespace

TEST_CASE("a whole kernel of a user's (shape = kernel): its sources, parameters, and RTL equal to its golden model") {
  whole_mac_copy("mac-whole", "mw_kernel");
  const KernelKind kind = *models::parse_kernel_kind("mac-whole");
  CHECK_FALSE(kernels::package_of(kind).builtin);
  CHECK(kernels::top_module(kind) == "mw_kernel");
  const auto sources = kernels::rtl_sources(kind);
  CHECK(sources.back().name == "pkg_mw_kernel.sv");  // after neuroppa's shared blocks, named apart from them
  CHECK(kernels::rtl_parameters(models::KernelParams{kind, 9, 8, 8, 32, KernelArch::csa}) ==
        std::vector<std::pair<std::string, std::string>>{{"K", "9"}, {"XW", "8"}, {"WW", "8"}, {"AW", "32"}, {"ARCH", "2"}});
  // csa here; chain, tree and Booth in the saturating-accumulator test below (the same RTL but its accumulator).
  const app::VerifyResult r = verify(kind, {KernelArch::csa}, false, 20000);
  REQUIRE(r.kernels.size() == 1);
  for (const auto& k : r.kernels) {
    CAPTURE(k.params.describe());
    CHECK(k.result.mismatches == 0);
    CHECK(k.result.outputs > 1000);
  }
}

TEST_CASE("a whole kernel with state of its own: its golden np_kernel_step is what verify checks") {
  // mac with a saturating accumulator, its step in C: every arch, with the pipeline register too.
  whole_mac_copy("mac-sat", "mac_sat_kernel", use_saturating_accumulator, kSaturatingStep);
  const KernelKind sat = *models::parse_kernel_kind("mac-sat");
  const app::VerifyResult r = verify(sat, {KernelArch::chain, KernelArch::tree, KernelArch::booth_csa}, false, 20000);
  REQUIRE(r.kernels.size() == 3);
  for (const auto& k : r.kernels) {
    CAPTURE(k.params.describe());
    CHECK(k.result.mismatches == 0);
    CHECK(k.result.outputs > 1000);
  }
  models::KernelParams pipelined{sat, 9, 8, 8, 32, KernelArch::tree};
  pipelined.pipeline = 1;
  pipelined.AW = pipelined.required_accumulator_bits();  // a tight accumulator saturates often
  {
    models::KernelGolden golden(pipelined);
    sim::KernelHarness dut(vmodel::ModelCache(test::model_cache_dir()).load(sim::kernel_rtl_spec(pipelined)), pipelined);
    models::BeatStream stream(pipelined, 3);
    const auto result = sim::run_regression(dut, golden, stream, 20000);
    CHECK(result.mismatches == 0);
  }
  // The same RTL judged by the term alone (a golden model without the step) disagrees: the step is
  // what models the saturation.
  whole_mac_copy("mac-sat-term", "mac_sat_term_kernel", use_saturating_accumulator);
  models::KernelParams tight{*models::parse_kernel_kind("mac-sat-term"), 9, 8, 8, 32, KernelArch::tree};
  tight.AW = tight.required_accumulator_bits();
  models::KernelGolden term_only(tight);
  sim::KernelHarness dut(vmodel::ModelCache(test::model_cache_dir()).load(sim::kernel_rtl_spec(tight)), tight);
  models::BeatStream stream(tight, 3);
  CHECK(sim::run_regression(dut, term_only, stream, 20000).mismatches > 0);
}

TEST_CASE("a kernel step that is half there, or in a synapse package: one error naming the package") {
  whole_mac_copy("mac-half-step", "mac_half_step_kernel", [](std::string&) {},
                 "\nvoid np_kernel_step(const np_kernel_params* p, uint64_t* s, const np_beat* b, np_outputs* o) {\n"
                 "  (void)p; (void)s; (void)b; o->valid = 0; o->y = 0; o->v = 0;\n}\n");
  CHECK_THROWS_WITH_AS(kernels::prepare_kinds(std::vector{*models::parse_kernel_kind("mac-half-step")}),
                       doctest::Contains("defines 1 of np_kernel_state_words, np_kernel_reset and np_kernel_step"), Error);
  load(adder_copy("adder-step", [](std::string& g) { g += kSaturatingStep; }));
  CHECK_THROWS_WITH_AS(kernels::prepare_kinds(std::vector{*models::parse_kernel_kind("adder-step")}),
                       doctest::Contains("its golden model defines np_kernel_step, which is for whole kernels"), Error);
}

TEST_CASE("a whole kernel that breaks the port contract: one error naming the package, the file and the port") {
  struct Case {
    std::string name, from, to, fault;
  };
  const std::vector<Case> cases = {
      {"w-port-name", "input  logic [np_pkg::ShiftW-1:0] shift_i,", "input  logic [np_pkg::ShiftW-1:0] sh_i,",
       "module w_port_name has no port shift_i"},
      {"w-width", "input  logic [K*XW-1:0] x_i,", "input  logic [K*XW:0] x_i,",
       "port x_i of w_width is 25 bits where mac-w-width"},
      {"w-syntax", "logic          capture;", "logic          capture",
       "does not elaborate with neuroppa's shared blocks"},
  };
  for (const Case& c : cases) {
    CAPTURE(c.name);
    std::string top = c.name;
    std::replace(top.begin(), top.end(), '-', '_');
    const fs::path dir = whole_mac_copy("mac-" + c.name, top, [&](std::string& rtl) { replace(rtl, c.from, c.to); });
    try {
      kernels::prepare_kinds(std::vector{*models::parse_kernel_kind("mac-" + c.name)});
      FAIL("no error");
    } catch (const Error& e) {
      const std::string what = e.what();
      CAPTURE(what);
      CHECK(what.find("kernel package mac-" + c.name + " (" + (dir / (top + ".sv")).string() + "): ") == 0);
      CHECK(what.find(c.fault) != std::string::npos);
      CHECK(what.find('\n') == std::string::npos);
    }
  }
}

TEST_CASE("the command line takes a package kind: verify --kernel-path") {
  const test::CommandResult r = test::run_command({NEUROPPA_BINARY, "--quiet", "verify", "--kernel-path",
                                                   examples().string(), "--kinds", "ternary", "--beats", "2000"});
  CHECK(r.status == 0);
  CHECK(r.out.find("ternary K=9 XW=8 AW=32 arch=tree") != std::string::npos);
  CHECK(r.out.find("PASS: 1 of 1") != std::string::npos);
  const test::CommandResult unknown =
      test::run_command({NEUROPPA_BINARY, "--quiet", "verify", "--kernel-path", examples().string(), "--kinds", "tenary"});
  CHECK(unknown.status == 2);
  CHECK(unknown.err.find("unknown kernel 'tenary'; choose from mac, shift, threshold, spike, sigma-delta, adder, ternary or all") !=
        std::string::npos);
}

TEST_CASE("a synapse module that breaks the port contract: one error naming the package, the file and the fault") {
  // A copy of the ternary example named `name`, its synapse module's text replaced.
  const auto ternary_with = [](const std::string& name, const std::string& module) {
    const fs::path dir = test::temp_dir("contract-" + name) / name;
    fs::copy(examples() / "ternary", dir, fs::copy_options::recursive);
    std::string manifest = base::read_file(dir / "kernel.toml");
    replace(manifest, "name = \"ternary\"", "name = \"" + name + "\"");
    base::write_file(dir / "kernel.toml", manifest);
    base::write_file(dir / "ternary_synapse.sv", module);
    load(dir.parent_path());
    return *models::parse_kernel_kind(name);
  };
  const std::string head = "module ternary_synapse #(parameter int unsigned XW = 8, parameter int unsigned TW = 9) (\n";
  const std::string body =
      ");\n  logic [TW-1:0] x;\n  assign x = TW'(x_i);\n  assign term_o = !code_i[0] ? '0 : code_i[1] ? -x : x;\nendmodule\n";
  struct Case {
    std::string name, module, fault;
  };
  const std::vector<Case> cases = {
      {"t-port-name", head + "  input logic [XW-1:0] x, input logic [1:0] code_i, output logic [TW-1:0] term_o\n" +
                          ");\n  assign term_o = code_i[0] ? TW'(x) : '0;\nendmodule\n",
       "module ternary_synapse has no port x_i"},
      {"t-fixed-width", head + "  input logic [XW-1:0] x_i, input logic [1:0] code_i, output logic [8:0] term_o\n" +
                            ");\n  assign term_o = code_i[0] ? 9'(x_i) : '0;\nendmodule\n",
       "port term_o of ternary_synapse is 9 bits where TW = 21 asks 21"},
      {"t-code-width", head + "  input logic [XW-1:0] x_i, input logic [2:0] code_i, output logic [TW-1:0] term_o\n" + body,
       "port code_i of ternary_synapse is 3 bits where the code width 2 asks 2"},
      {"t-clocked", head + "  input logic clk_i, input logic [XW-1:0] x_i, input logic [1:0] code_i,\n" +
                        "  output logic [TW-1:0] term_o\n);\n  always_ff @(posedge clk_i) term_o <= TW'(x_i);\nendmodule\n",
       "has a port the contract does not know (clk_i)"},
      {"t-syntax", head + "  input logic [XW-1:0] x_i, input logic [1:0] code_i, output logic [TW-1:0] term_o\n" +
                       ");\n  assign term_o = ;\nendmodule\n",
       "the synapse module does not elaborate: "},
  };
  for (const Case& c : cases) {
    CAPTURE(c.name);
    const KernelKind kind = ternary_with(c.name, c.module);
    try {
      kernels::prepare_kinds(std::vector{kind});
      FAIL("no error");
    } catch (const Error& e) {
      const std::string what = e.what();
      CHECK(what.find("kernel package " + c.name + " (") == 0);
      CHECK(what.find("ternary_synapse.sv): ") != std::string::npos);
      CAPTURE(what);
      CHECK(what.find(c.fault) != std::string::npos);
      CHECK(what.find('\n') == std::string::npos);
    }
  }
}

TEST_CASE("a package's own parameter: in the golden model, the RTL, the names and the ranges") {
  // Ternary weights scaled by 2^S: term = +-(x << S), S a parameter of the package's own.
  const fs::path dir = test::temp_dir("own-parameter") / "ternary-shift";
  fs::create_directories(dir);
  base::write_file(dir / "kernel.toml", R"([kernel]
name = "ternary-shift"
description = "ternary weights scaled by 2^S"
backend = "output-stage"
trainer = "term-table"

[parameters]
XW = { default = 8, min = 1, max = 12 }
S = { default = 1, min = 0, max = 3 }

[widths]
activation = "XW"
code = "2"

[rtl]
shape = "synapse"
top = "ternary_shift_synapse"
files = ["ternary_shift_synapse.sv"]
parameters = ["XW", "S"]
archs = ["chain", "tree", "csa"]
default_arch = "tree"

[golden]
source = "golden.c"
)");
  base::write_file(dir / "ternary_shift_synapse.sv", R"(module ternary_shift_synapse #(
  parameter int unsigned XW = 8, parameter int unsigned S = 1, parameter int unsigned TW = 12
) (input logic [XW-1:0] x_i, input logic [1:0] code_i, output logic [TW-1:0] term_o);
  logic [TW-1:0] x;
  assign x = TW'(x_i) << S;
  assign term_o = !code_i[0] ? '0 : code_i[1] ? -x : x;
endmodule
)");
  base::write_file(dir / "golden.c", R"(#include "neuroppa_kernel.h"
uint32_t np_kernel_abi_version(void) { return NP_KERNEL_ABI_VERSION; }
int64_t np_synapse_term(const np_kernel_params* p, uint32_t x, uint32_t code) {
  const int64_t scaled = (int64_t)x << p->own[0];
  if (p->own_count != 1 || !(code & 1u)) return 0;
  return (code & 2u) ? -scaled : scaled;
}
)");
  load(dir.parent_path());
  const KernelKind kind = *models::parse_kernel_kind("ternary-shift");
  kernels::prepare_kinds(std::vector{kind});  // the contract check elaborates S at its default

  models::KernelParams p{kind, 9, 8, 0, 32, KernelArch::tree};
  CHECK(models::own_values(p)[0] == 1);  // the default
  CHECK(p.describe() == "ternary-shift K=9 XW=8 S=1 AW=32 arch=tree");
  CHECK(models::synapse_term(p, 100, 3) == -200);
  kernels::set_own_parameters(p, {{"S", 3}, {"B", 2}});  // B is another kind's
  CHECK(p.describe() == "ternary-shift K=9 XW=8 S=3 AW=32 arch=tree");
  CHECK(models::synapse_term(p, 100, 1) == 800);
  CHECK(models::term_range(p) == std::pair<std::int64_t, std::int64_t>{-255 * 8, 255 * 8});
  const auto params = kernels::rtl_parameters(p);
  CHECK(std::find(params.begin(), params.end(), std::pair<std::string, std::string>{"S", "3"}) != params.end());
  auto out_of_range = p;
  out_of_range.own[0] = 4;
  CHECK(models::validate(out_of_range).value_or("") == "S=4 is out of range for ternary-shift: its package takes S 0..3");

  // RTL against the golden model at both ends of S, every arch.
  for (const unsigned S : {0u, 3u}) {
    CAPTURE(S);
    app::VerifyRequest r;
    r.kinds = {kind};
    r.archs = {KernelArch::chain, KernelArch::tree, KernelArch::csa};
    r.beats = 20000;
    r.own_parameters = {{"S", S}};
    app::Context context;
    context.cache_dir = test::model_cache_dir();
    const app::VerifyResult v = app::verify(r, context);
    REQUIRE(v.kernels.size() == 3);
    CHECK(v.failed() == 0);
    CHECK(v.kernels[0].params.describe().find(fmt::format("S={}", S)) != std::string::npos);
  }

  const std::vector<KernelKind> kinds{neuroppa::models::kind_named("mac"), kind};
  CHECK(kernels::parse_own_parameters("S=2", kinds, "--param") == std::vector<std::pair<std::string, unsigned>>{{"S", 2}});
  CHECK_THROWS_WITH_AS(kernels::parse_own_parameters("Q=2", kinds, "--param"),
                       "--param Q=2: no kernel asked for has a parameter Q", Error);
  CHECK_THROWS_WITH_AS(kernels::parse_own_parameters("S=two", kinds, "--param"),
                       "--param 'S=two': give NAME=VALUE, a whole number, e.g. B=4", Error);
}
