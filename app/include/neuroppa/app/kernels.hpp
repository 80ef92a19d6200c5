// neuroppa kernels: each kernel synthesised onto standard-cell libraries,
// its area, f_max and the power of its gate-level netlist on seeded
// operands, with savings against mac.
#pragma once

#include <string>
#include <vector>

#include "neuroppa/app/context.hpp"
#include "neuroppa/reports/table.hpp"
#include "neuroppa/sim/kernel_cost.hpp"

namespace neuroppa::app {

struct KernelsRequest {
  std::vector<std::string> libs = {"osu018"};  // names (osu018, ...) or Liberty files
  std::vector<models::KernelKind> kinds;       // default: every kind
  std::vector<unsigned> Ks = {9};
  std::vector<models::KernelArch> archs;  // empty: each kind's default (models::default_arch)
  models::ResetStyle reset = models::ResetStyle::async;
  unsigned pipeline = 0;  // models::KernelParams::pipeline
  std::optional<unsigned> XW;  // default: each kind's own (models::default_xw)
  unsigned AW = 32;
  double frequency = 50e6;  // every default (K=9, osu018) kernel meets it
  std::uint64_t beats = 20000;
  double sparsity = 0.5;
  unsigned beats_per_output = 16;
  std::string activations, weights;  // value files to sample, or empty
  std::uint64_t seed = 1;
  tech::ActivityMode activity{true, 1};  // timed
  std::string sdf;  // SDF file of delays for one kernel's netlist (instead of Liberty), or empty
  bool allow_partial = false;  // arcs the SDF lacks take Liberty delays (else an error)
  // Verilog cell models whose specify blocks give the gate delays (the vendor's, fixed per arc) instead of
  // Liberty's NLDM: any kernels, one library; or empty.
  std::string specify;
  bool by_block = false;       // synthesise keeping hierarchy; KernelsResult::blocks
  // Also place and route each kernel (qflow) and price it with its extracted wires: KernelRow::post_layout,
  // KernelsResult::layout. Libraries qflow has a technology for (OSU) only.
  bool layout = false;
  tech::LayoutOptions layout_options;
  // A package's own parameters by name (--param); each kind takes those it has.
  std::vector<std::pair<std::string, unsigned>> own_parameters;
};

struct KernelRow {
  std::string lib;  // library name
  sim::KernelCost cost;
  // paper T1: the same kernel timed with the library's own Verilog models' specify delays (where it ships them).
  std::optional<sim::KernelCost> specify;
  // With KernelsRequest::layout: the same kernel placed, routed and priced with its wires.
  std::optional<sim::KernelCost> post_layout;
};

struct KernelsResult {
  std::vector<KernelRow> rows;
  reports::Table table;
  reports::Table blocks;  // with by_block: area and power by block
  reports::Table layout;  // with layout: pre- and post-layout side by side
};

// Every parameter is checked before the first (long) build.
KernelsResult characterise_kernels(const KernelsRequest& request, const Context& context);

// One line on how activity was counted, for the table's notes.
std::string activity_note(const KernelsRequest& request);

// The baseline of a row's savings: mac on the same library and K, with the
// row's arch if mac was built so, else mac's default arch (or any mac).
const sim::KernelCost* baseline_mac(const std::vector<KernelRow>& rows, const KernelRow& row);

// The cost table of `rows`: savings are mac's figure over the kernel's on the
// same library, K and micro-architecture. An arch column appears when more
// than one is in the rows. A library column appears when there is more than one.
reports::Table kernel_cost_table(const std::vector<KernelRow>& rows);

// Pre- and post-layout side by side for the rows that have post_layout:
// cell and core area, utilisation, wire length, the wires' share of the
// capacitance, f_max and power both ways, savings against mac both ways,
// and how long the layout took (cold) and whether it was cached.
reports::Table kernel_layout_table(const std::vector<KernelRow>& rows);

// Area and power of each kernel's blocks (sim::kernel_blocks) with their
// shares of the kernel and savings against the same block of mac (same
// library, K and micro-architecture).
reports::Table kernel_block_table(const std::vector<KernelRow>& rows);

}  // namespace neuroppa::app
