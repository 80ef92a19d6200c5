// Cost of toggle counting at gate level, measured side by side in one run:
// the same kernel netlist driven by the same beats (a) as the plain
// gate-level model (continuous assignments, what a user would simulate), (b)
// in the clocked form counting models use, every net exposed, not counted,
// (c) the same, counted. Prints beats/s and the ratios; the budget is that
// counting costs at most 2x: (a)/(c) <= 2.
//
//   bench/gate_activity_bench [--kernel mac] [--lib osu018] [--beats 200000]
#include <CLI/CLI.hpp>

#include <chrono>
#include <cstdio>
#include <fmt/format.h>

#include "neuroppa/base/error.hpp"
#include "neuroppa/kernels/catalogue.hpp"
#include "neuroppa/models/stimulus.hpp"
#include "neuroppa/sim/kernel_harness.hpp"
#include "neuroppa/tech/toggle_counter.hpp"
#include "neuroppa/tech/gate_model.hpp"
#include "neuroppa/sim/kernel_models.hpp"

using namespace neuroppa;

namespace {

// Beats/s of driving `beats` beats, calling `after_step` after each cycle.
template <class AfterStep>
double measure(sim::KernelHarness& dut, const models::KernelParams& p, std::uint64_t beats, AfterStep after_step) {
  models::BeatStream stream(p, 1);
  std::vector<models::Beat> stimulus;  // generated up front: only the model is timed
  for (std::uint64_t done = 0; done < beats;) {
    stimulus.push_back(stream.next());
    done += stimulus.back().valid;
  }
  dut.reset();
  const auto start = std::chrono::steady_clock::now();
  for (const auto& beat : stimulus) {
    dut.step(beat);
    after_step();
  }
  return beats / std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Toggle-counting overhead at gate level"};
  std::string kernel = "mac", lib_name = "osu018";
  std::uint64_t beats = 200000;
  app.add_option("--kind", kernel, "mac, shift, threshold or spike");
  app.add_option("--lib", lib_name);
  app.add_option("--beats", beats);
  CLI11_PARSE(app, argc, argv);
  try {
    const models::KernelKind kind = kernels::parse_kinds(kernel, "--kind").front();
    const models::KernelParams p{kind, 9, 8, models::default_code_bits(kind, 8), 32};
    const tech::Library lib = tech::read_liberty(tech::resolve_library(lib_name));
    const auto cache_dir = vmodel::default_cache_dir();
    const auto progress = [](std::string_view s) { fmt::print(stderr, "{}", s); };
    const sim::KernelNetlist kernel = sim::synthesize_kernel(p, lib, cache_dir, progress);
    const tech::Netlist& netlist = kernel.netlist;
    vmodel::ModelCache cache(cache_dir, progress);
    const auto plain = cache.load(sim::kernel_gate_spec(kernel, false));
    const auto exposed = cache.load(sim::kernel_gate_spec(kernel, true));

    sim::KernelHarness plain_dut(plain, p), exposed_dut(exposed, p);
    const double a = measure(plain_dut, p, beats, [] {});
    const double b = measure(exposed_dut, p, beats, [] {});
    tech::ToggleCounter toggles(exposed_dut.instance(), netlist, "clk_i");
    const double c = measure(exposed_dut, p, beats, [&] { toggles.sample(); });
    fmt::print("{} on {}: {} cells, {} nets, {} beats\n", p.describe(), lib.name, netlist.instances.size(),
               netlist.net_count(), beats);
    fmt::print("  (a) plain gate-level model                    {:10.3g} beats/s\n", a);
    fmt::print("  (b) clocked form, nets exposed, not counted   {:10.3g} beats/s   a/b {:.2f}\n", b, a / b);
    fmt::print("  (c) clocked form, nets exposed and counted    {:10.3g} beats/s   a/c {:.2f} (budget 2), b/c {:.2f}\n",
               c, a / c, b / c);
    return 0;
  } catch (const Error& e) {
    fmt::print(stderr, "gate_activity_bench: error: {}\n", e.what());
    return 2;
  }
}
