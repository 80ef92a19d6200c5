/* Golden model of the spike synapse package: spike ? w : 0, w a WW-bit two's-complement code. */
#include "neuroppa_kernel.h"

uint32_t np_kernel_abi_version(void) { return NP_KERNEL_ABI_VERSION; }

int64_t np_synapse_term(const np_kernel_params* p, uint32_t x, uint32_t code) {
  if (!(x & 1u)) return 0;
  const uint64_t sign = 1ull << (p->WW - 1), low = code & ((1ull << p->WW) - 1);
  return (int64_t)((low ^ sign) - sign);
}
