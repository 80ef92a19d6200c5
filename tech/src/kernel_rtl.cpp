#include "neuroppa/tech/kernel_rtl.hpp"

#include <fmt/format.h>

#include "neuroppa/models/error.hpp"
#include "neuroppa/tech/embedded.hpp"
#include "neuroppa/tech/gate_model.hpp"

namespace neuroppa::tech {

using models::KernelKind;

std::string kernel_top(KernelKind kind) { return fmt::format("np_{}_kernel", models::to_string(kind)); }

ModelSpec kernel_rtl_spec(const models::KernelParams& p) {
  if (auto error = models::validate(p)) throw Error(*error);
  ModelSpec spec;
  spec.top = kernel_top(p.kind);
  spec.label = "rtl " + p.describe();
  spec.clock = "clk_i";
  const std::string file = spec.top + ".sv";
  spec.sources.push_back({file, std::string(embedded_file(file))});
  if (p.kind != KernelKind::spike)
    spec.sources.push_back({"np_output_stage.sv", std::string(embedded_file("np_output_stage.sv"))});

  spec.parameters.emplace_back("K", std::to_string(p.K));
  if (p.kind != KernelKind::spike) spec.parameters.emplace_back("XW", std::to_string(p.XW));
  if (p.kind != KernelKind::threshold) spec.parameters.emplace_back("WW", std::to_string(p.WW));
  spec.parameters.emplace_back("AW", std::to_string(p.AW));

  spec.ports = {{"clk_i", 1, false},
                {"rst_ni", 1, false},
                {"valid_i", 1, false},
                {"first_i", 1, false},
                {"last_i", 1, false},
                {"x_i", p.K * p.activation_bits(), false},
                {"w_i", p.K * p.code_bits(), false},
                {"bias_i", p.AW, false},
                {"valid_o", 1, true}};
  if (p.kind == KernelKind::spike) {
    spec.ports.push_back({"v_i", p.AW, false});
    spec.ports.push_back({"vth_i", p.AW, false});
    spec.ports.push_back({"spike_o", 1, true});
    spec.ports.push_back({"v_o", p.AW, true});
  } else {
    spec.ports.push_back({"shift_i", models::kShiftBits, false});
    spec.ports.push_back({"y_o", p.XW, true});
  }
  return spec;
}

SynthesisRequest kernel_synthesis_request(const models::KernelParams& params, const std::filesystem::path& liberty) {
  const ModelSpec rtl = kernel_rtl_spec(params);
  return SynthesisRequest{rtl.top, rtl.sources, rtl.parameters, liberty,
                          fmt::format("{} on {}", params.describe(), liberty.filename().string())};
}

KernelNetlist synthesize_kernel(const models::KernelParams& params, const Library& library,
                                const std::filesystem::path& cache_root, const ProgressFn& progress) {
  KernelNetlist k{params, &library, synthesize(kernel_synthesis_request(params, library.path), cache_root, progress), {}};
  k.netlist = read_yosys_json(k.synthesis.netlist_json, kernel_top(params.kind), library);
  return k;
}

ModelSpec kernel_gate_spec(const KernelNetlist& kernel, bool expose_nets) {
  return gate_level_spec(kernel.netlist, "clk_i",
                         fmt::format("gate {} on {}", kernel.params.describe(), kernel.library->name), expose_nets);
}

}  // namespace neuroppa::tech
