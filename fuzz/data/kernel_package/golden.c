/* AdderNet golden model: the term of one synapse is -|x - w|. */
#include "neuroppa_kernel.h"

uint32_t np_kernel_abi_version(void) { return NP_KERNEL_ABI_VERSION; }

/* The weight code is an unsigned WW-bit integer (activations are never negative). */
int64_t np_synapse_term(const np_kernel_params* p, uint32_t x, uint32_t code) {
  const int64_t w = (int64_t)(code & ((1ull << p->WW) - 1));
  const int64_t d = (int64_t)x - w;
  return d < 0 ? d : -d;
}

/* The term is 0 at x = w and least at x = 0, w = 2^WW - 1 or x = 2^XW - 1, w = 0. */
void np_term_bounds(const np_kernel_params* p, int64_t* min_term, int64_t* max_term) {
  const int64_t x_max = ((int64_t)1 << p->XW) - 1, w_max = ((int64_t)1 << p->WW) - 1;
  *min_term = -(x_max > w_max ? x_max : w_max);
  *max_term = 0;
}
