// Extracted parasitics (SPEF): the reader, its errors, wire capacitance in
// the power engine, and (shared) gcd against OpenSTA reading the same file.
#include <doctest/doctest.h>

#include <cmath>
#include <fmt/format.h>
#include <cstdlib>
#include <string>
#include <vector>

#include "gcd_design.hpp"
#include "neuroppa/base/error.hpp"
#include "neuroppa/base/file.hpp"
#include "neuroppa/tech/opensta.hpp"
#include "neuroppa/tech/power.hpp"
#include "neuroppa/tech/spef.hpp"
#include "neuroppa/tech/synthesis.hpp"
#include "neuroppa/tech/gate_model.hpp"
#include "neuroppa/tech/timed_activity.hpp"
#include "support.hpp"

using namespace neuroppa;
using namespace neuroppa::tech;

namespace {

using test::osu018;

// a -> INVX1 u1 -> n1 -> INVX1 u2 -> d[3] (an output port's bit)
Netlist chain() {
  const Library& lib = osu018();
  const LibertyCell* inv = lib.find_cell("INVX1");
  Netlist n;
  n.top = "chain";
  n.net_names = {"a", "n1", "d[3]"};
  n.net_by_name = {{"a", 0}, {"n1", 1}, {"d[3]", 2}};
  n.ports = {{"a", false, {0}}, {"d", true, {2}}};
  n.instances = {{"u1", inv, {{inv->find_pin("A"), 0}, {inv->find_pin("Y"), 1}}},
                 {"u2", inv, {{inv->find_pin("A"), 1}, {inv->find_pin("Y"), 2}}}};
  return n;
}

const std::string kHeader = R"(*SPEF "IEEE 1481-1998"
*DESIGN "chain"
*DATE "Sun Dec  6 2026"
*VENDOR "hand"
*PROGRAM "by hand"
*VERSION "1"
*DESIGN_FLOW "PIN_CAP NONE"
*DIVIDER /
*DELIMITER :
*BUS_DELIMITER < >
*T_UNIT 1 NS
*C_UNIT 1 FF
*R_UNIT 1 OHM
*L_UNIT 1 HENRY

*NAME_MAP
*1 n1
*2 d<3>
*3 \a

*PORTS
*3 I
*2 O
)";

const std::string kNets = R"(
*D_NET *1 2.5
*CONN
*I u1:Y O
*I u2:A I
*CAP
1 u1:Y 1.0
2 u2:A 1.0
3 u2:A *2 0.5
*RES
1 u1:Y u2:A 12.5
*END

*R_NET *2 0.75
*END
)";

// a -> INVX1 u1 -> n1 -> u2.A (XOR2X1) and u3.A (INVX1); a -> u2.B: an XOR of a
// signal and its inverse, whose inputs see n1 at different times over the wire.
Netlist fanout_tree() {
  const Library& lib = osu018();
  const LibertyCell* inv = lib.find_cell("INVX1");
  const LibertyCell* x = lib.find_cell("XOR2X1");
  Netlist n;
  n.top = "tree";
  n.net_names = {"a", "n1", "y", "z"};
  n.net_by_name = {{"a", 0}, {"n1", 1}, {"y", 2}, {"z", 3}};
  n.ports = {{"a", false, {0}}, {"y", true, {2}}, {"z", true, {3}}};
  n.instances = {{"u1", inv, {{inv->find_pin("A"), 0}, {inv->find_pin("Y"), 1}}},
                 {"u2", x, {{x->find_pin("A"), 1}, {x->find_pin("B"), 0}, {x->find_pin("Y"), 2}}},
                 {"u3", inv, {{inv->find_pin("A"), 1}, {inv->find_pin("Y"), 3}}}};
  return n;
}

// n1 from u1:Y over n1:1, then 50 ohm to u2:A and R3 to u3:A, and a resistor
// between the two loads that closes a loop.
std::string tree_spef(double r3_kohm) {
  return fmt::format(R"(*SPEF "IEEE 1481-1998"
*DESIGN "tree"
*DIVIDER /
*DELIMITER :
*BUS_DELIMITER [ ]
*T_UNIT 1 NS
*C_UNIT 1 FF
*R_UNIT 1 KOHM
*D_NET n1 6
*CONN
*I u1:Y O *D INVX1
*I u2:A I *D XOR2X1
*I u3:A I *C 1.0 2.0 *D INVX1
*CAP
1 n1:1 2
2 u2:A 1
3 u3:A 2
4 u3:A y 1
*RES
1 u1:Y n1:1 0.1
2 n1:1 u2:A 0.05
3 n1:1 u3:A {}
4 u2:A u3:A 1
*END
)",
                     r3_kohm);
}

}  // namespace

TEST_CASE("SPEF: Elmore delays from the driver over the RC tree, with the loads' pin capacitance") {
  const Netlist n = fanout_tree();
  const Parasitics p = read_spef(test::write_temp_file("tree.spef", tree_spef(0.2)), n);
  const double pin_a = (osu018().find_cell("XOR2X1")->find_pin("A")->rise_capacitance +
                        osu018().find_cell("XOR2X1")->find_pin("A")->fall_capacitance) / 2;
  const double inv_a = (osu018().find_cell("INVX1")->find_pin("A")->rise_capacitance +
                        osu018().find_cell("INVX1")->find_pin("A")->fall_capacitance) / 2;
  const double c2 = 1e-15 + pin_a, c3 = 3e-15 + inv_a;  // u3:A's coupling capacitor counts as grounded
  const double at_n1 = 100 * (2e-15 + c2 + c3);
  CHECK(p.wire_capacitance[1] == doctest::Approx(6e-15));
  CHECK(p.nets_with_resistance == 1);
  CHECK(p.resistor_loops == 1);
  REQUIRE(p.sink_delays[1].size() == 2);
  CHECK(p.wire_delay(1, 1, n.instances[1].cell->find_pin("A")) == doctest::Approx(at_n1 + 50 * c2));
  CHECK(p.wire_delay(1, 2, n.instances[2].cell->find_pin("A")) == doctest::Approx(at_n1 + 200 * c3));
  CHECK(p.max_wire_delay == doctest::Approx(at_n1 + 200 * c3));
  CHECK(p.wire_delay(1, 1, n.instances[1].cell->find_pin("B")) == 0);  // not on this net
  CHECK(p.wire_delay(0, 1, n.instances[1].cell->find_pin("B")) == 0);  // a net without RC
}

TEST_CASE("SPEF in the timed replay: a wire's delay to one pin skews a gate's inputs into a glitch") {
  const Netlist n = fanout_tree();
  const std::vector<int> exposed = exposed_nets(n, "clk");
  const auto state = [&](bool a) {
    std::vector<int> value(n.net_count(), 0);
    value[0] = a;
    value[1] = !a;
    value[2] = 1;  // a xor not a
    value[3] = a;
    std::vector<std::uint32_t> w((exposed.size() + 31) / 32, 0);
    for (std::size_t b = 0; b < exposed.size(); ++b)
      if (value[exposed[b]]) w[b / 32] |= 1u << (b % 32);
    return w;
  };
  const auto glitches = [&](const Parasitics* p) {
    TimedOptions o;
    o.parasitics = p;
    TimedSimulator sim(n, osu018(), "clk", o);
    const auto low = state(false), high = state(true);
    for (int i = 0; i < 10; ++i) {
      CHECK(sim.replay(low.data(), high.data()));
      CHECK(sim.replay(high.data(), low.data()));
    }
    return sim.toggles()[2];
  };
  // Without wires the XOR sees a, then n1 one inverter later: a pulse the XOR passes on one edge of a only
  // (the inverter's rise and fall differ), swallowed on the other.
  const std::uint64_t bare = glitches(nullptr);
  // A wire holding n1 back 2 ns at u2:A only: a full pulse on y at every edge.
  const Parasitics slow = read_spef(test::write_temp_file("tree-slow.spef", tree_spef(0.2)), n);
  Parasitics wide = slow;
  wide.sink_delays[1][0].seconds = 2e-9;
  CHECK(glitches(&wide) == 40);  // two transitions on y in each of the 20 cycles
  const std::uint64_t real = glitches(&slow);
  MESSAGE("y toggles over 20 cycles: " << bare << " without wires, " << real << " with the file's, 40 with 2 ns");
  CHECK(bare < 40);
  CHECK(real >= bare);
}

TEST_CASE("SPEF: name map, escapes, bus delimiters and units; wire capacitance in the nets' load and power") {
  const Netlist n = chain();
  const auto path = test::write_temp_file("chain.spef", kHeader + kNets);
  const Parasitics p = read_spef(path, n);
  CHECK(p.nets == 2);
  CHECK(p.annotated == std::vector<bool>{false, true, true});
  CHECK(p.wire_capacitance[1] == doctest::Approx(2.5e-15));  // the *D_NET total: coupling counted as grounded
  CHECK(p.wire_capacitance[2] == doctest::Approx(0.75e-15));
  CHECK(p.total == doctest::Approx(3.25e-15));

  const std::vector<double> plain = net_loads(n, osu018(), true);
  const std::vector<double> wired = net_loads(n, osu018(), true, false, &p);
  CHECK(wired[0] == plain[0]);
  CHECK(wired[1] == doctest::Approx(plain[1] + 2.5e-15));
  CHECK(wired[2] == doctest::Approx(plain[2] + 0.75e-15));

  // Switching grows by each toggle's half C V^2 of wire; internal power follows the larger load too.
  Activity a;
  a.cycles = 100;
  a.toggles = {40, 40, 40};
  a.high_cycles = {50, 50, 50};
  PowerOptions o;
  o.frequency = 50e6;
  const PowerReport before = estimate_power(n, osu018(), a, o);
  o.parasitics = &p;
  const PowerReport after = estimate_power(n, osu018(), a, o);
  const double v = 1.8, per_second = 50e6 / 100;
  CHECK(after.total.switching - before.total.switching ==
        doctest::Approx(40 * 0.5 * (2.5e-15 + 0.75e-15) * v * v * per_second));
  CHECK(std::abs(after.total.internal - before.total.internal) > 1e-3 * before.total.internal);  // at the new load
  CHECK(after.total.leakage == before.total.leakage);

  // The same file gzip-compressed reads the same.
  const auto gz = test::temp_dir("spef-gz") / "chain.spef";
  base::write_file(gz, kHeader + kNets);
  REQUIRE(std::system(("gzip -f " + gz.string()).c_str()) == 0);
  CHECK(read_spef(gz.string() + ".gz", n).wire_capacitance == p.wire_capacitance);
}

TEST_CASE("SPEF: malformed files are one error naming the file and line") {
  const Netlist n = chain();
  struct Case {
    std::string name, text, fault;
  };
  const std::vector<Case> cases = {
      {"not-spef", "*DESIGN \"chain\"\n", ":1: not a SPEF file: it does not begin with *SPEF"},
      {"unit", kHeader + "*C_UNIT 1 XF\n" + kNets, ":24: *C_UNIT unit 'XF': give F, MF, UF, NF, PF or FF"},
      {"no-unit", "*SPEF \"x\"\n*D_NET n1 1\n*END\n", ":2: *D_NET before *C_UNIT: its capacitance has no unit"},
      {"unmapped", kHeader + "*D_NET *9 1\n*END\n", ":24: *9 is not in the *NAME_MAP"},
      {"other-design", kHeader + "*D_NET n2 1\n*END\n", ":24: net 'n2' is not in the netlist (top chain)"},
      {"bad-number", kHeader + "*D_NET *1 1.2.3\n*END\n", ":24: total capacitance '1.2.3' is not a number"},
      {"negative", kHeader + "*D_NET *1 -1\n*END\n", ":24: net n1: total capacitance -1 is negative"},
      {"twice", kHeader + "*D_NET *1 1\n*END\n*D_NET n1 1\n*END\n", ":26: net 'n1' is annotated twice"},
      {"no-end", kHeader + "*D_NET *1 1\n*CAP\n1 u1:Y 1\n", ":27: net 'n1' (from line 24) has no *END"},
      {"nested", kHeader + "*D_NET *1 1\n*D_NET *2 1\n*END\n", ":25: *D_NET inside net 'n1' (from line 24): its *END is missing"},
      {"stray-end", kHeader + "*END\n", ":24: *END without a *D_NET or *R_NET it closes"},
      {"empty", kHeader, ":24: no *D_NET or *R_NET: the file annotates no net"},
      {"r-unit", "*SPEF \"x\"\n*R_UNIT 1 GOHM\n", ":2: *R_UNIT unit 'GOHM': give OHM, KOHM or MOHM"},
      {"stranger", kHeader + "*D_NET *1 1\n*CONN\n*I u9:Y O\n*END\n", ":26: net 'n1': instance 'u9' is not in the netlist"},
      {"no-such-pin", kHeader + "*D_NET *1 1\n*CONN\n*I u1:Q O\n*END\n", ":26: net 'n1': cell INVX1 of instance 'u1' has no pin Q"},
      {"not-a-pin", kHeader + "*D_NET *1 1\n*CONN\n*I u1 O\n*END\n", ":26: net 'n1': *I u1 is not INSTANCE:PIN"},
      {"bad-res", kHeader + "*D_NET *1 1\n*RES\n1 u1:Y u2:A -3\n*END\n", ":26: net 'n1': resistance -3 is negative"},
      {"bad-cap", kHeader + "*D_NET *1 1\n*CAP\n1 u1:Y 1.2.3\n*END\n", ":26: capacitance '1.2.3' is not a number"},
  };
  for (const Case& c : cases) {
    CAPTURE(c.name);
    const auto path = test::write_temp_file(c.name + ".spef", c.text);
    CHECK_THROWS_WITH_AS(read_spef(path, n), doctest::Contains((path.string() + c.fault).c_str()), Error);
  }
  CHECK_THROWS_WITH_AS(read_spef(test::temp_dir("spef-folder"), n), doctest::Contains("is a folder"), Error);
}

TEST_SUITE("shared") {
  TEST_CASE("gcd with its extracted wires (SPEF): within 2% of OpenSTA reading the same file") {
    const auto& gcd = test::gcd_design();
    const Library& lib = gcd.library;
    const Netlist& n = gcd.netlist;
    const auto spef = gcd.dir / "gcd_sky130hd.spef.gz";
    const Parasitics p = read_spef(spef, n);
    CHECK(p.nets > 250);
    const StaDesign design{&lib, gcd.dir / "gcd_sky130hd.v", "gcd", "clk", 5e-9, spef};
    Activity clock_only;
    clock_only.clock_nets = {n.find_port("clk")->bits[0]};
    for (double activity : {0.1, 0.5}) {
      CAPTURE(activity);
      const StaPowerReport sta = opensta_power(design, activity, 0.5, test::temp_dir("sta-spef"));
      PowerOptions o;
      o.frequency = 200e6;
      o.opensta_2019_compatible = true;
      o.global_activity = activity;
      const PowerReport without = estimate_power(n, lib, clock_only, o);
      o.parasitics = &p;
      const PowerReport ours = estimate_power(n, lib, clock_only, o);
      MESSAGE("activity " << activity << ": switching " << ours.total.switching * 1e6 << " uW with wires, "
                          << without.total.switching * 1e6 << " uW without; OpenSTA " << sta.total.switching * 1e6);
      CHECK(ours.total.switching > without.total.switching);  // the wires add load
      CHECK(ours.total.total() == doctest::Approx(sta.total.total()).epsilon(0.02));
      CHECK(ours.total.internal == doctest::Approx(sta.total.internal).epsilon(0.02));
      CHECK(ours.total.switching == doctest::Approx(sta.total.switching).epsilon(0.02));
    }
  }
}
