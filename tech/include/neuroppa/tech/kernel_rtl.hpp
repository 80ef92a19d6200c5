// The RTL of the neuron kernels as run-time model specs.
#pragma once

#include <string>

#include "neuroppa/models/kernel.hpp"
#include "neuroppa/tech/model_build.hpp"
#include "neuroppa/tech/synthesis.hpp"

namespace neuroppa::tech {

// Top module of a kernel kind, e.g. "np_mac_kernel".
std::string kernel_top(models::KernelKind kind);

// The Verilog sources (embedded rtl/ files) and parameters of a kernel.
// The parameters must be valid (models::validate); throws neuroppa::Error if not.
ModelSpec kernel_rtl_spec(const models::KernelParams& params);

// The kernel's RTL and parameters as a synthesis request onto `liberty`.
SynthesisRequest kernel_synthesis_request(const models::KernelParams& params, const std::filesystem::path& liberty);

}  // namespace neuroppa::tech
