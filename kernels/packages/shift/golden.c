/* shift: a WW-bit code {sign, m} adds +/-(x << (m - 1)), or 0 when m = 0 (a
 * pruned weight). m reaches 2^(WW-1) - 1, so the largest shift is 2^(WW-1) - 2. */
#include "neuroppa_kernel.h"

uint32_t np_kernel_abi_version(void) { return NP_KERNEL_ABI_VERSION; }

int64_t np_synapse_term(const np_kernel_params* p, uint32_t x, uint32_t code) {
  const uint32_t m = code & (((uint32_t)1 << (p->WW - 1)) - 1);
  if (m == 0) return 0;
  const int64_t magnitude = (int64_t)x << (m - 1);
  return (code >> (p->WW - 1)) & 1 ? -magnitude : magnitude;
}

void np_term_bounds(const np_kernel_params* p, int64_t* min_term, int64_t* max_term) {
  const int64_t x_max = ((int64_t)1 << p->XW) - 1;
  const uint32_t largest_shift = ((uint32_t)1 << (p->WW - 1)) - 2;
  *max_term = x_max << largest_shift;
  *min_term = -*max_term;
}

int np_corner_code(const np_kernel_params* p, uint32_t which, uint32_t* code) {
  const uint32_t sign = (uint32_t)1 << (p->WW - 1), m_max = sign - 1;
  switch (which) {
    case NP_CODE_MOST_POSITIVE: *code = m_max; return 1;
    case NP_CODE_MOST_NEGATIVE: *code = sign | m_max; return 1;
    case NP_CODE_ZERO: *code = 0; return 1;            /* +0 */
    case NP_CODE_ZERO_OTHER: *code = sign; return 1;   /* -0 */
    default: return 0;
  }
}
