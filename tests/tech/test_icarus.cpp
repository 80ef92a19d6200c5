// Icarus Verilog running the vendor's own cell library on the same netlist
// must see the same per-net toggles as neuroppa's gate-level model.
#include <doctest/doctest.h>

#include <fmt/format.h>
#include <fstream>

#include "neuroppa/models/stimulus.hpp"
#include "neuroppa/sim/kernel_harness.hpp"
#include "neuroppa/tech/toggle_counter.hpp"
#include "neuroppa/tech/gate_model.hpp"
#include "neuroppa/tech/activity_file.hpp"
#include "neuroppa/tech/power.hpp"
#include "neuroppa/tech/specify.hpp"
#include "neuroppa/tech/timed_activity.hpp"
#include "neuroppa/base/file.hpp"
#include "neuroppa/models/operands.hpp"
#include "neuroppa/sim/kernel_models.hpp"
#include "neuroppa/base/process.hpp"
#include "kernel_fixtures.hpp"
#include "support.hpp"

using namespace neuroppa;
using namespace neuroppa::tech;
using namespace neuroppa::vmodel;
using namespace neuroppa::sim;
using namespace neuroppa::base;

namespace {

// A port value as a Verilog literal of the port's width.
std::string literal(unsigned width, const std::vector<std::uint32_t>& words) {
  std::string hex;
  for (std::size_t w = words.size(); w-- > 0;) hex += fmt::format("{:08x}", words[w]);
  return fmt::format("{}'h{}", width, hex);
}

std::string literal(unsigned width, std::uint64_t value) {
  if (width < 64) value &= (std::uint64_t{1} << width) - 1;
  return fmt::format("{}'h{:x}", width, value);
}

// Port assignments of one beat, e.g. "valid_i = 1; ...; shift_i = 3;".
std::string apply(const Netlist& n, const models::KernelParams& p, const models::Beat& b) {
  const auto* x = n.find_port("x_i");
  const auto* w = n.find_port("w_i");
  std::vector<std::uint32_t> xw(x->bits.size() / 32 + 2), ww(w->bits.size() / 32 + 2);
  sim::pack_bits(b.x, p.activation_bits(), xw);
  sim::pack_bits(b.w, p.code_bits(), ww);
  xw.resize((x->bits.size() + 31) / 32);
  ww.resize((w->bits.size() + 31) / 32);
  std::string out = fmt::format("valid_i = {}; first_i = {}; last_i = {}; x_i = {}; w_i = {}; bias_i = {}; ",
                                int(b.valid), int(b.first), int(b.last), literal(x->bits.size(), xw),
                                literal(w->bits.size(), ww), literal(p.AW, b.bias));
  if (models::has_membrane(p.kind)) return out + fmt::format("v_i = {}; vth_i = {};", literal(p.AW, b.v), literal(p.AW, b.vth));
  return out + fmt::format("shift_i = {};", b.shift);
}

// The test bench's module header: a reg or wire per port of the netlist and
// the netlist instantiated as `dut`.
std::string bench_header(const Netlist& n) {
  std::string tb = "`timescale 1ns/1ps\nmodule tb;\n";
  std::string connections;
  for (const auto& port : n.ports) {
    tb += fmt::format("  {} [{}:0] {};\n", port.output ? "wire" : "reg", port.bits.size() - 1, port.name);
    connections += fmt::format("{}.{}({})", connections.empty() ? "" : ", ", port.name, port.name);
  }
  return tb + fmt::format("  {} dut({});\n", n.top, connections);
}

// A test bench that resets the kernel as KernelHarness does, then applies
// the beats one clock cycle each and writes every net after every cycle.
std::string testbench(const Netlist& n, const models::KernelParams& p, const std::vector<models::Beat>& beats) {
  std::string tb = bench_header(n) + "  integer f;\n  task sample; $fdisplay(f, \"%b\", {";
  for (int net = n.net_count() - 1; net >= 0; --net) tb += fmt::format("dut.n{}{}", net, net ? ", " : "");
  tb += "}); endtask\n";
  // neuroppa samples every net at the rising edge, before it (inputs of
  // this cycle, registers of the last): the state a design whose inputs are
  // registered on the same clock really settles in. Icarus samples there too.
  tb += "  task cycle; begin #1 sample; clk_i = 1; #5 clk_i = 0; end endtask\n";
  tb += "  initial begin\n    f = $fopen(\"nets.txt\");\n    clk_i = 0; valid_i = 0; first_i = 0; last_i = 0;\n";
  tb += fmt::format("    x_i = 0; w_i = 0; bias_i = 0; {};\n", models::has_membrane(p.kind) ? "v_i = 0; vth_i = 0" : "shift_i = 0");
  tb += "    rst_ni = 1; #1 rst_ni = 0; #1 sample; clk_i = 1; #1 clk_i = 0; #1 rst_ni = 1;\n";
  for (const auto& b : beats) tb += "    " + apply(n, p, b) + " cycle;\n";
  return tb + "    $fclose(f);\n    $finish;\n  end\nendmodule\n";
}

// A test bench for the timed cross-check: the vendor cells with the SDF's
// delays (or, without `sdf`, their own specify blocks'), reset as KernelHarness does, then one beat a 20 ns clock cycle with
// the inputs switching 1 ns after the rising edge, dumping every net of the
// netlist from the reset state (the zero-delay reference sample) until the
// last beat has settled (before the edge that would take it in).
std::string timed_testbench(const Netlist& n, const models::KernelParams& p, const std::vector<models::Beat>& beats,
                            bool sdf = true) {
  std::string tb = bench_header(n) + "  initial begin\n" + (sdf ? "    $sdf_annotate(\"d.sdf\", tb.dut);\n" : "");
  tb += fmt::format("    clk_i = 0; valid_i = 0; first_i = 0; last_i = 0; x_i = 0; w_i = 0; bias_i = 0; {};\n",
                    models::has_membrane(p.kind) ? "v_i = 0; vth_i = 0" : "shift_i = 0");
  tb += "    rst_ni = 1; #1 rst_ni = 0; #1 clk_i = 1; #10 clk_i = 0; #10\n";
  tb += "    $dumpfile(\"t.vcd\"); $dumpvars(1, tb.dut);\n";
  tb += "    #1 rst_ni = 1; " + apply(n, p, beats[0]) + " #19\n";
  for (std::size_t k = 1; k < beats.size(); ++k) tb += "    clk_i = 1; #1 " + apply(n, p, beats[k]) + " #9 clk_i = 0; #10\n";
  return tb + "    $finish;\n  end\nendmodule\n";
}

}  // namespace

TEST_CASE("Icarus with the vendor cell library sees the same per-net toggles over 1,000 cycles") {
  require_tool("iverilog", "iverilog");
  for (models::KernelKind kind : {neuroppa::models::kind_named("mac"), neuroppa::models::kind_named("spike")}) {
    CAPTURE(models::to_string(kind));
    const models::KernelParams p = test::default_kernel(kind);
    const Library lib = read_liberty(resolve_library("osu018"));
    const KernelNetlist kernel = synthesize_kernel(p, lib, test::model_cache_dir());
    const Netlist& n = kernel.netlist;
    ModelCache cache(test::model_cache_dir());
    const auto model = cache.load(kernel_gate_spec(kernel, true));

    // neuroppa: the gate-level model and its toggle counter.
    std::vector<models::Beat> beats;
    models::BeatStream stream(p, 21);
    for (int i = 0; i < 1000; ++i) beats.push_back(stream.next());
    sim::KernelHarness dut(model, p);
    ToggleCounter counter(dut.instance(), n, "clk_i");
    counter.sample();
    for (const auto& b : beats) {
      dut.step(b);
      counter.sample();
    }
    const Activity ours = counter.activity();

    // Icarus: the vendor's cells, the same netlist and beats.
    const auto dir = test::temp_dir("icarus");
    std::ofstream(dir / "netlist.v") << structural_verilog(n);
    std::ofstream(dir / "tb.v") << testbench(n, p, beats);
    const auto cells = resolve_library("osu018").parent_path() / "osu018_stdcells.v";
    const int compiled = run_logged({"iverilog", "-o", "sim", "tb.v", "netlist.v", cells.string()}, dir / "iverilog.log", dir);
    INFO(tail_of_file(dir / "iverilog.log", 10));
    REQUIRE(compiled == 0);
    const int ran = run_logged({"vvp", "-n", "sim"}, dir / "vvp.log", dir);
    INFO(tail_of_file(dir / "vvp.log", 10));
    REQUIRE(ran == 0);
    std::ifstream in(dir / "nets.txt");
    std::vector<std::string> samples;
    for (std::string line; std::getline(in, line);) samples.push_back(line);
    REQUIRE(samples.size() == beats.size() + 1);
    const int nets = n.net_count();
    std::vector<std::uint64_t> toggles(nets, 0);
    int unknown = 0;
    for (std::size_t s = 0; s < samples.size(); ++s) {
      REQUIRE(samples[s].size() == static_cast<std::size_t>(nets));
      for (int net = 0; net < nets; ++net) {
        const char v = samples[s][nets - 1 - net];
        unknown += v != '0' && v != '1';
        if (s > 0) toggles[net] += v != samples[s - 1][nets - 1 - net];
      }
    }
    CHECK(unknown == 0);
    int differing = 0;
    std::uint64_t total = 0;
    const std::vector<int> compared = exposed_nets(n, "clk_i");  // the clock is not sampled by either
    for (int net : compared) {
      differing += toggles[net] != ours.toggles[net];
      total += toggles[net];
    }
    CHECK(differing == 0);
    CHECK(total > 100000);  // the design really switched
  }
}

// neuroppa's timed replay of a kernel with `delays` against Icarus with the
// vendor cells (their specify delays, or `sdf` annotated over them): every
// net's transitions, glitches included, over 2,000 cycles of the default operands.
void compare_timed_with_icarus(const Library& lib, models::KernelKind kind, const KernelNetlist& kernel,
                               const ArcDelays& delays, const std::string& sdf) {
  const models::KernelParams p = test::default_kernel(kind);
  const Netlist& n = kernel.netlist;
  std::vector<models::Beat> beats;
  models::OperandStream operands(p, {}, 1);
  for (int i = 0; i < 2000; ++i) beats.push_back(operands.next());

  ModelCache cache(test::model_cache_dir());
  sim::KernelHarness dut(cache.load(kernel_gate_spec(kernel, true)), p);
  ToggleCounter counter(dut.instance(), n, "clk_i");
  TimedOptions options;
  options.fixed = &delays;
  options.input_delay = 1e-9;
  TimedSimulator timed(n, lib, "clk_i", options);
  counter.sample();
  for (const auto& b : beats) {
    dut.step(b);
    counter.sample();
    timed.replay(counter.previous_words().data(), counter.words().data());
  }
  CHECK(timed.mismatched_cycles() == 0);
  CHECK(timed.arcs_fallen_back() == 0);

  const auto dir = test::temp_dir("icarus-timed");
  base::write_file(dir / "netlist.v", structural_verilog(n));
  base::write_file(dir / "tb.v", timed_testbench(n, p, beats, !sdf.empty()));
  if (!sdf.empty()) base::write_file(dir / "d.sdf", sdf);
  const auto cells = resolve_library("osu018").parent_path() / "osu018_stdcells.v";
  const int compiled =
      run_logged({"iverilog", "-gspecify", "-o", "sim", "tb.v", "netlist.v", cells.string()}, dir / "iverilog.log", dir);
  INFO(tail_of_file(dir / "iverilog.log", 10));
  REQUIRE(compiled == 0);
  const int ran = run_logged({"vvp", "-n", "sim"}, dir / "vvp.log", dir);
  INFO(tail_of_file(dir / "vvp.log", 10));
  REQUIRE(ran == 0);
  const ActivityFile vcd = read_vcd(dir / "t.vcd");
  const auto& nets = vcd.scopes.at("tb/dut");
  std::vector<int> roots;
  for (int net : n.find_port("clk_i")->bits) roots.push_back(net);
  const std::vector<bool> clock = clock_network(n, roots);

  std::uint64_t ours = 0, theirs = 0, compared = 0;
  double worst = 0;
  std::string worst_net;
  for (int net = 0; net < n.net_count(); ++net) {
    if (clock[net]) continue;
    const auto found = nets.find(fmt::format("n{}", net));
    REQUIRE(found != nets.end());
    const std::uint64_t a = timed.toggles()[net], b = found->second.toggles;
    ours += a;
    theirs += b;
    if (std::max(a, b) < 100) continue;
    ++compared;
    const double diff = std::abs(double(a) - double(b)) / double(std::max(a, b));
    if (diff > worst) {
      worst = diff;
      worst_net = fmt::format("n{} ({} against {})", net, a, b);
    }
  }
  const double total_diff = std::abs(double(ours) - double(theirs)) / double(theirs);
  MESSAGE(fmt::format("{} ({}): neuroppa {} transitions, Icarus {} ({:+.3f}%); worst of {} nets with >= 100: {:.3f}% at {}",
                      models::to_string(kind), sdf.empty() ? "specify delays" : "SDF from Liberty", ours, theirs,
                      100 * (double(ours) / double(theirs) - 1), compared, 100 * worst, worst_net));
  CHECK(total_diff < 0.02);
  CHECK(worst < 0.02);
  CHECK(compared > 500);
}

TEST_CASE("timed: Icarus with the vendor cells and the same SDF counts the same transitions, glitches included") {
  require_tool("iverilog", "iverilog");
  const Library lib = read_liberty(resolve_library("osu018"));
  for (models::KernelKind kind : {neuroppa::models::kind_named("mac"), neuroppa::models::kind_named("threshold")}) {
    CAPTURE(models::to_string(kind));
    const KernelNetlist kernel = synthesize_kernel(test::default_kernel(kind), lib, test::model_cache_dir());
    // Per-arc delays from Liberty at each instance's load, to 10 ps (the
    // vendor models' precision), read back so both engines use the same.
    const auto name = [](std::size_t i) { return fmt::format("u{}", i); };
    const std::string sdf = write_sdf(liberty_arc_delays(kernel.netlist, lib), kernel.netlist, name, 2);
    compare_timed_with_icarus(lib, kind, kernel, parse_sdf(sdf, "d.sdf", kernel.netlist, name), sdf);
  }
}

TEST_CASE("timed: the vendor's specify delays (kernels --specify) count what Icarus -gspecify counts") {
  require_tool("iverilog", "iverilog");
  const Library lib = read_liberty(resolve_library("osu018"));
  const SpecifyDelays specify = read_specify(resolve_library("osu018").parent_path() / "osu018_stdcells.v");
  CHECK(specify.cells.size() == 32);  // every cell of the library but the filler
  for (models::KernelKind kind : {neuroppa::models::kind_named("mac"), neuroppa::models::kind_named("threshold")}) {
    CAPTURE(models::to_string(kind));
    const KernelNetlist kernel = synthesize_kernel(test::default_kernel(kind), lib, test::model_cache_dir());
    compare_timed_with_icarus(lib, kind, kernel, specify_arc_delays(kernel.netlist, specify), "");
  }
}
