// Ternary-weight golden model, in C++ (a package's golden source may be C or C++).
#include "neuroppa_kernel.h"

extern "C" {

uint32_t np_kernel_abi_version(void) { return NP_KERNEL_ABI_VERSION; }

// Code {sign, nonzero}: 0 when nonzero is clear, else +x or -x.
int64_t np_synapse_term(const np_kernel_params*, uint32_t x, uint32_t code) {
  if (!(code & 1u)) return 0;
  return (code & 2u) ? -static_cast<int64_t>(x) : static_cast<int64_t>(x);
}

}  // extern "C"
