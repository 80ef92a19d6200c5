// The kernel catalogue: one entry per kind, the RTL it names, the ports and
// parameters derived from it, and the widths the RTL package shares with C++.
#include <doctest/doctest.h>

#include <regex>
#include <set>
#include <vector>
#include <string>

#include "neuroppa/base/error.hpp"
#include "neuroppa/kernels/catalogue.hpp"
#include "neuroppa/kernels/package.hpp"

using namespace neuroppa;
using models::KernelKind;

TEST_CASE("catalogue: every kind once, the built-ins first with their RTL compiled in") {
  std::set<KernelKind> seen;
  const std::vector<kernels::KernelTraits> catalogue = kernels::catalogue();
  for (const auto& t : catalogue) {
    CAPTURE(t.name);
    CHECK(seen.insert(t.kind).second);
    CHECK(models::to_string(t.kind) == t.name);
    CHECK(kernels::traits(t.kind).top == t.top);
    const std::string top = kernels::top_module(t.kind);
    const auto sources = kernels::rtl_sources(t.kind);
    REQUIRE(sources.size() >= 2);
    CHECK(sources.front().name == "np_pkg.sv");  // the package compiles first
    CHECK(sources.back().text.find("module " + top + " ") != std::string::npos);  // the top comes last
    const auto has = [&](std::string_view file) {
      return std::any_of(sources.begin(), sources.end(), [&](const auto& s) { return s.name == file; });
    };
    const models::Backend backend = models::backend_of(t.kind);
    CHECK(has("np_output_stage.sv") == (backend == models::Backend::output_stage));
    CHECK(has("np_membrane.sv") == (backend == models::Backend::membrane));
    CHECK(has("np_sigma_delta.sv") == (backend == models::Backend::sigma_delta));
  }
  CHECK(seen.size() == models::all_kernel_kinds().size());
  const std::vector<KernelKind> builtins = neuroppa::models::builtin_kernel_kinds();
  REQUIRE(builtins.size() == 5);
  const char* names[] = {"mac", "shift", "threshold", "spike", "sigma-delta"};
  for (std::size_t i = 0; i < builtins.size(); ++i) {
    CHECK(catalogue[i].kind == builtins[i]);  // the built-ins first, in their order
    CHECK(catalogue[i].name == names[i]);
    CHECK(kernels::package_of(builtins[i]).builtin);
  }
  CHECK(kernels::baseline_kind() == builtins[0]);
  CHECK(kernels::kind_names().starts_with("mac, shift, threshold, spike, sigma-delta"));
}

TEST_CASE("catalogue: the RTL package's widths equal the golden models'") {
  const std::string pkg(kernels::rtl_text("np_pkg.sv"));
  const auto value = [&](const std::string& name) {
    std::smatch m;
    REQUIRE(std::regex_search(pkg, m, std::regex("localparam int unsigned " + name + "\\s*=\\s*(\\d+);")));
    return std::stoul(m[1]);
  };
  CHECK(value("ShiftW") == models::kShiftBits);
  CHECK(value("MaxK") == models::kMaxK);
  CHECK(value("MaxXW") == models::kMaxXW);
  CHECK(value("MaxWW") == models::kMaxWW);
  CHECK(value("MaxAW") == models::kMaxAW);
  CHECK(value("ArchChain") == unsigned(models::KernelArch::chain));
  CHECK(value("ArchTree") == unsigned(models::KernelArch::tree));
  CHECK(value("ArchCsa") == unsigned(models::KernelArch::csa));
  CHECK(value("ArchBoothCsa") == unsigned(models::KernelArch::booth_csa));
  CHECK(value("ArchShiftAdd") == unsigned(models::KernelArch::shift_add));
}

TEST_CASE("catalogue: micro-architectures by name, in the RTL parameters and the description") {
  CHECK(kernels::arch_names() == "chain, tree, csa, booth-csa, shift-add");
  CHECK(kernels::parse_archs("all", "--arch").size() == 5);
  CHECK(kernels::parse_archs("default", "--arch").empty());
  CHECK(kernels::parse_archs("csa,tree", "--arch") ==
        std::vector<models::KernelArch>{models::KernelArch::csa, models::KernelArch::tree});
  CHECK_THROWS_WITH(
      kernels::parse_archs("tree,wallace", "--arch"),
      "--arch tree,wallace: unknown micro-architecture 'wallace'; choose from chain, tree, csa, booth-csa, shift-add or all");
  CHECK_THROWS_WITH(kernels::parse_archs("", "--arch"),
                    "--arch: give at least one micro-architecture (chain, tree, csa, booth-csa, shift-add)");
  models::KernelParams p{neuroppa::models::kind_named("threshold"), 9, 8, 9, 32};
  CHECK(p.describe() == "threshold K=9 XW=8 AW=32");  // chain: as before
  CHECK(kernels::rtl_parameters(p).size() == 3);       // chain is the RTL's default
  p.arch = models::KernelArch::csa;
  CHECK(p.describe() == "threshold K=9 XW=8 AW=32 arch=csa");
  CHECK(kernels::rtl_parameters(p).back() == std::pair<std::string, std::string>{"ARCH", "2"});
  p.reset = models::ResetStyle::sync;
  p.pipeline = 1;
  CHECK(p.describe() == "threshold K=9 XW=8 AW=32 arch=csa reset=sync pipeline=1");
  CHECK(kernels::rtl_parameters(p) == std::vector<std::pair<std::string, std::string>>{
                                          {"K", "9"}, {"XW", "8"}, {"AW", "32"}, {"ARCH", "2"}, {"SYNC_RESET", "1"},
                                          {"PIPELINE", "1"}});
  p.pipeline = 2;
  CHECK(models::validate(p) ==
        "pipeline=2 is out of range: 0 (none) or 1 (a register between the synapse datapath and the accumulator)");
}

TEST_CASE("catalogue: Booth exists for mac only; each kind has a default arch; reset styles by name") {
  using models::KernelArch;
  const std::vector<KernelKind> all = neuroppa::models::builtin_kernel_kinds();
  const std::vector<KernelArch> booth = {KernelArch::booth_csa};
  CHECK(kernels::arch_kind_pairs(booth, all, "--arch") ==
        std::vector<std::pair<KernelArch, KernelKind>>{{KernelArch::booth_csa, neuroppa::models::kind_named("mac")}});
  CHECK_THROWS_WITH(kernels::arch_kind_pairs(booth, std::vector<KernelKind>{neuroppa::models::kind_named("threshold")}, "--arch"),
                    "--arch booth-csa: no such micro-architecture for the kernels asked for; it exists for mac");
  // "all": each kind takes the archs it has, without complaint.
  const auto every = kernels::parse_archs("all", "--arch");
  CHECK(kernels::arch_kind_pairs(every, std::vector<KernelKind>{neuroppa::models::kind_named("spike")}, "--arch").size() == 3);
  // No arch: each kind's default, which exists for it.
  const auto defaults = kernels::arch_kind_pairs(std::vector<KernelArch>{}, all, "--arch");
  REQUIRE(defaults.size() == 5);
  for (const auto& [arch, kind] : defaults) {
    CHECK(arch == models::default_arch(kind));
    CHECK(models::arch_exists(kind, arch));
  }
  CHECK(kernels::default_archs().starts_with("mac "));
  models::KernelParams p{neuroppa::models::kind_named("shift"), 9, 8, 4, 32, KernelArch::booth_csa};
  CHECK(models::validate(p).value_or("").starts_with("arch booth-csa does not exist for shift"));
  CHECK(kernels::parse_reset("sync", "--reset") == models::ResetStyle::sync);
  CHECK_THROWS_WITH(kernels::parse_reset("both", "--reset"), "--reset both: unknown reset style; choose from async, sync");
}

TEST_CASE("catalogue: ports and parameters follow the kind") {
  const models::KernelParams thr{neuroppa::models::kind_named("threshold"), 9, 8, 9, 32};
  const auto params = kernels::rtl_parameters(thr);
  CHECK(params == std::vector<std::pair<std::string, std::string>>{{"K", "9"}, {"XW", "8"}, {"AW", "32"}});
  const models::KernelParams spike{neuroppa::models::kind_named("spike"), 5, 8, 6, 24};
  CHECK(kernels::rtl_parameters(spike) ==
        std::vector<std::pair<std::string, std::string>>{{"K", "5"}, {"WW", "6"}, {"AW", "24"}});
  const auto width = [](const std::vector<kernels::KernelPort>& ports, const std::string& name) -> int {
    for (const auto& p : ports)
      if (p.name == name) return int(p.width);
    return -1;
  };
  const auto tp = kernels::ports(thr);
  CHECK(width(tp, "x_i") == 9 * 8);
  CHECK(width(tp, "w_i") == 9 * 9);
  CHECK(width(tp, "shift_i") == int(models::kShiftBits));
  CHECK(width(tp, "y_o") == 8);
  CHECK(width(tp, "v_o") == -1);
  const auto sp = kernels::ports(spike);
  CHECK(width(sp, "x_i") == 5);
  CHECK(width(sp, "w_i") == 30);
  CHECK(width(sp, "v_i") == 24);
  CHECK(width(sp, "spike_o") == 1);
  CHECK(width(sp, "shift_i") == -1);
  CHECK_THROWS_AS(kernels::rtl_parameters({neuroppa::models::kind_named("mac"), 0, 8, 8, 32}), Error);
  // sigma-delta: graded spikes of XW bits in and out, its state in and out, no chain.
  const models::KernelParams sd{neuroppa::models::kind_named("sigma-delta"), 4, 3, 5, 20, models::KernelArch::shift_add};
  CHECK(kernels::rtl_parameters(sd) == std::vector<std::pair<std::string, std::string>>{
                                           {"K", "4"}, {"XW", "3"}, {"WW", "5"}, {"AW", "20"}, {"ARCH", "4"}});
  const auto sdp = kernels::ports(sd);
  CHECK(width(sdp, "x_i") == 12);
  CHECK(width(sdp, "w_i") == 20);
  CHECK(width(sdp, "shift_i") == int(models::kShiftBits));
  for (const char* port : {"vth_i", "sigma_i", "act_i", "residue_i", "sigma_o", "act_o", "residue_o"}) CHECK(width(sdp, port) == 20);
  CHECK(width(sdp, "spike_o") == 3);
  CHECK(width(sdp, "y_o") == -1);
  CHECK(models::validate({sd.kind, 9, 4, 8, 32, models::KernelArch::chain}).value_or("") ==
        "arch chain does not exist for sigma-delta: its package has tree, csa, shift-add");
  CHECK(models::validate({sd.kind, 9, 9, 8, 32, models::KernelArch::tree}).value_or("") ==
        "XW=9 is out of range for sigma-delta: its package takes XW 2..8");
}

TEST_CASE("catalogue: kinds as users type them") {
  CHECK(kernels::parse_kinds("mac,spike", "--kinds") == std::vector<KernelKind>{neuroppa::models::kind_named("mac"), neuroppa::models::kind_named("spike")});
  CHECK(kernels::parse_kinds("all", "--kinds").size() == 5);
  try {
    kernels::parse_kinds("mac,mult", "--kinds");
    FAIL("accepted an unknown kind");
  } catch (const Error& e) {
    CHECK(std::string(e.what()) ==
          "--kinds mac,mult: unknown kernel 'mult'; choose from mac, shift, threshold, spike, sigma-delta or all");
  }
  CHECK_THROWS_AS(kernels::parse_kinds(",", "--kinds"), Error);
}
