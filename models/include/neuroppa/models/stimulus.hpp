// Regression stimulus for a kernel: a seeded stream of clock cycles that
// mixes random beats with the corner cases the RTL must get right.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string_view>

#include "neuroppa/models/kernel.hpp"
#include "neuroppa/models/random.hpp"

namespace neuroppa::models {

// What a group of beats (one neuron output, first..last) exercises.
enum class Scenario {
  random,        // uniform activations and codes, moderate bias and shift
  extreme,       // activations 0 or max, weights at their most negative/positive
  wrap,          // long same-sign extreme groups: the accumulator wraps at AW bits
  zero_codes,    // zero weight codes (pruned synapses), negative zero for shift
  theta_edges,   // the edge codes where the golden model gives them (threshold: theta = 0 and max); else as extreme
  spike_edges,   // all-zero and all-one spike beats
  boundary,      // last beat puts acc + bias (or v) exactly on an edge: 0, saturation,
                 // the AW-bit wrap point, the shift's rounding step, v == vth
};
inline constexpr int kScenarioCount = 7;
std::string_view to_string(Scenario s);

class BeatStream {
 public:
  BeatStream(const KernelParams& params, std::uint64_t seed);

  // The inputs of the next clock cycle. Idle cycles (valid = false, other
  // inputs random) fall between groups.
  const Beat& next();
  Scenario scenario() const { return scenario_; }

 private:
  void start_group();
  void fill_operands();
  void set_last_beat_operands();
  void set_sigma_delta_edge(std::int64_t aw_max);  // boundary: the sigma-delta's edges
  void randomize_all();  // idle cycles: every input random, valid low
  std::uint32_t random_code();
  std::uint32_t extreme_code(bool positive);
  std::uint32_t zero_code();
  std::int64_t random_signed(unsigned bits);

  KernelParams p_;
  unsigned code_bits_;                  // p_.code_bits(), asked once (a package's is a call)
  unsigned activation_bits_;            // p_.activation_bits(), likewise
  const std::int64_t* term_table_;      // term_table(p_): the terms by lookup
  // The golden model's edge codes (low +, low -, high +, high -), if it gives all four.
  std::array<std::uint32_t, 4> edge_codes_{};
  bool has_edges_ = false;
  // models::extreme_code and zero_code, asked once each (a package's come from its golden terms).
  std::array<std::optional<std::uint32_t>, 2> extreme_codes_, zero_codes_;
  Rng rng_;
  Beat beat_;
  Scenario scenario_ = Scenario::random;
  std::uint64_t group_left_ = 0;  // beats left in the current group
  std::uint64_t idle_left_ = 0;   // idle cycles before the next group
  bool group_positive_ = true;    // sign of the wrap scenario's terms
  std::int64_t acc_ = 0;          // the group's running sum, wrapped at AW bits
};

}  // namespace neuroppa::models
