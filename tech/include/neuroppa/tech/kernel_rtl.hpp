// The RTL of the neuron kernels as run-time model specs.
#pragma once

#include <string>

#include "neuroppa/models/kernel.hpp"
#include "neuroppa/tech/liberty.hpp"
#include "neuroppa/tech/model_build.hpp"
#include "neuroppa/tech/netlist.hpp"
#include "neuroppa/tech/synthesis.hpp"

namespace neuroppa::tech {

// Top module of a kernel kind, e.g. "np_mac_kernel".
std::string kernel_top(models::KernelKind kind);

// The Verilog sources (embedded rtl/ files) and parameters of a kernel.
// The parameters must be valid (models::validate); throws neuroppa::Error if not.
ModelSpec kernel_rtl_spec(const models::KernelParams& params);

// The kernel's RTL and parameters as a synthesis request onto `liberty`.
SynthesisRequest kernel_synthesis_request(const models::KernelParams& params, const std::filesystem::path& liberty);

// A kernel synthesised onto a library and read back. The netlist points
// into `library`, which must outlive it.
struct KernelNetlist {
  models::KernelParams params;
  const Library* library = nullptr;
  SynthesisResult synthesis;
  Netlist netlist;
};

// Synthesis (cached under cache_root) and the mapped netlist of a kernel.
KernelNetlist synthesize_kernel(const models::KernelParams& params, const Library& library,
                                const std::filesystem::path& cache_root, const ProgressFn& progress = {});

// The gate-level model spec of a synthesised kernel (clock clk_i); with
// `expose_nets`, the form toggle counting reads.
ModelSpec kernel_gate_spec(const KernelNetlist& kernel, bool expose_nets);

}  // namespace neuroppa::tech
