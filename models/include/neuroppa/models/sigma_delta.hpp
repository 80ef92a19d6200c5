// Sigma-delta networks (docs/model-format.md, "Sigma-delta networks"): the
// parts between kernels that the reference inference and the platform share.
//
// Between layers travel graded spikes: signed B-bit codes (B = the network's
// XW), 0 meaning nothing sent. A layer's neuron keeps sigma, its last
// activation and its residue (models::sigma_delta_update); the input image is
// encoded by one sigma-delta neuron per pixel whose activation is the pixel
// value; a max-pool keeps, per input, the sum of the spikes it received (the
// input's activation in spike units) and, per output, the maximum it last
// sent, and sends the change of that maximum: exactly representable in B bits
// because no input's sum moves by more than one spike a timestep.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "neuroppa/models/kernel.hpp"

namespace neuroppa::models {

struct Layer;
struct Network;
struct Inference;

// The state a layer keeps per neuron between timesteps. Spike layers: v.
// Sigma-delta compute layers: v = sigma, act, residue (one entry a neuron).
// Sigma-delta max-pool: v = each input's spike sum, act = each output's last maximum.
struct LayerState {
  std::vector<std::int64_t> v, act, residue;
};

// The signed value of an XW-bit graded spike code.
inline std::int64_t spike_value(std::uint32_t code, unsigned XW) {
  return wrap_signed(code, XW);
}

// The run-summary figures of graded spikes (docs/model-format.md):
//   events            nonzero spikes sent by compute layers;
//   activity_bits     over every neuron and timestep, the bits of the value
//                     sent: 0 for no spike, else a sign bit and the
//                     magnitude's bit length (1 + floor(log2 |s|));
//   significant_bits  over the nonzero spikes, the set bits of |s| (the
//                     shift-add steps multiplying each weight);
//   activities        neuron-timesteps (the mean's denominator).
struct GradedSpikeCounts {
  std::uint64_t events = 0, activity_bits = 0, significant_bits = 0, activities = 0;
  void add(std::uint32_t code, unsigned XW);
  GradedSpikeCounts& operator+=(const GradedSpikeCounts& o);
  GradedSpikeCounts operator-(const GradedSpikeCounts& o) const;  // the counts since `o`
  bool operator==(const GradedSpikeCounts&) const = default;
};

// The input encoder: one sigma-delta neuron per pixel, its activation the pixel.
class SigmaDeltaEncoder {
 public:
  SigmaDeltaEncoder(const std::uint8_t* image, const Network& network);
  // The next timestep's input spikes (XW-bit codes), one per pixel.
  const std::vector<std::uint32_t>& next();

 private:
  const std::uint8_t* image_;
  KernelParams params_;
  unsigned shift_;
  std::int64_t vth_;
  bool first_ = true;
  LayerState state_;
  std::vector<std::uint32_t> spikes_;
};

// Every layer's state at the start of an image: zeros for each compute
// layer's neurons (v only for spiking networks, v, act and residue for
// sigma-delta ones); max-pools size theirs on first use.
std::vector<LayerState> initial_states(const Network& network);

// The end of a sigma-delta inference: the last layer's act (saturated to 32
// bits) as outputs, its sigma + bias as membrane, and the prediction.
void read_sigma_delta_outputs(const Network& network, const LayerState& last, Inference& result);

// One timestep of a sigma-delta max-pool layer: spikes in, spikes out.
std::vector<std::uint32_t> sigma_delta_maxpool(const Layer& layer, unsigned XW, const std::vector<std::uint32_t>& in,
                                               LayerState& state);

// Whether a sigma-delta neuron's update with no input (acc = 0) changes
// nothing and sends nothing: after any update, act = max(0, sigma + bias),
// so such an update only looks at the residue, and sends 0 from it.
bool sigma_delta_quiet(const KernelParams& params, std::int64_t residue, unsigned shift, std::int64_t vth);

// The most any state value, bias, threshold or one timestep's sum may reach
// in magnitude, 2^(AW-4): within it no sum of the update wraps at AW bits.
std::int64_t sigma_delta_limit(unsigned AW);

// Throws neuroppa::Error naming the layer, neuron and timestep if an update
// left the range in which the next one cannot wrap (sigma_delta_limit).
void check_sigma_delta_state(const SigmaDeltaUpdate& update, unsigned AW, std::size_t layer_index,
                             const Layer& layer, std::size_t neuron, unsigned timestep);

}  // namespace neuroppa::models
