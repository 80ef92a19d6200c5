/* Golden model of the mac synapse package: x * w, w a WW-bit two's-complement code. */
#include "neuroppa_kernel.h"

uint32_t np_kernel_abi_version(void) { return NP_KERNEL_ABI_VERSION; }

int64_t np_synapse_term(const np_kernel_params* p, uint32_t x, uint32_t code) {
  const uint64_t sign = 1ull << (p->WW - 1), low = code & ((1ull << p->WW) - 1);
  return (int64_t)x * (int64_t)((low ^ sign) - sign);
}

void np_term_bounds(const np_kernel_params* p, int64_t* min_term, int64_t* max_term) {
  const int64_t x_max = ((int64_t)1 << p->XW) - 1, w_min = -((int64_t)1 << (p->WW - 1));
  *min_term = x_max * w_min;
  *max_term = x_max * (-w_min - 1);
}
