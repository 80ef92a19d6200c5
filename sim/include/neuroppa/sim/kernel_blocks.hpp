// A kernel's area and power by block, from a netlist synthesised with its
// hierarchy kept (tech::SynthesisRequest::keep_hierarchy): each cell's
// instance path names the RTL instance it came from.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "neuroppa/models/kernel.hpp"
#include "neuroppa/tech/netlist.hpp"
#include "neuroppa/tech/power.hpp"

namespace neuroppa::sim {

struct BlockCost {
  std::string name;
  long cells = 0;
  double area = 0;                  // µm²
  tech::PowerParts power;           // in the cost's activity mode
  tech::PowerParts zero_delay_power;
};

// The block a cell belongs to, from its instance name:
//   synapses             the K terms (top-level logic; with chain the serial
//                        adders too: "synapses + adder chain")
//   adders               np_reduce: the tree or the compressor and its adder
//   accumulator adder    np_accumulator's first/add logic and capture gate
//   accumulator register its AW flops
//   output stage         np_output_stage or np_membrane
//   output register      the y (or v and spike) flops
//   control              the valid flop
//   pipeline register    with KernelParams::pipeline: the beat's sum,
//                        handshake and end-of-neuron operands (np_beat_stage)
std::string_view kernel_block(std::string_view instance, const models::KernelParams& params);

// Every block in the order above, then "input nets" (the switching of nets
// driven by the kernel's ports, which no cell drives); blocks sum to the
// netlist's area and to the reports' totals.
std::vector<BlockCost> kernel_blocks(const tech::Netlist& netlist, const models::KernelParams& params,
                                     const tech::PowerReport& power, const tech::PowerReport& zero_delay_power);

}  // namespace neuroppa::sim
