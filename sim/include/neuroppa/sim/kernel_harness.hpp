// Drives a built kernel model (RTL today, gate level next) one clock cycle at
// a time from C++: no signal-level SystemC on this path (DESIGN.md measured
// 14x for sc_signal ports).
#pragma once

#include <memory>
#include <span>
#include <vector>

#include "neuroppa/models/kernel.hpp"
#include "neuroppa/vmodel/model_build.hpp"

namespace neuroppa::sim {

// Packs `values`, each `bits` wide, into 32-bit words (value 0 in the low bits).
void pack_bits(std::span<const std::uint32_t> values, unsigned bits, std::span<std::uint32_t> words);
// The `count` values, each `bits` wide, packed in `words` (pack_bits' inverse).
std::vector<std::uint32_t> unpack_bits(std::span<const std::uint32_t> words, unsigned bits, unsigned count);

// The ports of a kernel model (RTL or gate level, same names), looked up
// once. Spike kernels have v_i, vth_i, spike_o (as y_o) and v_o; sigma-delta
// kernels shift_i, vth_i, sigma_i, act_i, residue_i, spike_o (as y_o),
// sigma_o, act_o and residue_o; the others shift_i and y_o.
struct KernelPorts {
  KernelPorts(const vmodel::ModelInstance& instance, models::KernelKind kind);
  models::Backend backend;
  vmodel::Port rst_n, valid_i, first_i, last_i, x_i, w_i, bias_i, shift_i, v_i, vth_i, sigma_i, act_i, residue_i;
  vmodel::Port valid_o, y_o, v_o, sigma_o, act_o, residue_o;
};

// Asserts the asynchronous reset for one clock cycle; registers read 0 afterwards.
void reset_kernel(vmodel::ModelInstance& instance, const KernelPorts& ports);

class KernelHarness {
 public:
  KernelHarness(std::shared_ptr<const vmodel::LoadedModel> model, const models::KernelParams& params);

  // Asserts the asynchronous reset for one cycle; registers read 0 afterwards.
  void reset();
  // Applies the beat's inputs, clocks one rising edge, reads the registered outputs.
  const models::KernelOutputs& step(const models::Beat& beat);
  const models::KernelParams& params() const { return params_; }
  const vmodel::ModelInstance& instance() const { return instance_; }

 private:
  models::KernelParams params_;
  vmodel::ModelInstance instance_;
  KernelPorts ports_;
  std::vector<std::uint32_t> x_words_, w_words_;
  models::KernelOutputs out_;
};

}  // namespace neuroppa::sim
