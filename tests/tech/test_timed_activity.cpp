// Timed (glitch-aware) activity: pulse rejection on single cells in both
// neuroppa and Icarus, settled values equal to the zero-delay model on every
// cycle of every kernel, SDF reading and writing, bad input.
#include <doctest/doctest.h>

#include <fmt/format.h>

#include "neuroppa/base/error.hpp"
#include "neuroppa/base/file.hpp"
#include "neuroppa/base/process.hpp"
#include "neuroppa/models/operands.hpp"
#include "neuroppa/sim/kernel_harness.hpp"
#include "neuroppa/sim/kernel_models.hpp"
#include "neuroppa/tech/activity_file.hpp"
#include "neuroppa/tech/gate_model.hpp"
#include "neuroppa/tech/power.hpp"
#include "neuroppa/tech/synthesis.hpp"
#include "neuroppa/tech/timed_activity.hpp"
#include "neuroppa/tech/toggle_counter.hpp"
#include "kernel_fixtures.hpp"
#include "support.hpp"

using namespace neuroppa;
using namespace neuroppa::tech;

namespace {

using test::osu018;

// A netlist written by hand in the library's cells, read through yosys as
// any user netlist is.
Netlist small_netlist(const std::string& top, const std::string& verilog) {
  const auto dir = test::temp_dir("timed-netlist");
  base::write_file(dir / "n.v", verilog);
  const auto json = netlist_json_from_verilog(dir / "n.v", top, osu018().path, test::model_cache_dir());
  return read_yosys_json(json, top, osu018());
}

// y1 = NAND(x, c) and y2 = NOR(x, c) with c = !x through three cells: when x
// rises y1 pulses low, when x falls y2 pulses high, each for as long as the
// chain takes (static hazards), if the gate's delay lets the pulse through.
const char* kHazards = R"(module hazards (x, y1, y2);
  input x;
  output y1, y2;
  wire a, b, c;
  INVX1 i1 (.A(x), .Y(a));
  BUFX2 i2 (.A(a), .Y(b));
  BUFX2 i3 (.A(b), .Y(c));
  NAND2X1 g1 (.A(x), .B(c), .Y(y1));
  NOR2X1 g2 (.A(x), .B(c), .Y(y2));
endmodule
)";

// Fixed delays (ns): `chain` through the three chain cells, `gate` for both
// edges of the NAND and the NOR.
ArcDelays hazard_delays(const Netlist& n, double chain, double gate) {
  ArcDelays d;
  d.per_instance.resize(n.instances.size());
  for (std::size_t i = 0; i < n.instances.size(); ++i) {
    const std::string cell = n.instances[i].cell->name;
    if (cell == "NAND2X1" || cell == "NOR2X1")
      d.per_instance[i] = {{"A", "Y", gate * 1e-9, gate * 1e-9}, {"B", "Y", gate * 1e-9, gate * 1e-9}};
    else
      d.per_instance[i] = {{"A", "Y", chain / 3 * 1e-9, chain / 3 * 1e-9}};
  }
  return d;
}

std::string instance_u(std::size_t i) { return fmt::format("u{}", i); }

// The settled state of the hazard netlist with input x, as exposed-net words.
std::vector<std::uint32_t> hazard_state(const Netlist& n, bool x) {
  std::vector<int> value(n.net_count(), 0);
  const auto set = [&](const char* name, bool v) { value[n.net_by_name.at(name)] = v; };
  set("x", x);
  set("a", !x);
  set("b", !x);
  set("c", !x);
  set("y1", !(x && !x));
  set("y2", !(x || !x));
  const std::vector<int> exposed = exposed_nets(n, "clk");
  std::vector<std::uint32_t> w((exposed.size() + 31) / 32, 0);
  for (std::size_t b = 0; b < exposed.size(); ++b)
    if (value[exposed[b]]) w[b / 32] |= 1u << (b % 32);
  return w;
}

struct HazardCounts {
  std::uint64_t y1 = 0, y2 = 0;
};

HazardCounts neuroppa_hazards(const Netlist& n, const ArcDelays& delays) {
  TimedOptions o;
  o.fixed = &delays;
  TimedSimulator sim(n, osu018(), "clk", o);
  const auto low = hazard_state(n, false), high = hazard_state(n, true);
  CHECK(sim.replay(low.data(), high.data()));
  CHECK(sim.replay(high.data(), low.data()));
  CHECK(sim.arcs_fallen_back() == 0);
  return {sim.toggles()[n.net_by_name.at("y1")], sim.toggles()[n.net_by_name.at("y2")]};
}

HazardCounts icarus_hazards(const Netlist& n, const ArcDelays& delays) {
  const auto dir = test::temp_dir("timed-icarus-hazard");
  base::write_file(dir / "netlist.v", structural_verilog(n));
  base::write_file(dir / "d.sdf", write_sdf(delays, n, instance_u, 2));
  base::write_file(dir / "tb.v", R"(`timescale 1ns/1ps
module tb;
  reg [0:0] x;
  wire [0:0] y1, y2;
  hazards dut(.x(x), .y1(y1), .y2(y2));
  initial begin
    $sdf_annotate("d.sdf", tb.dut);
    x = 0;
    #5 $dumpfile("t.vcd"); $dumpvars(1, tb.dut);
    #5 x = 1;
    #5 x = 0;
    #5 $finish;
  end
endmodule
)");
  const auto cells = resolve_library("osu018").parent_path() / "osu018_stdcells.v";
  REQUIRE(base::run_logged({"iverilog", "-gspecify", "-o", "sim", "tb.v", "netlist.v", cells.string()},
                           dir / "iverilog.log", dir) == 0);
  REQUIRE(base::run_logged({"vvp", "-n", "sim"}, dir / "vvp.log", dir) == 0);
  const ActivityFile vcd = read_vcd(dir / "t.vcd");
  const auto& nets = vcd.scopes.at("tb/dut");
  const auto toggles = [&](const char* port) {
    return nets.at(fmt::format("n{}", n.net_by_name.at(port))).toggles;
  };
  return {toggles("y1"), toggles("y2")};
}

}  // namespace

TEST_CASE("timed: a pulse shorter than the arc delay is swallowed, a longer one passes, in neuroppa and Icarus") {
  base::require_tool("iverilog", "iverilog");
  const Netlist n = small_netlist("hazards", kHazards);
  SUBCASE("chain 0.09 ns, gates 0.2 ns: both hazards swallowed") {
    const ArcDelays d = hazard_delays(n, 0.09, 0.2);
    const HazardCounts ours = neuroppa_hazards(n, d), icarus = icarus_hazards(n, d);
    CHECK(ours.y1 == 0);
    CHECK(ours.y2 == 0);
    CHECK(icarus.y1 == 0);
    CHECK(icarus.y2 == 0);
  }
  SUBCASE("chain 0.3 ns, gates 0.2 ns: a low pulse on the NAND and a high one on the NOR") {
    const ArcDelays d = hazard_delays(n, 0.3, 0.2);
    const HazardCounts ours = neuroppa_hazards(n, d), icarus = icarus_hazards(n, d);
    CHECK(ours.y1 == 2);
    CHECK(ours.y2 == 2);
    CHECK(icarus.y1 == 2);
    CHECK(icarus.y2 == 2);
  }
}

TEST_CASE("timed: settled values equal the zero-delay model on every cycle of every kernel") {
  for (models::KernelKind kind : neuroppa::models::builtin_kernel_kinds()) {
    CAPTURE(models::to_string(kind));
    const models::KernelParams p = test::default_kernel(kind);
    const sim::KernelNetlist kernel = sim::synthesize_kernel(p, osu018(), test::model_cache_dir());
    vmodel::ModelCache cache(test::model_cache_dir());
    sim::KernelHarness dut(cache.load(sim::kernel_gate_spec(kernel, true)), p);
    ToggleCounter counter(dut.instance(), kernel.netlist, "clk_i");
    TimedSimulator timed(kernel.netlist, osu018(), "clk_i");
    models::OperandStream operands(p, {}, 3);
    counter.sample();
    const int cycles = 1500;
    for (int c = 0; c < cycles; ++c) {
      dut.step(operands.next());
      counter.sample();
      timed.replay(counter.previous_words().data(), counter.words().data());
    }
    CHECK(timed.cycles() == cycles);
    CHECK(timed.mismatched_cycles() == 0);
    const Activity zero = counter.activity();
    std::uint64_t zd = 0, all = 0;
    int fewer = 0, odd = 0;
    const std::vector<bool> clock = clock_network(kernel.netlist, zero.clock_nets);
    for (int net = 0; net < kernel.netlist.net_count(); ++net) {
      if (clock[net]) continue;
      const std::uint64_t t = timed.toggles()[net], z = zero.toggles[net];
      fewer += t < z;         // every settled change is a real transition
      odd += (t - z) % 2;     // glitches come in pairs
      zd += z;
      all += t;
    }
    CHECK(fewer == 0);
    CHECK(odd == 0);
    CHECK(zd > 10000);
    MESSAGE(fmt::format("{}: {} zero-delay toggles, {} timed ({:.2f}x)", models::to_string(kind), zd, all,
                        double(all) / double(zd)));
    CHECK(all > zd);  // these adders glitch
  }
}

TEST_CASE("timed: SDF written and read back gives the same delays; bad SDF named by file and line") {
  const Netlist n = small_netlist("hazards", kHazards);
  const ArcDelays d = hazard_delays(n, 0.3, 0.2);
  const ArcDelays back = parse_sdf(write_sdf(d, n), "x.sdf", n);
  REQUIRE(back.per_instance.size() == n.instances.size());
  for (std::size_t i = 0; i < n.instances.size(); ++i) {
    REQUIRE(back.per_instance[i].size() == d.per_instance[i].size());
    for (std::size_t a = 0; a < d.per_instance[i].size(); ++a) {
      CHECK(back.per_instance[i][a].from == d.per_instance[i][a].from);
      CHECK(back.per_instance[i][a].rise == doctest::Approx(d.per_instance[i][a].rise).epsilon(1e-6));
      CHECK(back.per_instance[i][a].fall == doctest::Approx(d.per_instance[i][a].fall).epsilon(1e-6));
    }
  }
  // A timescale, min:typ:max, one value for both edges, edge specifiers, comments.
  std::size_t g = 0;
  while (n.instances[g].name != "g1") ++g;
  const std::string g1 = n.instances[g].name;
  const auto one = parse_sdf(fmt::format(R"((DELAYFILE (TIMESCALE 100ps) // tenths of a ns
    (CELL (CELLTYPE "{}") (INSTANCE {})
      (DELAY (ABSOLUTE (IOPATH (posedge A) Y (1:2:3)) (IOPATH B Y (4)) ))))
)", n.instances[g].cell->name, g1), "y.sdf", n);
  REQUIRE(one.per_instance[g].size() == 2);
  CHECK(one.per_instance[g][0].rise == doctest::Approx(0.2e-9));
  CHECK(one.per_instance[g][0].fall == doctest::Approx(0.2e-9));
  CHECK(one.per_instance[g][1].fall == doctest::Approx(0.4e-9));

  const auto error_of = [&](const std::string& text) {
    try {
      parse_sdf(text, "bad.sdf", n);
    } catch (const Error& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  CHECK(error_of("(DELAYFILE\n (CELL (CELLTYPE \"X\") (INSTANCE nowhere)))") ==
        "bad.sdf:2: instance 'nowhere' is not in netlist hazards");
  CHECK(error_of(fmt::format("(DELAYFILE\n(CELL (INSTANCE {})\n (DELAY (ABSOLUTE (IOPATH Q Y (1))))))", g1))
            .find("bad.sdf:3: instance '" + g1 + "' (") == 0);
  CHECK(error_of("(DELAYFILE\n (CELL (INSTANCE x)") .find("bad.sdf:2: unbalanced parentheses") == 0);
  CHECK(error_of("(DELAYFILE (TIMESCALE 3 parsecs))") == "bad.sdf:1: TIMESCALE '3parsecs': expected e.g. 1ns or 100ps");
  CHECK(error_of(fmt::format("(DELAYFILE\n\n(CELL (INSTANCE {}) (DELAY (ABSOLUTE (IOPATH A Y (fast))))))", g1)) ==
        "bad.sdf:3: delay value 'fast' is not a number");
  CHECK(error_of(std::string(100, '(')).find("nested more than 64 deep") != std::string::npos);
}

TEST_CASE("timed: a combinational loop and a missing arc are named") {
  const Netlist loop = small_netlist("latch", R"(module latch (s, r, q);
  input s, r;
  output q;
  wire qn;
  NAND2X1 a (.A(s), .B(qn), .Y(q));
  NAND2X1 b (.A(r), .B(q), .Y(qn));
endmodule
)");
  try {
    TimedSimulator sim(loop, osu018(), "clk");
    FAIL("accepted a combinational loop");
  } catch (const Error& e) {
    CHECK(std::string(e.what()).find("combinational loop through instance") == 0);
  }
  // The library's NAND2X1 without its timing arcs.
  Library bare = osu018();
  for (auto& cell : bare.cells)
    for (auto& pin : cell.pins) pin.timing.clear();
  const Netlist n = small_netlist("hazards", kHazards);
  Netlist stripped = n;
  for (auto& inst : stripped.instances) inst.cell = bare.find_cell(inst.cell->name);
  for (auto& inst : stripped.instances)
    for (auto& c : inst.connections) c.pin = inst.cell->find_pin(c.pin->name);
  try {
    TimedSimulator sim(stripped, bare, "clk");
    FAIL("accepted an output without timing arcs");
  } catch (const Error& e) {
    CHECK(std::string(e.what()).find("no timing arc from A to Y") != std::string::npos);
  }
  TimedOptions partial;
  partial.allow_partial = true;
  TimedSimulator sim(stripped, bare, "clk", partial);
  CHECK(sim.arcs_without_delay() == 7);  // one per inverter and buffer, two per NAND and NOR
}
