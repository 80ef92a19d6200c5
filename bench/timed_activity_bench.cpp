// Cost of timed (glitch-aware) activity, measured side by side in one run on
// the same kernel netlist and beats:
//   (a) the zero-delay counted gate-level run (what `--activity zero-delay` costs),
//   (b) the same with timed:F replaying a fraction of the cycles (budget: <= 1.5x (a) at F = 0.02),
//   (c) the same with every cycle replayed (`--activity timed`),
//   (d) the conventional open flow on the same netlist and cycles: Icarus with
//       the vendor cells and the same delays as an SDF writing a VCD, then
//       `neuroppa power` reading it (budget: (c) at least 20x faster than (d)).
// Prints cycles/s and the ratios.
//
//   bench/timed_activity_bench [--kind mac] [--lib osu018] [--beats 20000] [--fraction 0.02] [--icarus-beats N] [--no-icarus]
#include <CLI/CLI.hpp>

#include <chrono>
#include <cstdio>
#include <numeric>
#include <fmt/format.h>
#include <thread>

#include "neuroppa/base/error.hpp"
#include "neuroppa/base/file.hpp"
#include "neuroppa/base/process.hpp"
#include "neuroppa/kernels/catalogue.hpp"
#include "neuroppa/models/operands.hpp"
#include "neuroppa/sim/kernel_harness.hpp"
#include "neuroppa/sim/kernel_models.hpp"
#include "neuroppa/tech/activity_file.hpp"
#include "neuroppa/tech/gate_model.hpp"
#include "neuroppa/tech/power.hpp"
#include "neuroppa/tech/timed_activity.hpp"
#include "neuroppa/tech/toggle_counter.hpp"

using namespace neuroppa;
namespace fs = std::filesystem;

namespace {

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// Cycles/s of the counted gate-level run with `mode`, pricing included.
double counted_run(sim::KernelHarness& dut, const tech::Netlist& n, const tech::Library& lib,
                   const std::vector<models::Beat>& beats, const tech::ActivityMode& mode, double* power,
                   std::uint64_t* toggles) {
  dut.reset();
  const auto start = std::chrono::steady_clock::now();
  tech::ToggleCounter counter(dut.instance(), n, "clk_i");
  std::optional<tech::TimedSampler> timed;
  if (mode.timed) timed.emplace(n, lib, "clk_i", tech::TimedOptions{}, mode, 1, std::max(1u, std::thread::hardware_concurrency()));
  counter.sample();
  for (const auto& b : beats) {
    dut.step(b);
    counter.sample();
    if (timed) timed->cycle(counter.previous_words().data(), counter.words().data());
  }
  tech::PowerOptions options;
  options.frequency = 50e6;
  const tech::Activity zero = counter.activity();
  const tech::Activity counted = timed ? timed->estimate(zero) : zero;
  *power = tech::estimate_power(n, lib, counted, options).total.total();
  *toggles = std::accumulate(counted.toggles.begin(), counted.toggles.end(), std::uint64_t{0});
  return double(beats.size()) / seconds_since(start);
}

std::string literal(unsigned width, const std::vector<std::uint32_t>& words) {
  std::string hex;
  for (std::size_t w = words.size(); w-- > 0;) hex += fmt::format("{:08x}", words[w]);
  return fmt::format("{}'h{}", width, hex);
}

// The Icarus flow: test bench applying the beats, vendor cells with the SDF,
// VCD, then neuroppa pricing it. Returns cycles/s of the whole flow.
double icarus_flow(const tech::Netlist& n, const tech::Library& lib, const models::KernelParams& p,
                   const std::vector<models::Beat>& beats, const fs::path& dir, double* power) {
  const auto name = [](std::size_t i) { return fmt::format("u{}", i); };
  base::write_file(dir / "netlist.v", tech::structural_verilog(n));
  base::write_file(dir / "d.sdf", tech::write_sdf(tech::liberty_arc_delays(n, lib), n, name, 2));
  std::string tb = "`timescale 1ns/1ps\nmodule tb;\n", connections;
  for (const auto& port : n.ports) {
    tb += fmt::format("  {} [{}:0] {};\n", port.output ? "wire" : "reg", port.bits.size() - 1, port.name);
    connections += fmt::format("{}.{}({})", connections.empty() ? "" : ", ", port.name, port.name);
  }
  tb += fmt::format("  {} dut({});\n  initial begin\n    $sdf_annotate(\"d.sdf\", tb.dut);\n", n.top, connections);
  tb += "    clk_i = 0; rst_ni = 1; #1 rst_ni = 0; #1 clk_i = 1; #10 clk_i = 0; #10 rst_ni = 1;\n";
  tb += "    $dumpfile(\"t.vcd\"); $dumpvars(1, tb.dut);\n";
  const auto* x = n.find_port("x_i");
  const auto* w = n.find_port("w_i");
  for (const auto& b : beats) {
    std::vector<std::uint32_t> xw(x->bits.size() / 32 + 2), ww(w->bits.size() / 32 + 2);
    sim::pack_bits(b.x, p.activation_bits(), xw);
    sim::pack_bits(b.w, p.code_bits(), ww);
    xw.resize((x->bits.size() + 31) / 32);
    ww.resize((w->bits.size() + 31) / 32);
    tb += fmt::format("    valid_i = {}; first_i = {}; last_i = {}; x_i = {}; w_i = {}; bias_i = {}; {} #9 clk_i = 1; #10 clk_i = 0; #1\n",
                      int(b.valid), int(b.first), int(b.last), literal(x->bits.size(), xw), literal(w->bits.size(), ww),
                      b.bias & ((1ull << (p.AW % 64)) - 1),
                      models::has_membrane(p.kind) ? fmt::format("v_i = {}; vth_i = {};", b.v & 0xffffffff, b.vth & 0xffffffff)
                                                   : fmt::format("shift_i = {};", b.shift));
  }
  base::write_file(dir / "tb.v", tb + "    $finish;\n  end\nendmodule\n");
  const auto cells = tech::resolve_library("osu018").parent_path() / "osu018_stdcells.v";
  const auto start = std::chrono::steady_clock::now();
  if (base::run_logged({"iverilog", "-gspecify", "-o", "sim", "tb.v", "netlist.v", cells.string()}, dir / "log", dir) ||
      base::run_logged({"vvp", "-n", "sim"}, dir / "log", dir))
    throw Error("icarus failed: see " + (dir / "log").string());
  const tech::ActivityFile vcd = tech::read_vcd(dir / "t.vcd");
  // The structural netlist names net i "n<i>".
  tech::Activity a;
  a.cycles = beats.size();
  a.toggles.assign(n.net_count(), 0);
  a.high_cycles.assign(n.net_count(), 0);
  const auto& signals = vcd.scopes.at("tb/dut");
  for (int net = 0; net < n.net_count(); ++net)
    if (const auto s = signals.find(fmt::format("n{}", net)); s != signals.end()) {
      a.toggles[net] = s->second.toggles;
      a.high_cycles[net] = static_cast<std::uint64_t>(s->second.high_time / 20e-9 + 0.5);
    }
  for (int net : n.find_port("clk_i")->bits) a.clock_nets.push_back(net);
  tech::PowerOptions options;
  options.frequency = 50e6;
  *power = tech::estimate_power(n, lib, a, options).total.total();
  return double(beats.size()) / seconds_since(start);
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Cost of timed activity against zero-delay counting and against Icarus with delays"};
  std::string kind_name = "mac", lib_name = "osu018";
  std::uint64_t beats = 20000, icarus_beats = 0;  // 0: as many as --beats
  double fraction = 0.02;
  app.add_option("--kind", kind_name, "mac, shift, threshold or spike");
  app.add_option("--lib", lib_name);
  app.add_option("--beats", beats);
  app.add_option("--fraction", fraction, "F of timed:F");
  app.add_option("--icarus-beats", icarus_beats, "Beats for the Icarus flow (default: --beats)");
  bool skip_icarus = false;
  app.add_flag("--no-icarus", skip_icarus, "Leave the Icarus flow out");
  CLI11_PARSE(app, argc, argv);
  try {
    const models::KernelKind kind = kernels::parse_kinds(kind_name, "--kind").front();
    const models::KernelParams p{kind, 9, 8, models::default_code_bits(kind, 8), 32};
    const tech::Library lib = tech::read_liberty(tech::resolve_library(lib_name));
    const auto cache_dir = vmodel::default_cache_dir();
    const auto progress = [](std::string_view s) { fmt::print(stderr, "{}", s); };
    const sim::KernelNetlist kernel = sim::synthesize_kernel(p, lib, cache_dir, progress);
    vmodel::ModelCache cache(cache_dir, progress);
    sim::KernelHarness dut(cache.load(sim::kernel_gate_spec(kernel, true)), p);
    models::OperandStream operands(p, {}, 1);
    std::vector<models::Beat> stimulus;
    for (std::uint64_t i = 0; i < beats; ++i) stimulus.push_back(operands.next());

    double p_zero = 0, p_sampled = 0, p_timed = 0;
    std::uint64_t t_zero = 0, t_sampled = 0, t_timed = 0;
    const double zero = counted_run(dut, kernel.netlist, lib, stimulus, {false, 1}, &p_zero, &t_zero);
    const double sampled = counted_run(dut, kernel.netlist, lib, stimulus, {true, fraction}, &p_sampled, &t_sampled);
    const double timed = counted_run(dut, kernel.netlist, lib, stimulus, {true, 1}, &p_timed, &t_timed);
    const auto compile_start = std::chrono::steady_clock::now();
    { const tech::TimedSimulator compiled(kernel.netlist, lib, "clk_i"); }
    const double compile_seconds = seconds_since(compile_start);
    fmt::print("{} on {} ({} cells), {} beats; the timed simulator compiles in {:.1f} ms\n", p.describe(), lib.name,
               kernel.netlist.instances.size(), beats, compile_seconds * 1e3);
    fmt::print("  (a) zero-delay counted     {:>10.0f} cycles/s  power {:.4g} mW\n", zero, p_zero * 1e3);
    fmt::print("  (b) timed:{:<4g} counted     {:>10.0f} cycles/s  power {:.4g} mW   cost (b)/(a) = {:.2f}x\n", fraction,
               sampled, p_sampled * 1e3, zero / sampled);
    fmt::print("  (c) timed counted          {:>10.0f} cycles/s  power {:.4g} mW   cost (c)/(a) = {:.2f}x\n", timed,
               p_timed * 1e3, zero / timed);
    fmt::print("      toggles per cycle: zero-delay {:.1f}, timed {:.1f} (every net, input ports included; {} in all)\n",
               double(t_zero) / double(beats), double(t_timed) / double(beats), t_timed);
    if (icarus_beats == 0) icarus_beats = beats;
    if (!skip_icarus) {
      std::vector<models::Beat> few(stimulus.begin(), stimulus.begin() + std::min<std::size_t>(icarus_beats, beats));
      const fs::path dir = fs::temp_directory_path() / fmt::format("neuroppa-timed-bench-{}", ::getpid());
      fs::create_directories(dir);
      double p_icarus = 0;
      const double icarus = icarus_flow(kernel.netlist, lib, p, few, dir, &p_icarus);
      fs::remove_all(dir);
      fmt::print("  (d) Icarus + VCD + power   {:>10.0f} cycles/s  power {:.4g} mW ({} beats, SDF delays)   "
                 "speed-up (c)/(d) = {:.1f}x\n",
                 icarus, p_icarus * 1e3, few.size(), timed / icarus);
    }
    return 0;
  } catch (const Error& e) {
    fmt::print(stderr, "error: {}\n", e.what());
    return 2;
  }
}
