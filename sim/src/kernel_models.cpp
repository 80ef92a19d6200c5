#include "neuroppa/sim/kernel_models.hpp"

#include <fmt/format.h>
#include <thread>

#include "neuroppa/base/error.hpp"
#include "neuroppa/base/parallel.hpp"
#include "neuroppa/kernels/catalogue.hpp"
#include "neuroppa/tech/gate_model.hpp"

namespace neuroppa::sim {

vmodel::ModelSpec kernel_rtl_spec(const models::KernelParams& p) {
  vmodel::ModelSpec spec;
  spec.top = kernels::top_module(p.kind);
  spec.label = "rtl " + p.describe();
  spec.clock = "clk_i";
  for (auto& source : kernels::rtl_sources(p.kind)) spec.sources.push_back({source.name, source.text});
  spec.parameters = kernels::rtl_parameters(p);
  for (const auto& port : kernels::ports(p)) spec.ports.push_back({port.name, port.width, port.output});
  return spec;
}

tech::SynthesisRequest kernel_synthesis_request(const models::KernelParams& params, const std::filesystem::path& liberty,
                                                bool keep_hierarchy) {
  const vmodel::ModelSpec rtl = kernel_rtl_spec(params);
  return tech::SynthesisRequest{rtl.top, rtl.sources, rtl.parameters, liberty,
                                fmt::format("{} on {}{}", params.describe(), liberty.filename().string(),
                                            keep_hierarchy ? " (hierarchy kept)" : ""),
                                keep_hierarchy};
}

void require_mappable(const models::KernelParams& params, const tech::Library& library) {
  if (auto gap = tech::mapping_gap(library, params.reset == models::ResetStyle::async))
    throw Error(fmt::format("{}: cannot synthesise {}: {}", library.name, params.describe(), *gap));
}

KernelNetlist synthesize_kernel(const models::KernelParams& params, const tech::Library& library,
                                const std::filesystem::path& cache_root, const ProgressFn& progress,
                                bool keep_hierarchy) {
  require_mappable(params, library);
  KernelNetlist k{params, &library, tech::synthesize(kernel_synthesis_request(params, library.path, keep_hierarchy), cache_root, progress), {}};
  k.netlist = tech::read_yosys_json(k.synthesis.netlist_json, kernels::top_module(params.kind), library);
  return k;
}

vmodel::ModelSpec kernel_gate_spec(const KernelNetlist& kernel, bool expose_nets) {
  return tech::gate_level_spec(kernel.netlist, "clk_i",
                         fmt::format("gate {} on {}", kernel.params.describe(), kernel.library->name), expose_nets);
}

std::vector<vmodel::BuildReport> build_kernel_models(const std::vector<KernelBuild>& kernels,
                                                     const std::filesystem::path& cache_root,
                                                     const ProgressFn& progress, bool keep_hierarchy) {
  std::vector<vmodel::BuildReport> reports(kernels.size());
  const unsigned cores = std::max(1u, std::thread::hardware_concurrency());
  const unsigned workers = static_cast<unsigned>(std::min<std::size_t>(kernels.size(), cores));
  if (workers == 0) return reports;
  const ProgressFn lines = base::whole_lines(progress);
  base::parallel_for(kernels.size(), workers, [&](std::size_t i) {
    const KernelBuild& k = kernels[i];
    vmodel::ModelCache cache(cache_root, lines);
    cache.set_build_jobs(std::max(1u, cores / workers));
    if (!k.library) {
      cache.load(kernel_rtl_spec(k.params), &reports[i]);
      return;
    }
    const KernelNetlist netlist = synthesize_kernel(k.params, *k.library, cache_root, lines, keep_hierarchy);
    cache.load(kernel_gate_spec(netlist, k.expose_nets), &reports[i]);
  });
  return reports;
}

}  // namespace neuroppa::sim
