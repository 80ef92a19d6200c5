#pragma once

#include <cstdint>

namespace neuroppa::models {

// xoshiro256** seeded through splitmix64. Its own, so that a seed gives the
// same stream with every compiler and standard library (std distributions
// are not portable).
class Rng {
 public:
  explicit Rng(std::uint64_t seed);
  std::uint64_t next();
  std::uint64_t below(std::uint64_t n);      // uniform in [0, n), n > 0
  std::uint64_t bits(unsigned count);        // uniform count-bit value, count <= 64
  bool chance(unsigned num, unsigned den) { return below(den) < num; }

 private:
  std::uint64_t s_[4];
};

}  // namespace neuroppa::models
