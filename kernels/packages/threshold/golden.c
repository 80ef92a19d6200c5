/* threshold: a code {sign, theta} of XW + 1 bits adds +/-max(0, x - theta). */
#include "neuroppa_kernel.h"

uint32_t np_kernel_abi_version(void) { return NP_KERNEL_ABI_VERSION; }

int64_t np_synapse_term(const np_kernel_params* p, uint32_t x, uint32_t code) {
  const uint32_t theta = code & (((uint32_t)1 << p->XW) - 1);
  const int64_t excess = x > theta ? (int64_t)x - theta : 0;
  return (code >> p->XW) & 1 ? -excess : excess;
}

void np_term_bounds(const np_kernel_params* p, int64_t* min_term, int64_t* max_term) {
  const int64_t x_max = ((int64_t)1 << p->XW) - 1;
  *min_term = -x_max;
  *max_term = x_max;
}

int np_corner_code(const np_kernel_params* p, uint32_t which, uint32_t* code) {
  const uint32_t negative = (uint32_t)1 << p->XW, theta_max = negative - 1;
  switch (which) {
    case NP_CODE_MOST_POSITIVE:
    case NP_CODE_EDGE_LOW_POSITIVE: *code = 0; return 1;  /* theta = 0 */
    case NP_CODE_MOST_NEGATIVE:
    case NP_CODE_EDGE_LOW_NEGATIVE: *code = negative; return 1;
    case NP_CODE_ZERO:  /* theta = max: nothing exceeds it */
    case NP_CODE_EDGE_HIGH_POSITIVE: *code = theta_max; return 1;
    case NP_CODE_ZERO_OTHER:
    case NP_CODE_EDGE_HIGH_NEGATIVE: *code = negative | theta_max; return 1;
    default: return 0;
  }
}
