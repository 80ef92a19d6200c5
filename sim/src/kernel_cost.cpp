#include "neuroppa/sim/kernel_cost.hpp"

#include <unistd.h>

#include <fmt/format.h>
#include <optional>
#include <thread>

#include "neuroppa/base/error.hpp"
#include "neuroppa/sim/kernel_harness.hpp"
#include "neuroppa/tech/sdf.hpp"
#include "neuroppa/tech/toggle_counter.hpp"
#include "neuroppa/tech/gate_model.hpp"
#include "neuroppa/sim/kernel_models.hpp"

namespace neuroppa::sim {
namespace fs = std::filesystem;

namespace {

// Toggles of `timed` over those of `zero_delay`, on the nets both count
// (the clock network toggles twice a cycle in both).
double toggle_ratio(const tech::Activity& timed, const tech::Activity& zero_delay) {
  double t = 0, z = 0;
  std::vector<bool> clock(timed.toggles.size(), false);
  for (int net : zero_delay.clock_nets) clock[net] = true;
  for (std::size_t net = 0; net < timed.toggles.size(); ++net) {
    if (clock[net]) continue;
    t += double(timed.toggles[net]);
    z += double(zero_delay.toggles[net]);
  }
  return z > 0 ? t / z : 1;
}

}  // namespace

KernelCost characterise_kernel(const models::KernelParams& params, const tech::Library& library,
                               const CostOptions& options, const fs::path& cache_dir, const ProgressFn& progress) {
  if (auto error = models::validate(params)) throw Error(*error);
  if (options.beats == 0) throw Error("--beats 0: give at least one beat");
  KernelCost cost;
  cost.params = params;
  const sim::KernelNetlist kernel = sim::synthesize_kernel(params, library, cache_dir, progress, options.by_block);
  const tech::Netlist& netlist = kernel.netlist;
  cost.area = tech::area_of(netlist);

  std::optional<tech::Parasitics> wires;
  if (options.layout) {
    cost.layout = tech::place_and_route(netlist, library, *options.layout, cache_dir, progress);
    wires = tech::read_spef(cost.layout->spef, netlist);
    double load = 0;
    for (double l : tech::net_loads(netlist, library, true, false, &*wires)) load += l;
    cost.wire_capacitance_share = load > 0 ? wires->total / load : 0;
  }
  const tech::Parasitics* parasitics = wires ? &*wires : nullptr;

  const fs::path sta_dir = cache_dir / "tmp" / fmt::format("sta.{}", ::getpid());
  // With wires, OpenSTA reads the netlist under the names the layout's SPEF uses.
  const tech::StaDesign design{&library, cost.layout ? cost.layout->verilog : kernel.synthesis.netlist_verilog,
                               netlist.top, "clk_i", 1 / options.frequency,
                               cost.layout ? cost.layout->spef : fs::path()};
  cost.timing = tech::opensta_timing(design, sta_dir);
  fs::remove_all(sta_dir);

  vmodel::ModelCache cache(cache_dir, progress);
  const auto model = cache.load(sim::kernel_gate_spec(kernel, true));
  KernelHarness dut(model, params);
  models::KernelGolden golden(params);
  models::OperandStream operands(params, options.operands, options.seed);
  tech::ToggleCounter toggles(dut.instance(), netlist, "clk_i");
  std::optional<tech::TimedSampler> timed;
  std::optional<tech::ArcDelays> fixed_delays;  // an SDF's (read against this netlist's names) or specify blocks'
  tech::TimedOptions timed_options = options.timed;
  timed_options.parasitics = parasitics;
  if (!options.sdf.empty())
    fixed_delays = tech::read_sdf(options.sdf, netlist);
  else if (options.specify)
    fixed_delays = tech::specify_arc_delays(netlist, *options.specify, options.timed.allow_partial);
  if (fixed_delays) timed_options.fixed = &*fixed_delays;
  if (options.activity.timed)
    timed.emplace(netlist, library, "clk_i", timed_options, options.activity, options.seed,
                  std::max(1u, std::thread::hardware_concurrency()));
  toggles.sample();  // after reset: the reference values
  for (std::uint64_t beat = 0; beat < options.beats; ++beat) {
    const models::Beat& b = operands.next();
    cost.mismatches += !(dut.step(b) == golden.step(b));
    toggles.sample();
    if (timed) timed->cycle(toggles.previous_words().data(), toggles.words().data());
  }
  if (cost.mismatches)
    throw Error(fmt::format("gate-level {} on {} differs from the golden model in {} of {} cycles",
                            params.describe(), library.name, cost.mismatches, options.beats));
  cost.beats = options.beats;
  cost.activity = options.activity;
  tech::PowerOptions power;
  power.frequency = options.frequency;
  power.parasitics = parasitics;
  const tech::Activity zero_delay = toggles.activity();
  cost.zero_delay_power = tech::estimate_power(netlist, library, zero_delay, power);
  cost.power = cost.zero_delay_power;
  if (!timed) {
    if (options.by_block) cost.blocks = kernel_blocks(netlist, params, cost.power, cost.zero_delay_power);
    return cost;
  }
  if (timed->mismatched_cycles())
    throw Error(fmt::format("timed replay of {} on {} settled elsewhere than the zero-delay model in {} cycles "
                            "(please report)",
                            params.describe(), library.name, timed->mismatched_cycles()));
  cost.arcs_fallen_back = timed->simulator().arcs_fallen_back();
  const tech::Activity estimate = timed->estimate(zero_delay);
  cost.power = tech::estimate_power(netlist, library, estimate, power);
  cost.glitch_share = toggle_ratio(estimate, zero_delay);
  if (options.activity.sampled()) {
    std::vector<double> batches;
    for (const tech::Activity& a : timed->batch_estimates(zero_delay))
      batches.push_back(tech::estimate_power(netlist, library, a, power).total.total());
    cost.power_half_width = tech::confidence_interval(batches).half_width;
  }
  if (options.by_block) cost.blocks = kernel_blocks(netlist, params, cost.power, cost.zero_delay_power);
  return cost;
}

}  // namespace neuroppa::sim
