// Cross-checks against OpenSTA, which nobody here wrote.
#include <doctest/doctest.h>

#include <fmt/format.h>
#include <map>

#include "neuroppa/sim/kernel_models.hpp"
#include "neuroppa/tech/netlist.hpp"
#include "neuroppa/tech/opensta.hpp"
#include "neuroppa/tech/power.hpp"
#include "neuroppa/tech/static_timing.hpp"
#include "neuroppa/tech/synthesis.hpp"
#include "gcd_design.hpp"
#include "neuroppa/kernels/catalogue.hpp"
#include "kernel_fixtures.hpp"
#include "support.hpp"

using namespace neuroppa;
using namespace neuroppa::tech;
using namespace neuroppa::vmodel;
using namespace neuroppa::sim;
using models::KernelKind;

namespace {

// Each library read once per test run.
const Library& library(const std::string& node) {
  static std::map<std::string, Library> libraries;
  auto it = libraries.find(node);
  if (it == libraries.end()) it = libraries.emplace(node, read_liberty(resolve_library(node))).first;
  return it->second;
}

struct Synthesised {
  const Library& library;
  SynthesisResult synthesis;
  Netlist netlist;
};

Synthesised synthesised(KernelKind kind, const std::string& node) {
  const models::KernelParams p = test::default_kernel(kind);
  KernelNetlist k = synthesize_kernel(p, library(node), test::model_cache_dir());
  return {library(node), std::move(k.synthesis), std::move(k.netlist)};
}

}  // namespace

TEST_CASE("total power within 2% of OpenSTA's report_power at one global activity") {
  for (const char* node : {"osu018", "osu035"}) {
    for (KernelKind kind : neuroppa::models::builtin_kernel_kinds()) {
      const Synthesised s = synthesised(kind, node);
      Activity clock_only;
      clock_only.clock_nets = {s.netlist.find_port("clk_i")->bits[0]};
      for (double activity : {0.1, 0.5}) {
        CAPTURE(node);
        CAPTURE(models::to_string(kind));
        CAPTURE(activity);
        const StaDesign design{&s.library, s.synthesis.netlist_verilog, kernels::top_module(kind), "clk_i", 10e-9, {}};
        const StaPowerReport sta = opensta_power(design, activity, 0.5, test::temp_dir("sta"));
        PowerOptions o;
        o.frequency = 100e6;
        o.opensta_2019_compatible = true;
        o.global_activity = activity;
        const PowerReport ours = estimate_power(s.netlist, s.library, clock_only, o);
        CHECK(ours.total.total() == doctest::Approx(sta.total.total()).epsilon(0.02));
        CHECK(ours.total.switching == doctest::Approx(sta.total.switching).epsilon(0.02));
        CHECK(ours.total.internal == doctest::Approx(sta.total.internal).epsilon(0.02));
        CHECK(ours.total.leakage == doctest::Approx(sta.total.leakage).epsilon(0.02));
        // OpenSTA counts the clock pins' power in the sequential group.
        CHECK(ours.sequential.total() + ours.clock.total() ==
              doctest::Approx(sta.sequential.total()).epsilon(0.02));
      }
    }
  }
}

TEST_SUITE("shared") {
  TEST_CASE("gcd on SKY130 (clock tree, when-conditions, wire loads): within 2% of OpenSTA") {
    const auto& gcd = test::gcd_design();
    const auto& dir = gcd.dir;
    const Library& lib = gcd.library;
    const Netlist& n = gcd.netlist;
    const StaDesign design{&lib, dir / "gcd_sky130hd.v", "gcd", "clk", 5e-9, {}};
    Activity clock_only;
    clock_only.clock_nets = {n.find_port("clk")->bits[0]};
    for (double activity : {0.1, 0.5}) {
      CAPTURE(activity);
      const StaPowerReport sta = opensta_power(design, activity, 0.5, test::temp_dir("sta"));
      PowerOptions o;
      o.frequency = 200e6;
      o.opensta_2019_compatible = true;
      o.global_activity = activity;
      const PowerReport ours = estimate_power(n, lib, clock_only, o);
      CHECK(ours.total.total() == doctest::Approx(sta.total.total()).epsilon(0.02));
      CHECK(ours.total.internal == doctest::Approx(sta.total.internal).epsilon(0.02));
      CHECK(ours.total.switching == doctest::Approx(sta.total.switching).epsilon(0.02));
    }
  }
}

TEST_CASE("OpenSTA gives every kernel a critical path and f_max") {
  for (KernelKind kind : neuroppa::models::builtin_kernel_kinds()) {
    const Synthesised s = synthesised(kind, "osu018");
    const StaDesign design{&s.library, s.synthesis.netlist_verilog, kernels::top_module(kind), "clk_i", 10e-9, {}};
    const StaTimingReport t = opensta_timing(design, test::temp_dir("sta"));
    CAPTURE(models::to_string(kind));
    CHECK_FALSE(t.startpoint.empty());
    CHECK_FALSE(t.endpoint.empty());
    CHECK(t.min_period > 0.5e-9);  // a 32-bit accumulate in 0.18 um takes nanoseconds
    // The sigma-delta's end of timestep chains five AW-bit adds, a rounding add and two barrel
    // shifts after the accumulator (63 ns on osu018 at XW = 8).
    CHECK(t.min_period < (models::has_sigma_delta(kind) ? 100e-9 : 50e-9));
    CHECK(t.fmax() == doctest::Approx(1 / t.min_period));
    // neuroppa's own longest path (tech::static_timing) agrees within 5%.
    const StaticTiming ours = static_timing(s.netlist, s.library, "clk_i");
    MESSAGE(models::to_string(kind) << ": f_max neuroppa " << ours.fmax() / 1e6 << " MHz, OpenSTA " << t.fmax() / 1e6);
    CHECK(ours.fmax() == doctest::Approx(t.fmax()).epsilon(0.05));
  }
}
