// The parameter sets every kernel is regressed on: K in {1, 9, 25},
// activations and weights at 4 and 8 bits (graded spikes of 2, 3, 4 and 8), accumulators at exactly the
// width one beat needs (so the accumulator wraps often) and at 64 bits.
// shift codes stop at WW = 6: a 7- or 8-bit code would shift by 62 or 126
// and needs a wider accumulator than the 64-bit maximum.
#pragma once

#include <string_view>
#include <vector>

#include "neuroppa/models/kernel.hpp"

namespace neuroppa::test {

inline std::vector<models::KernelParams> regression_sets(models::KernelKind kind) {
  auto tight = [](models::KernelParams p) {
    p.AW = p.required_accumulator_bits();
    return p;
  };
  const std::string_view name = models::to_string(kind);
  if (name == "mac")
    return {tight({kind, 1, 4, 4, 0}), tight({kind, 9, 8, 8, 0}), tight({kind, 25, 8, 4, 0}), {kind, 25, 4, 8, 64}};
  if (name == "shift")
    return {tight({kind, 1, 4, 4, 0}), tight({kind, 9, 8, 4, 0}), tight({kind, 25, 4, 6, 0}), {kind, 25, 8, 5, 64}};
  if (name == "threshold")
    return {tight({kind, 1, 4, 0, 0}), tight({kind, 9, 8, 0, 0}), tight({kind, 25, 8, 0, 0}), {kind, 25, 4, 0, 64}};
  if (name == "spike")
    return {tight({kind, 1, 0, 4, 0}), tight({kind, 9, 0, 8, 0}), tight({kind, 25, 0, 4, 0}), {kind, 25, 0, 8, 64}};
  if (name == "sigma-delta") {  // no chain: tree, its default
    constexpr auto tree = models::KernelArch::tree;
    return {tight({kind, 1, 2, 4, 0, tree}), tight({kind, 9, 4, 8, 0, tree}), tight({kind, 25, 8, 4, 0, tree}),
            {kind, 25, 3, 8, 64, tree}};
  }
  return {};
}

}  // namespace neuroppa::test
