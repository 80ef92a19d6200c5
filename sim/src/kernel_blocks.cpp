#include "neuroppa/sim/kernel_blocks.hpp"

#include <algorithm>
#include <stdexcept>

namespace neuroppa::sim {

namespace {

constexpr std::string_view kSynapses = "synapses", kSynapsesChain = "synapses + adder chain", kAdders = "adders",
                           kAccumulatorAdder = "accumulator adder", kAccumulatorRegister = "accumulator register",
                           kOutputStage = "output stage", kOutputRegister = "output register", kControl = "control",
                           kPipelineRegister = "pipeline register",
                           kInputNets = "input nets";

// yosys `flatten` names a cell "$flatten\<instance>.<cell>" once per level
// ("$flatten\u_acc.$flatten\u_acc_q.$auto$…" or "$flatten\u_acc.u_acc_q.…"):
// the instance path, the levels joined by '.', ending in '.'.
std::string instance_path(std::string_view name) {
  std::string path;
  constexpr std::string_view kFlatten = "$flatten\\";
  for (;;) {
    if (name.starts_with(kFlatten)) name.remove_prefix(kFlatten.size());
    const std::size_t cell = name.find('$');
    const std::size_t dot = name.substr(0, cell).rfind('.');
    if (dot == std::string_view::npos) return path;
    path += name.substr(0, dot + 1);
    name.remove_prefix(dot + 1);
  }
}

bool within(const std::string& path, std::string_view instance) {
  return path.find(std::string(instance) + ".") != std::string::npos;
}

}  // namespace

std::string_view kernel_block(std::string_view instance, const models::KernelParams& params) {
  const std::string path = instance_path(instance);
  if (within(path, "u_reduce")) return kAdders;
  if (within(path, "u_stage")) return kPipelineRegister;
  if (within(path, "u_acc_q")) return kAccumulatorRegister;
  if (within(path, "u_valid_q")) return kControl;
  if (within(path, "u_acc")) return kAccumulatorAdder;
  if (within(path, "u_out") || within(path, "u_membrane") || within(path, "u_sigma_delta")) return kOutputStage;
  if (within(path, "u_y_q") || within(path, "u_v_q") || within(path, "u_state_q")) return kOutputRegister;
  return params.arch == models::KernelArch::chain ? kSynapsesChain : kSynapses;
}

std::vector<BlockCost> kernel_blocks(const tech::Netlist& netlist, const models::KernelParams& params,
                                     const tech::PowerReport& power, const tech::PowerReport& zero_delay_power) {
  if (power.per_instance.size() != netlist.instances.size() ||
      zero_delay_power.per_instance.size() != netlist.instances.size())
    throw std::logic_error("kernel_blocks: power reports of another netlist");
  const bool chain = params.arch == models::KernelArch::chain;
  std::vector<BlockCost> blocks;
  for (const std::string_view name :
       {chain ? kSynapsesChain : kSynapses, kAdders, kAccumulatorAdder, kAccumulatorRegister, kOutputStage,
        kOutputRegister, kControl, kPipelineRegister, kInputNets}) {
    if (chain && name == kAdders) continue;
    if (params.pipeline == 0 && name == kPipelineRegister) continue;
    blocks.push_back({std::string(name), 0, 0, {}, {}});
  }
  const auto block = [&](std::string_view name) -> BlockCost& {
    return *std::find_if(blocks.begin(), blocks.end(), [&](const BlockCost& b) { return b.name == name; });
  };
  for (std::size_t i = 0; i < netlist.instances.size(); ++i) {
    BlockCost& b = block(kernel_block(netlist.instances[i].name, params));
    b.cells += 1;
    b.area += netlist.instances[i].cell->area;
    b.power += power.per_instance[i];
    b.zero_delay_power += zero_delay_power.per_instance[i];
  }
  block(kInputNets).power = power.input_nets;
  block(kInputNets).zero_delay_power = zero_delay_power.input_nets;
  return blocks;
}

}  // namespace neuroppa::sim
