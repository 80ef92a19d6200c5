// The RTL of the neuron kernels as run-time model specs.
#pragma once

#include <string>

#include "neuroppa/models/kernel.hpp"
#include "neuroppa/tech/model_build.hpp"

namespace neuroppa::tech {

// Top module of a kernel kind, e.g. "np_mac_kernel".
std::string kernel_top(models::KernelKind kind);

// The Verilog sources (embedded rtl/ files) and parameters of a kernel.
// The parameters must be valid (models::validate); throws neuroppa::Error if not.
ModelSpec kernel_rtl_spec(const models::KernelParams& params);

}  // namespace neuroppa::tech
