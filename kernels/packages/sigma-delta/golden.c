/* sigma-delta: a signed XW-bit graded spike s times a signed WW-bit weight. */
#include "neuroppa_kernel.h"

uint32_t np_kernel_abi_version(void) { return NP_KERNEL_ABI_VERSION; }

static int64_t signed_code(uint32_t code, uint32_t bits) {
  const int64_t sign = (int64_t)1 << (bits - 1);
  return (int64_t)(code & (((uint32_t)1 << bits) - 1)) - (code & sign ? 2 * sign : 0);
}

int64_t np_synapse_term(const np_kernel_params* p, uint32_t x, uint32_t code) {
  return signed_code(x, p->XW) * signed_code(code, p->WW);
}

void np_term_bounds(const np_kernel_params* p, int64_t* min_term, int64_t* max_term) {
  const int64_t s_neg = (int64_t)1 << (p->XW - 1), w_neg = (int64_t)1 << (p->WW - 1);
  *max_term = s_neg * w_neg;                        /* (-2^(XW-1)) * (-2^(WW-1)) */
  *min_term = -s_neg * (w_neg - 1);                 /* (-2^(XW-1)) * (2^(WW-1) - 1) */
  if (-(s_neg - 1) * w_neg < *min_term) *min_term = -(s_neg - 1) * w_neg; /* (2^(XW-1)-1) * -2^(WW-1) */
}

/* The stimulus's "largest x" is the all-ones code, a spike of -1: the most
 * positive term there comes from the most negative weight. */
int np_corner_code(const np_kernel_params* p, uint32_t which, uint32_t* code) {
  const uint32_t w_neg = (uint32_t)1 << (p->WW - 1);
  switch (which) {
    case NP_CODE_MOST_POSITIVE: *code = w_neg; return 1;
    case NP_CODE_MOST_NEGATIVE: *code = w_neg - 1; return 1;
    case NP_CODE_ZERO:
    case NP_CODE_ZERO_OTHER: *code = 0; return 1;
    default: return 0;
  }
}
