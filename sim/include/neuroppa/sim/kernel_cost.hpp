// What a kernel costs in silicon: synthesised onto a library, its area
// (equal to yosys stat), its critical path (OpenSTA), and its power when the
// gate-level netlist runs an operand stream, priced from per-net toggles.
#pragma once

#include <filesystem>
#include <functional>
#include <string_view>

#include "neuroppa/base/progress.hpp"
#include "neuroppa/models/operands.hpp"
#include "neuroppa/sim/kernel_blocks.hpp"
#include "neuroppa/tech/layout.hpp"
#include "neuroppa/tech/liberty.hpp"
#include "neuroppa/tech/netlist.hpp"
#include "neuroppa/tech/opensta.hpp"
#include "neuroppa/tech/power.hpp"
#include "neuroppa/tech/specify.hpp"
#include "neuroppa/tech/timed_activity.hpp"

namespace neuroppa::sim {

struct CostOptions {
  double frequency = 100e6;     // Hz, the clock power is priced at
  std::uint64_t beats = 20000;  // beats simulated at gate level
  std::uint64_t seed = 1;
  models::OperandSpec operands;
  tech::ActivityMode activity{true, 1};  // timed by default: glitches are most of the transitions
  tech::TimedOptions timed;              // input timing; allow_partial for the SDF
  std::filesystem::path sdf;             // delays of the synthesised netlist from this SDF instead of Liberty
  const tech::SpecifyDelays* specify = nullptr;  // or from these Verilog cell models' specify blocks
  bool by_block = false;                 // synthesise keeping hierarchy and fill KernelCost::blocks
  // Place and route the netlist (qflow) and price it with its extracted wires: their capacitance in power
  // and in the timed replay's delays, their Elmore delays in the replay, f_max from OpenSTA with the SPEF.
  std::optional<tech::LayoutOptions> layout;
};

struct KernelCost {
  models::KernelParams params;
  tech::AreaReport area;
  tech::StaTimingReport timing;
  tech::PowerReport power;             // in the activity mode asked for
  tech::PowerReport zero_delay_power;  // the same run, zero-delay activity
  tech::ActivityMode activity;
  double power_half_width = 0;         // W, 95% interval of `power` (timed:F; 0 when exact)
  double glitch_share = 1;             // timed / zero-delay toggles (1 for zero-delay)
  std::size_t arcs_fallen_back = 0;    // SDF delays with allow_partial: arcs that took Liberty's
  std::uint64_t beats = 0;
  std::uint64_t mismatches = 0;  // gate-level outputs that differed from the golden model
  std::vector<BlockCost> blocks;  // with CostOptions::by_block
  std::optional<tech::LayoutResult> layout;  // with CostOptions::layout
  double wire_capacitance_share = 0;  // with layout: wire capacitance over all the nets' load (pins and wires)
  // Energy of one beat (K synapse operations) at the clock frequency, J.
  double energy_per_beat() const { return power.total.total() / power.frequency * power.cycles / double(beats); }
  double energy_per_synapse_op() const { return energy_per_beat() / params.K; }
};


// Throws neuroppa::Error on invalid parameters, tool failures, or a
// gate-level netlist that disagrees with the golden model.
KernelCost characterise_kernel(const models::KernelParams& params, const tech::Library& library,
                               const CostOptions& options, const std::filesystem::path& cache_dir,
                               const ProgressFn& progress = {});

}  // namespace neuroppa::sim
