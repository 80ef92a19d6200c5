// Place and route with qflow's graywolf and qrouter, qrouter's RC as SPEF,
// and the wires priced by neuroppa against OpenSTA reading the same SPEF.
#include <doctest/doctest.h>

#include <chrono>
#include <fmt/format.h>

#include "kernel_fixtures.hpp"
#include "neuroppa/base/error.hpp"
#include "neuroppa/base/file.hpp"
#include "neuroppa/kernels/catalogue.hpp"
#include "neuroppa/sim/kernel_models.hpp"
#include "neuroppa/tech/layout.hpp"
#include "neuroppa/tech/opensta.hpp"
#include "neuroppa/tech/power.hpp"
#include "neuroppa/tech/spef.hpp"
#include "neuroppa/tech/static_timing.hpp"
#include "neuroppa/tech/synthesis.hpp"
#include "support.hpp"

using namespace neuroppa;
using namespace neuroppa::tech;

namespace {

using test::osu018;

double mean_cap(const LibertyPin* p) { return (p->rise_capacitance + p->fall_capacitance) / 2; }

// a -> INVX1 u1 -> n1 -> XOR2X1 u2 (A; B from a) and INVX1 u3; u2 drives y[1],
// u3 drives z; y[0] is tied low.
Netlist small() {
  const Library& lib = osu018();
  const LibertyCell* inv = lib.find_cell("INVX1");
  const LibertyCell* x = lib.find_cell("XOR2X1");
  Netlist n;
  n.top = "small";
  n.net_names = {"a", "u_core.n1", "y[1]", "z"};
  n.net_by_name = {{"a", 0}, {"u_core.n1", 1}, {"y[1]", 2}, {"z", 3}};
  n.ports = {{"a", false, {0}}, {"y", true, {Netlist::kConst0, 2}}, {"z", true, {3}}};
  n.instances = {{"u1", inv, {{inv->find_pin("A"), 0}, {inv->find_pin("Y"), 1}}},
                 {"u2", x, {{x->find_pin("A"), 1}, {x->find_pin("B"), 0}, {x->find_pin("Y"), 2}}},
                 {"u3", inv, {{inv->find_pin("A"), 1}, {inv->find_pin("Y"), 3}}}};
  return n;
}

// What qrouter -d writes for it: a from its port to u1 and u2.B, n1 from u1.Y
// over an internal point to u2.A and u3.A.
const std::string kRc =
    "n0 1 PIN/n0 2 ( 10 0.001 INVX1_1/A , ( 20 0.002 XOR2X1_1/B ) ) \n"
    "n1 1 INVX1_1/Y 2 ( 100 0.002 ( 50 0.001 XOR2X1_1/A ) , ( 200 0.003 INVX1_2/A ) ) \n";

}  // namespace

TEST_CASE("layout BLIF: nets n<id>, ports once, constants tied to vdd/gnd, one .gate per instance in order") {
  const std::string blif = layout_blif(small());
  CHECK(blif == ".model small\n.inputs n0\n.outputs n2 n3\n.gate INVX1 A=n0 Y=n1\n.gate XOR2X1 A=n1 B=n0 Y=n2\n"
                ".gate INVX1 A=n1 Y=n3\n.end\n");
}

TEST_CASE("qrouter's RC trees as SPEF: the netlist's names, pi segments, Elmore delays to each pin") {
  const Netlist n = small();
  const std::string spef = qrouter_rc_to_spef(kRc, "small.rc", n);
  CHECK(spef.find("*D_NET u_core\\.n1 0.006\n") != std::string::npos);  // a hierarchical name escaped
  CHECK(spef.find("*P a I\n") != std::string::npos);
  CHECK(spef.find("*I u2:A I\n") != std::string::npos);
  const Parasitics p = read_spef(test::write_temp_file("small.spef", spef), n);
  CHECK(p.nets == 2);
  CHECK(p.wire_capacitance[0] == doctest::Approx(3e-15));
  CHECK(p.wire_capacitance[1] == doctest::Approx(6e-15));
  CHECK(p.resistor_loops == 0);
  const LibertyPin* xa = n.instances[1].cell->find_pin("A");
  const LibertyPin* ia = n.instances[2].cell->find_pin("A");
  // Segment C split between its ends: at the internal point 1 + 0.5 + 1.5 fF; at u2.A 0.5 fF, at u3.A 1.5 fF.
  const double c_x = 0.5e-15 + mean_cap(xa), c_i = 1.5e-15 + mean_cap(ia);
  const double at_point = 100 * (3e-15 + c_x + c_i);
  CHECK(p.wire_delay(1, 1, xa) == doctest::Approx(at_point + 50 * c_x));
  CHECK(p.wire_delay(1, 2, ia) == doctest::Approx(at_point + 200 * c_i));
  CHECK(p.wire_delay(0, 0, n.instances[0].cell->find_pin("A")) ==
        doctest::Approx(10 * (0.5e-15 + mean_cap(n.instances[0].cell->find_pin("A")) + 2e-15 + mean_cap(
                                                                                           n.instances[1].cell->find_pin("B")))));

  // A stub qrouter could not tie to a pin ("ERROR"): its wire counts, at a node of its own.
  const std::string stub = qrouter_rc_to_spef(
      "n1 1 INVX1_1/Y 2 ( 10 0.001 ( 5 0.002 ERROR ) , ( 20 0.003 XOR2X1_1/A ) , ( 5 0.001 INVX1_2/A ) )\n", "stub.rc", n);
  const Parasitics with_stub = read_spef(test::write_temp_file("stub.spef", stub), n);
  CHECK(with_stub.wire_capacitance[1] == doctest::Approx(7e-15));
  CHECK(with_stub.sink_delays[1].size() == 2);

  struct Case {
    std::string name, rc, fault;
  };
  const std::vector<Case> cases = {
      {"empty", "\n", "small.rc:1: no net"},
      {"not-a-net", "n1 1 INVX1_1/Y\n", "small.rc:1: not a net line"},
      {"other-net", "x7 1 INVX1_1/Y 1 ( 1 0.001 XOR2X1_1/A )\n", "small.rc:1: net 'x7' is not one neuroppa wrote"},
      {"order", "n1 1 INVX1_2/Y 1 ( 1 0.001 XOR2X1_1/A )\n",
       "small.rc:1: INVX1_2 is instance u3 of the netlist, whose pin Y is on n3, not n1"},
      {"unknown", "n1 1 NAND2X1_1/Y 1 ( 1 0.001 XOR2X1_1/A )\n", "small.rc:1: instance 'NAND2X1_1' is not one"},
      {"no-pin", "n1 1 INVX1_1/Q 1 ( 1 0.001 XOR2X1_1/A )\n", "has no connected pin Q"},
      {"port", "n1 1 PIN/n1 1 ( 1 0.001 XOR2X1_1/A )\n", "pin 'PIN/n1' is not a port of net n1"},
      {"negative", "n1 1 INVX1_1/Y 1 ( -1 0.001 XOR2X1_1/A )\n", "resistance '-1' is not a non-negative number"},
      {"open", "n1 1 INVX1_1/Y 1 ( 1 0.001 XOR2X1_1/A \n", "the tree ends before its ')'"},
      {"trailing", "n1 1 INVX1_1/Y 1 ( 1 0.001 XOR2X1_1/A ) )\n", "')' after the net's tree"},
      {"twice", kRc + kRc, "small.rc:3: net 'n0' is given twice"},
      {"two-nodes", "n1 1 INVX1_1/Y 1 ( 1 0.001 XOR2X1_1/A INVX1_2/A )\n", "'INVX1_2/A' after the record's node"},
  };
  for (const Case& c : cases) {
    CAPTURE(c.name);
    CHECK_THROWS_WITH_AS(qrouter_rc_to_spef(c.rc, "small.rc", n), doctest::Contains(c.fault.c_str()), Error);
  }
}

TEST_CASE("routed DEF: die area, wire length (with * coordinates) and vias") {
  const std::string def = R"(VERSION 5.6 ;
UNITS DISTANCE MICRONS 100 ;
DIEAREA ( -320 -300 ) ( 32000 23300 ) ;
NETS 2 ;
- a
  ( PIN a ) ( INVX1_1 A )
+ ROUTED metal1 ( 100 100 ) ( 300 * ) ( * 400 ) M2_M1
  NEW metal2 ( 300 400 ) ( 300 1400 ) ;
- b
  ( INVX1_1 Y ) ( XOR2X1_1 A )
+ ROUTED metal1 ( 0 0 ) M2_M1 ;
END NETS
SPECIALNETS 1 ;
- vdd
+ ROUTED metal1 120 + SHAPE STRIPE ( 0 0 ) ( 0 10000 ) ;
END SPECIALNETS
END DESIGN
)";
  const DefSummary s = summarise_def(def, "t.def");
  CHECK(s.die_area == doctest::Approx(323.2 * 236.0));
  CHECK(s.wire_length == doctest::Approx(2 + 3 + 10));
  CHECK(s.vias == 2);
  CHECK(s.routed_nets == 2);
  CHECK_THROWS_WITH_AS(summarise_def("NETS 0 ;\nEND NETS\n", "t.def"), "t.def: no DIEAREA", Error);
  CHECK_THROWS_WITH_AS(summarise_def("UNITS DISTANCE MICRONS 100 ;\nNETS 1 ;\n- a\n+ ROUTED metal1 ( 100", "t.def"),
                       "t.def: the file ends inside a point ( x y )", Error);
  CHECK_THROWS_WITH_AS(summarise_def("NETS 1 ;\n- a\n+ ROUTED metal1 ( 1 2 ) ( 3 * ) ;", "t.def"),
                       "t.def: routed wires before UNITS DISTANCE MICRONS", Error);
}

TEST_CASE("layout of a kernel with qflow: routed, extracted, cached; OpenSTA prices the SPEF as neuroppa does") {
  const models::KernelParams p = test::default_kernel(models::kind_named("threshold"));
  const sim::KernelNetlist k = sim::synthesize_kernel(p, osu018(), test::model_cache_dir());
  const Netlist& n = k.netlist;
  std::vector<std::string> said;
  const LayoutResult layout = place_and_route(n, osu018(), {}, test::model_cache_dir(), [&](std::string_view s) {
    said.emplace_back(s);
  });
  MESSAGE(fmt::format("{}: {:.0f} µm² of cells on {:.0f} µm² ({:.0f}%), {:.0f} µm of wire, {} vias, {} nets, {:.1f} s{}",
                      p.describe(), layout.cell_area, layout.core_area, 100 * layout.utilisation(), layout.wire_length,
                      layout.vias, layout.routed_nets, layout.seconds, layout.cached ? " (cached)" : ""));
  CHECK(layout.technology == "osu018");
  CHECK(layout.utilisation() > 0.3);
  CHECK(layout.utilisation() <= 1.0);
  CHECK(layout.wire_length > 1000);
  CHECK(layout.routed_nets > n.net_count() * 9 / 10);
  const Parasitics wires = read_spef(layout.spef, n);
  CHECK(wires.nets >= layout.routed_nets - 2);  // a routed net qrouter finds no driver for has no RC tree
  CHECK(wires.nets_with_resistance >= wires.nets - 2);  // a net whose one route qrouter gives no load
  CHECK(wires.resistor_loops == 0);
  CHECK(wires.max_wire_delay > 0);
  CHECK(wires.max_wire_delay < 1e-9);

  // Cached: the same files, said nothing.
  said.clear();
  const auto start = std::chrono::steady_clock::now();
  const LayoutResult again = place_and_route(n, osu018(), {}, test::model_cache_dir(), [&](std::string_view s) {
    said.emplace_back(s);
  });
  MESSAGE(fmt::format("cached: {:.3f} s",
                      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count()));
  CHECK(again.cached);
  CHECK(said.empty());
  CHECK(again.spef == layout.spef);
  CHECK(again.seconds == layout.seconds);

  // OpenSTA reads the same SPEF against the same netlist: power within 2% at one global activity.
  Activity clock_only;
  clock_only.clock_nets = {n.find_port("clk_i")->bits[0]};
  const StaDesign bare{&osu018(), layout.verilog, kernels::top_module(p.kind), "clk_i", 20e-9, {}};
  StaDesign wired = bare;
  wired.spef = layout.spef;
  // f_max with and without the wires: neuroppa's own longest path against OpenSTA's, within 5%.
  for (const bool with_wires : {false, true}) {
    CAPTURE(with_wires);
    const StaTimingReport sta = opensta_timing(with_wires ? wired : bare, test::temp_dir("sta-layout"));
    const StaticTiming ours = static_timing(n, osu018(), "clk_i", with_wires ? &wires : nullptr);
    MESSAGE(fmt::format("f_max {} wires: neuroppa {:.2f} MHz (to {}), OpenSTA {:.2f} MHz (to {})",
                        with_wires ? "with" : "without", ours.fmax() / 1e6, ours.endpoint, sta.fmax() / 1e6,
                        sta.endpoint));
    CHECK(ours.fmax() == doctest::Approx(sta.fmax()).epsilon(0.05));
  }

  for (double activity : {0.1, 0.3}) {
    CAPTURE(activity);
    const StaPowerReport sta = opensta_power(wired, activity, 0.5, test::temp_dir("sta-layout"));
    const StaPowerReport sta_bare = opensta_power(bare, activity, 0.5, test::temp_dir("sta-layout"));
    PowerOptions o;
    o.frequency = 50e6;
    o.opensta_2019_compatible = true;
    o.global_activity = activity;
    o.parasitics = &wires;
    const PowerReport ours = estimate_power(n, osu018(), clock_only, o);
    MESSAGE(fmt::format("activity {}: neuroppa {:.1f} µW (switching {:.1f}), OpenSTA {:.1f} µW (switching {:.1f}); "
                        "without wires OpenSTA {:.1f} µW (switching {:.1f})",
                        activity, ours.total.total() * 1e6, ours.total.switching * 1e6, sta.total.total() * 1e6,
                        sta.total.switching * 1e6, sta_bare.total.total() * 1e6, sta_bare.total.switching * 1e6));
    CHECK(sta.total.switching > 1.02 * sta_bare.total.switching);  // OpenSTA did read the wires
    CHECK(ours.total.total() == doctest::Approx(sta.total.total()).epsilon(0.02));
    CHECK(ours.total.switching == doctest::Approx(sta.total.switching).epsilon(0.02));
  }
}
