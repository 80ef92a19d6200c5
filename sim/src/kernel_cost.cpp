#include "neuroppa/sim/kernel_cost.hpp"

#include <unistd.h>

#include <fmt/format.h>

#include "neuroppa/base/error.hpp"
#include "neuroppa/sim/kernel_harness.hpp"
#include "neuroppa/tech/toggle_counter.hpp"
#include "neuroppa/tech/gate_model.hpp"
#include "neuroppa/sim/kernel_models.hpp"

namespace neuroppa::sim {
namespace fs = std::filesystem;

KernelCost characterise_kernel(const models::KernelParams& params, const tech::Library& library,
                               const CostOptions& options, const fs::path& cache_dir, const ProgressFn& progress) {
  if (auto error = models::validate(params)) throw Error(*error);
  if (options.beats == 0) throw Error("--beats 0: give at least one beat");
  KernelCost cost;
  cost.params = params;
  const sim::KernelNetlist kernel = sim::synthesize_kernel(params, library, cache_dir, progress);
  const tech::Netlist& netlist = kernel.netlist;
  cost.area = tech::area_of(netlist);

  const fs::path sta_dir = cache_dir / "tmp" / fmt::format("sta.{}", ::getpid());
  const tech::StaDesign design{&library, kernel.synthesis.netlist_verilog, netlist.top, "clk_i", 1 / options.frequency};
  cost.timing = tech::opensta_timing(design, sta_dir);
  fs::remove_all(sta_dir);

  vmodel::ModelCache cache(cache_dir, progress);
  const auto model = cache.load(sim::kernel_gate_spec(kernel, true));
  KernelHarness dut(model, params);
  models::KernelGolden golden(params);
  models::OperandStream operands(params, options.operands, options.seed);
  tech::ToggleCounter toggles(dut.instance(), netlist, "clk_i");
  toggles.sample();  // after reset: the reference values
  for (std::uint64_t beat = 0; beat < options.beats; ++beat) {
    const models::Beat& b = operands.next();
    cost.mismatches += !(dut.step(b) == golden.step(b));
    toggles.sample();
  }
  if (cost.mismatches)
    throw Error(fmt::format("gate-level {} on {} differs from the golden model in {} of {} cycles",
                            params.describe(), library.name, cost.mismatches, options.beats));
  cost.beats = options.beats;
  tech::PowerOptions power;
  power.frequency = options.frequency;
  cost.power = tech::estimate_power(netlist, library, toggles.activity(), power);
  return cost;
}

}  // namespace neuroppa::sim
