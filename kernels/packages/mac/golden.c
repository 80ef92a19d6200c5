/* mac: term = x * w, x unsigned XW bits, w a signed WW-bit integer. */
#include "neuroppa_kernel.h"

uint32_t np_kernel_abi_version(void) { return NP_KERNEL_ABI_VERSION; }

static int64_t signed_code(uint32_t code, uint32_t bits) {
  const int64_t sign = (int64_t)1 << (bits - 1);
  return (int64_t)(code & (((uint32_t)1 << bits) - 1)) - (code & sign ? 2 * sign : 0);
}

int64_t np_synapse_term(const np_kernel_params* p, uint32_t x, uint32_t code) {
  return (int64_t)x * signed_code(code, p->WW);
}

void np_term_bounds(const np_kernel_params* p, int64_t* min_term, int64_t* max_term) {
  const int64_t x_max = ((int64_t)1 << p->XW) - 1, w_neg = (int64_t)1 << (p->WW - 1);
  *min_term = -x_max * w_neg;
  *max_term = x_max * (w_neg - 1);
}

int np_corner_code(const np_kernel_params* p, uint32_t which, uint32_t* code) {
  const uint32_t w_neg = (uint32_t)1 << (p->WW - 1);
  switch (which) {
    case NP_CODE_MOST_POSITIVE: *code = w_neg - 1; return 1;
    case NP_CODE_MOST_NEGATIVE: *code = w_neg; return 1;
    case NP_CODE_ZERO:
    case NP_CODE_ZERO_OTHER: *code = 0; return 1; /* two's complement has one zero */
    default: return 0;
  }
}
