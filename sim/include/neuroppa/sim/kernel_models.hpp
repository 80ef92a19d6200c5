// The kernels as run-time models: RTL specs, synthesis onto a library and
// gate-level specs, all derived from the catalogue (kernels/catalogue.hpp).
#pragma once

#include <string>

#include "neuroppa/models/kernel.hpp"
#include "neuroppa/base/progress.hpp"
#include "neuroppa/tech/liberty.hpp"
#include "neuroppa/tech/netlist.hpp"
#include "neuroppa/tech/synthesis.hpp"
#include "neuroppa/vmodel/model_build.hpp"

namespace neuroppa::sim {

// The Verilog sources (embedded rtl/ files) and parameters of a kernel.
// The parameters must be valid (models::validate); throws neuroppa::Error if not.
vmodel::ModelSpec kernel_rtl_spec(const models::KernelParams& params);

// The kernel's RTL and parameters as a synthesis request onto `liberty`.
tech::SynthesisRequest kernel_synthesis_request(const models::KernelParams& params, const std::filesystem::path& liberty,
                                                bool keep_hierarchy = false);

// A kernel synthesised onto a library and read back. The netlist points
// into `library`, which must outlive it.
struct KernelNetlist {
  models::KernelParams params;
  const tech::Library* library = nullptr;
  tech::SynthesisResult synthesis;
  tech::Netlist netlist;
};

// Throws neuroppa::Error, one line naming the library, the kernel and the
// cell kind it lacks (tech::mapping_gap), if `library` cannot take `params`.
void require_mappable(const models::KernelParams& params, const tech::Library& library);

// Synthesis (cached under cache_root) and the mapped netlist of a kernel.
KernelNetlist synthesize_kernel(const models::KernelParams& params, const tech::Library& library,
                                const std::filesystem::path& cache_root, const ProgressFn& progress = {},
                                bool keep_hierarchy = false);

// The gate-level model spec of a synthesised kernel (clock clk_i); with
// `expose_nets`, the form toggle counting reads.
vmodel::ModelSpec kernel_gate_spec(const KernelNetlist& kernel, bool expose_nets);

// A kernel to build ahead: on `library` (synthesis, then the gate-level model
// in the form toggle counting reads), or without one its RTL model.
struct KernelBuild {
  models::KernelParams params;
  const tech::Library* library = nullptr;
  bool expose_nets = true;  // gate level: the counting form (kernel_gate_spec)
};
// Synthesises and builds every kernel of the list that is not cached yet, as
// many side by side as the machine has cores (yosys and most of a model's
// compile use one core each), so that a loop over them afterwards finds them
// all in the cache. Throws the first (in list order) error of any. Returns
// each kernel's model build (cached or built, and how long it took).
std::vector<vmodel::BuildReport> build_kernel_models(const std::vector<KernelBuild>& kernels, const std::filesystem::path& cache_root,
                         const ProgressFn& progress, bool keep_hierarchy = false);

}  // namespace neuroppa::sim
