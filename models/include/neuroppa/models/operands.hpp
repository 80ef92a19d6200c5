// Operand streams for characterising a kernel's cost: activations with a
// chosen sparsity (uniform, or sampled from a file of real activations) and
// weight codes (uniform over the code space, or sampled from a file), in
// groups of beats that each produce one neuron output. Seeded.
#pragma once

#include <cstdint>
#include <filesystem>
#include <vector>

#include "neuroppa/models/kernel.hpp"
#include "neuroppa/models/random.hpp"

namespace neuroppa::models {

struct OperandSpec {
  double activation_sparsity = 0.5;  // fraction of zero activations (spike: of beats without a spike)
  std::vector<std::uint32_t> activations;  // if given: non-zero draws sample these values
  std::vector<std::uint32_t> weights;      // if given: codes are sampled from these
  unsigned beats_per_output = 16;          // beats from first to last
};

// Reads whitespace-separated non-negative integers, each below 2^bits.
// Throws neuroppa::Error naming the file, line and value otherwise.
std::vector<std::uint32_t> read_value_file(const std::filesystem::path& path, unsigned bits, const char* what);

class OperandStream {
 public:
  OperandStream(const KernelParams& params, const OperandSpec& spec, std::uint64_t seed);
  // One valid beat per call; every beats_per_output-th closes an output.
  const Beat& next();

 private:
  KernelParams p_;
  OperandSpec spec_;
  Rng rng_;
  Beat beat_;
  unsigned index_ = 0;
};

}  // namespace neuroppa::models
