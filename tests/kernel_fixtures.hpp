// Kernel parameters the tests share.
#pragma once

#include "neuroppa/models/kernel.hpp"

namespace neuroppa::test {

// K = 9, XW = 8, the kind's default weight code, a 32-bit accumulator, and
// the chain arch where the kind has one (its default arch otherwise: the
// sigma-delta kernel has no chain).
inline models::KernelParams default_kernel(models::KernelKind kind) {
  models::KernelParams p{kind, 9, 8, models::default_code_bits(kind, 8), 32};
  if (!models::arch_exists(kind, p.arch)) p.arch = models::default_arch(kind);
  return p;
}

}  // namespace neuroppa::test
