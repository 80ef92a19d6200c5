// Drives a built kernel model (RTL today, gate level next) one clock cycle at
// a time from C++: no signal-level SystemC on this path (DESIGN.md measured
// 14x for sc_signal ports).
#pragma once

#include <memory>
#include <span>
#include <vector>

#include "neuroppa/models/kernel.hpp"
#include "neuroppa/tech/model_build.hpp"

namespace neuroppa::sim {

// Packs `values`, each `bits` wide, into 32-bit words (value 0 in the low bits).
void pack_bits(std::span<const std::uint32_t> values, unsigned bits, std::span<std::uint32_t> words);

class KernelHarness {
 public:
  KernelHarness(std::shared_ptr<const tech::LoadedModel> model, const models::KernelParams& params);

  // Asserts the asynchronous reset for one cycle; registers read 0 afterwards.
  void reset();
  // Applies the beat's inputs, clocks one rising edge, reads the registered outputs.
  const models::KernelOutputs& step(const models::Beat& beat);
  const models::KernelParams& params() const { return params_; }
  const tech::ModelInstance& instance() const { return instance_; }

 private:
  models::KernelParams params_;
  tech::ModelInstance instance_;
  tech::Port rst_n_, valid_i_, first_i_, last_i_, x_i_, w_i_, bias_i_, shift_i_, v_i_, vth_i_;
  tech::Port valid_o_, y_o_, v_o_;
  std::vector<std::uint32_t> x_words_, w_words_;
  models::KernelOutputs out_;
};

}  // namespace neuroppa::sim
