/* AdderNet golden model: the term of one synapse is -|x - w|. */
#include "neuroppa_kernel.h"

uint32_t np_kernel_abi_version(void) { return NP_KERNEL_ABI_VERSION; }

/* The weight code is a WW-bit two's-complement integer. */
static int64_t weight(const np_kernel_params* p, uint32_t code) {
  const uint64_t sign = 1ull << (p->WW - 1);
  const uint64_t low = code & ((1ull << p->WW) - 1);
  return (int64_t)((low ^ sign) - sign);
}

int64_t np_synapse_term(const np_kernel_params* p, uint32_t x, uint32_t code) {
  const int64_t d = (int64_t)x - weight(p, code);
  return d < 0 ? d : -d;
}

/* The term is 0 at x = w and least at x = 2^XW - 1, w = -2^(WW-1). */
void np_term_bounds(const np_kernel_params* p, int64_t* min_term, int64_t* max_term) {
  *min_term = -(((int64_t)1 << p->XW) - 1) - ((int64_t)1 << (p->WW - 1));
  *max_term = 0;
}
