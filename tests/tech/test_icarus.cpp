// Icarus Verilog running the vendor's own cell library on the same netlist
// must see the same per-net toggles as neuroppa's gate-level model.
#include <doctest/doctest.h>

#include <fmt/format.h>
#include <fstream>

#include "neuroppa/models/stimulus.hpp"
#include "neuroppa/sim/kernel_harness.hpp"
#include "neuroppa/tech/toggle_counter.hpp"
#include "neuroppa/tech/gate_model.hpp"
#include "neuroppa/sim/kernel_models.hpp"
#include "neuroppa/base/process.hpp"
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

// A test bench that resets the kernel as KernelHarness does, then applies
// the beats one clock cycle each and writes every net after every cycle.
std::string testbench(const Netlist& n, const models::KernelParams& p, const std::vector<models::Beat>& beats) {
  std::string tb = "`timescale 1ns/1ps\nmodule tb;\n";
  std::string connections;
  for (const auto& port : n.ports) {
    tb += fmt::format("  {} [{}:0] {};\n", port.output ? "wire" : "reg", port.bits.size() - 1, port.name);
    connections += fmt::format("{}.{}({})", connections.empty() ? "" : ", ", port.name, port.name);
  }
  tb += fmt::format("  {} dut({});\n  integer f;\n  task sample; $fdisplay(f, \"%b\", {{", n.top, connections);
  for (int net = n.net_count() - 1; net >= 0; --net) tb += fmt::format("dut.n{}{}", net, net ? ", " : "");
  tb += "}); endtask\n";
  // neuroppa samples every net at the rising edge, before it (inputs of
  // this cycle, registers of the last): the state a design whose inputs are
  // registered on the same clock really settles in. Icarus samples there too.
  tb += "  task cycle; begin #1 sample; clk_i = 1; #5 clk_i = 0; end endtask\n";
  tb += "  initial begin\n    f = $fopen(\"nets.txt\");\n    clk_i = 0; valid_i = 0; first_i = 0; last_i = 0;\n";
  const auto* x = n.find_port("x_i");
  const auto* w = n.find_port("w_i");
  tb += fmt::format("    x_i = 0; w_i = 0; bias_i = 0; {};\n", p.kind == models::KernelKind::spike ? "v_i = 0; vth_i = 0" : "shift_i = 0");
  tb += "    rst_ni = 1; #1 rst_ni = 0; #1 sample; clk_i = 1; #1 clk_i = 0; #1 rst_ni = 1;\n";
  for (const auto& b : beats) {
    std::vector<std::uint32_t> xw(x->bits.size() / 32 + 2), ww(w->bits.size() / 32 + 2);
    sim::pack_bits(b.x, p.activation_bits(), xw);
    sim::pack_bits(b.w, p.code_bits(), ww);
    xw.resize((x->bits.size() + 31) / 32);
    ww.resize((w->bits.size() + 31) / 32);
    tb += fmt::format("    valid_i = {}; first_i = {}; last_i = {}; x_i = {}; w_i = {}; bias_i = {}; ", int(b.valid), int(b.first),
                      int(b.last), literal(x->bits.size(), xw), literal(w->bits.size(), ww), literal(p.AW, b.bias));
    if (p.kind == models::KernelKind::spike)
      tb += fmt::format("v_i = {}; vth_i = {}; cycle;\n", literal(p.AW, b.v), literal(p.AW, b.vth));
    else
      tb += fmt::format("shift_i = {}; cycle;\n", b.shift);
  }
  return tb + "    $fclose(f);\n    $finish;\n  end\nendmodule\n";
}

}  // namespace

TEST_CASE("Icarus with the vendor cell library sees the same per-net toggles over 1,000 cycles") {
  require_tool("iverilog", "iverilog");
  for (models::KernelKind kind : {models::KernelKind::mac, models::KernelKind::spike}) {
    CAPTURE(models::to_string(kind));
    const models::KernelParams p{kind, 9, 8, models::default_code_bits(kind, 8), 32};
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
