#include "neuroppa/sim/kernel_module.hpp"

namespace neuroppa::sim {

KernelModule::KernelModule(const sc_core::sc_module_name& name,
                           std::shared_ptr<const vmodel::LoadedModel> model,
                           const models::KernelParams& params, Source source, Sink sink)
    : sc_core::sc_module(name),
      clk("clk"),
      harness_(std::move(model), params),
      source_(std::move(source)),
      sink_(std::move(sink)) {
  SC_HAS_PROCESS(KernelModule);
  SC_METHOD(on_clock);
  sensitive << clk.pos();
  dont_initialize();
}

void KernelModule::on_clock() {
  const models::Beat& beat = source_();
  sink_(beat, harness_.step(beat));
  ++cycles_;
}

}  // namespace neuroppa::sim
