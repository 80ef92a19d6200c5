/* sigma-delta-synapse: a signed XW-bit graded spike times a signed WW-bit weight. */
#include "neuroppa_kernel.h"

uint32_t np_kernel_abi_version(void) { return NP_KERNEL_ABI_VERSION; }

static int64_t signed_code(uint32_t code, uint32_t bits) {
  const int64_t sign = (int64_t)1 << (bits - 1);
  return (int64_t)(code & (((uint32_t)1 << bits) - 1)) - (code & sign ? 2 * sign : 0);
}

int64_t np_synapse_term(const np_kernel_params* p, uint32_t x, uint32_t code) {
  return signed_code(x, p->XW) * signed_code(code, p->WW);
}
