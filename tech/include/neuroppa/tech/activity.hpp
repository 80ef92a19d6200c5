// Switching activity of a netlist: per-net toggle counts over a number of
// clock cycles and the cycles each net spent high (for leakage and duty).
// Where it comes from is another matter: tech/toggle_counter.hpp counts it on
// a running gate-level model, tech/activity_file.hpp reads a VCD or SAIF.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace neuroppa::tech {

struct Activity {
  std::uint64_t cycles = 0;
  std::vector<std::uint64_t> toggles;      // per net id
  std::vector<std::uint64_t> high_cycles;  // per net id
  // The clock net toggles twice a cycle; it is not sampled but known.
  std::vector<int> clock_nets;

  double toggle_rate(int net) const { return cycles ? double(toggles[net]) / cycles : 0; }
  double duty(int net) const { return cycles ? double(high_cycles[net]) / cycles : 0; }
};

}  // namespace neuroppa::tech
