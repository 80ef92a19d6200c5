// A built kernel model inside a SystemC module, clocked by an sc_clock. The
// clocked process calls the model directly (KernelHarness) once per rising
// edge: only the clock is a SystemC signal, the kernel's ports are not, which
// keeps SystemC's signal overhead (DESIGN.md: 14x) off the hot path.
#pragma once

#include <systemc>

#include <functional>
#include <memory>

#include "neuroppa/sim/kernel_harness.hpp"

namespace neuroppa::sim {

class KernelModule : public sc_core::sc_module {
 public:
  // Called once per rising clock edge for the next cycle's inputs, then with
  // those inputs and the outputs registered at that edge.
  using Source = std::function<const models::Beat&()>;
  using Sink = std::function<void(const models::Beat&, const models::KernelOutputs&)>;

  sc_core::sc_in<bool> clk;

  KernelModule(const sc_core::sc_module_name& name, std::shared_ptr<const vmodel::LoadedModel> model,
               const models::KernelParams& params, Source source, Sink sink);

  std::uint64_t cycles() const { return cycles_; }

 private:
  void on_clock();

  KernelHarness harness_;
  Source source_;
  Sink sink_;
  std::uint64_t cycles_ = 0;
};

}  // namespace neuroppa::sim
