// The accelerator's memories as the controller sees them: on-chip memories
// with capacity, word width, banks, ports and read latency; system memory
// with latency and bandwidth; and how a network's weights are laid into the
// weight memory (resident, or streamed through its two halves).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "neuroppa/models/network.hpp"

namespace neuroppa::sim {

struct OnChipMemory {
  std::uint64_t capacity_bytes = 0;  // 0: as large as the network needs
  unsigned word_bits = 0;            // 0: as wide as any access (one access a cycle)
  unsigned banks = 1, ports = 1;     // accesses spread over banks; ports serve in parallel
  unsigned read_latency = 0;         // cycles from a read's issue to its data
  // Cycles one access of `bits` keeps one port busy: bits over
  // word_bits x banks, rounded up; 0 for an unlimited-width memory.
  std::uint64_t occupancy(std::uint64_t bits) const;
  std::string describe() const;
};

struct SystemMemoryTiming {
  double latency = 0;    // s, per access
  double bandwidth = 0;  // bytes/s; 0 = unlimited
};

struct MemoryConfig {
  std::string name = "ideal";
  OnChipMemory weights, activations, membrane;
  SystemMemoryTiming system;
  // Ideal: unlimited capacity, width, ports and bandwidth; no latency. The
  // cycles are exactly the datapath's schedule (docs/platform.md).
  static MemoryConfig ideal();
  // What a designer would build for P lanes of K synapses: the weight memory
  // one bank per lane, K codes wide; activation buffers K activations wide
  // with a read and a write port; membrane memory one bank per lane; one
  // cycle read latency everywhere; all weights resident; system memory
  // 100 ns and 1.6 GB/s (a 64-bit bus at 200 MHz).
  static MemoryConfig standard(unsigned lanes, unsigned K, unsigned code_bits, unsigned activation_bits,
                               unsigned AW);
};

// Applies "key=value,key=value" to a configuration, e.g.
// "weights.width=64,system.bandwidth=200e6"; "ideal" or "standard" first
// selects the base. Keys: {weights,activations,membrane}.{capacity,width,
// banks,ports,latency}, system.{latency,bandwidth}. Throws neuroppa::Error
// naming the key or value.
MemoryConfig parse_memory_config(const std::string& spec, const MemoryConfig& standard);
std::string memory_config_keys();

// One piece of the weights the controller needs in the weight memory at
// once: a whole layer, or (a dense layer larger than half the memory) the
// weights of one group of P output channels.
struct WeightSegment {
  std::size_t layer = 0;
  unsigned first_group = 0, groups = 0;
  std::uint64_t offset = 0, bytes = 0;  // in the layer's packed codes
};

struct WeightPlan {
  bool resident = false;                 // all weights fit: loaded once per job
  std::vector<WeightSegment> segments;   // per image, in use order
  std::vector<std::size_t> first_segment;  // per layer: index of its first segment (compute layers)
  std::uint64_t total_bytes = 0;
  // What each memory must hold (its capacity where the configuration gives one).
  std::uint64_t weight_bytes = 0, activation_bytes = 0, membrane_bytes = 0;
};

// Checks every on-chip memory holds what the network needs and lays out the
// weights; throws neuroppa::Error naming the memory, the layer and the size
// it needs when one is too small.
WeightPlan plan_memories(const models::Network& network, const MemoryConfig& config, unsigned lanes, unsigned K);

}  // namespace neuroppa::sim
