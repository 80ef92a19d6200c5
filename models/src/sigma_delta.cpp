#include "neuroppa/models/sigma_delta.hpp"

#include <algorithm>
#include <bit>
#include <fmt/format.h>

#include "neuroppa/base/error.hpp"
#include "neuroppa/models/network.hpp"

namespace neuroppa::models {

void GradedSpikeCounts::add(std::uint32_t code, unsigned XW) {
  ++activities;
  if (code == 0) return;
  const std::int64_t s = spike_value(code, XW);
  const std::uint64_t magnitude = static_cast<std::uint64_t>(s < 0 ? -s : s);
  ++events;
  activity_bits += 1 + std::bit_width(magnitude);
  significant_bits += static_cast<std::uint64_t>(std::popcount(magnitude));
}

GradedSpikeCounts& GradedSpikeCounts::operator+=(const GradedSpikeCounts& o) {
  events += o.events;
  activity_bits += o.activity_bits;
  significant_bits += o.significant_bits;
  activities += o.activities;
  return *this;
}

GradedSpikeCounts GradedSpikeCounts::operator-(const GradedSpikeCounts& o) const {
  return {events - o.events, activity_bits - o.activity_bits, significant_bits - o.significant_bits,
          activities - o.activities};
}

std::vector<LayerState> initial_states(const Network& network) {
  std::vector<LayerState> states(network.layers.size());
  for (std::size_t l = 0; l < network.layers.size(); ++l) {
    const Layer& layer = network.layers[l];
    if (!layer.computes()) continue;
    states[l].v.assign(layer.out.size(), 0);
    if (!network.sigma_delta()) continue;
    states[l].act.assign(layer.out.size(), 0);
    states[l].residue.assign(layer.out.size(), 0);
  }
  return states;
}

void read_sigma_delta_outputs(const Network& network, const LayerState& last, Inference& result) {
  const Layer& layer = network.layers.back();
  const std::size_t plane = layer.out.size() / layer.out.channels;
  for (std::size_t i = 0; i < layer.out.size(); ++i) {
    result.outputs.push_back(static_cast<std::uint32_t>(std::min<std::int64_t>(last.act[i], UINT32_MAX)));
    result.membrane.push_back(last.v[i] + layer.bias[i / plane]);
  }
  result.predicted = predict(result.outputs, result.membrane);
}

SigmaDeltaEncoder::SigmaDeltaEncoder(const std::uint8_t* image, const Network& network)
    : image_(image), shift_(network.input_shift), vth_(network.input_vth) {
  // The encoder is a sigma-delta neuron whose sum is the pixel: the network's
  // spike width and accumulator, any sigma-delta kind (only the back end counts).
  for (const Layer& l : network.layers)
    if (l.computes()) {
      params_ = network.kernel_params(l, 1);
      break;
    }
  const std::size_t n = network.input.size();
  state_.v.assign(n, 0);
  state_.act.assign(n, 0);
  state_.residue.assign(n, 0);
  spikes_.assign(n, 0);
}

const std::vector<std::uint32_t>& SigmaDeltaEncoder::next() {
  for (std::size_t i = 0; i < spikes_.size(); ++i) {
    // sigma gathers the pixel once; every later step only works off the residue.
    const std::int64_t acc = first_ ? image_[i] : 0;
    const SigmaDeltaUpdate u =
        sigma_delta_update(params_, acc, 0, shift_, state_.v[i], state_.act[i], state_.residue[i], vth_);
    state_.v[i] = u.sigma;
    state_.act[i] = u.act;
    state_.residue[i] = u.residue;
    spikes_[i] = u.spike;
  }
  first_ = false;
  return spikes_;
}

std::vector<std::uint32_t> sigma_delta_maxpool(const Layer& layer, unsigned XW, const std::vector<std::uint32_t>& in,
                                               LayerState& state) {
  if (state.v.size() != in.size()) state.v.assign(in.size(), 0);
  if (state.act.size() != layer.out.size()) state.act.assign(layer.out.size(), 0);
  for (std::size_t i = 0; i < in.size(); ++i) state.v[i] += spike_value(in[i], XW);
  std::vector<std::uint32_t> out(layer.out.size());
  const unsigned p = layer.kernel;
  const std::uint64_t mask = (std::uint64_t{1} << XW) - 1;
  for (unsigned c = 0; c < layer.out.channels; ++c)
    for (unsigned y = 0; y < layer.out.height; ++y)
      for (unsigned x = 0; x < layer.out.width; ++x) {
        std::int64_t m = INT64_MIN;
        for (unsigned dy = 0; dy < p; ++dy)
          for (unsigned dx = 0; dx < p; ++dx)
            m = std::max(m, state.v[(std::size_t{c} * layer.in.height + y * p + dy) * layer.in.width + x * p + dx]);
        const std::size_t o = (std::size_t{c} * layer.out.height + y) * layer.out.width + x;
        // |m - last| is at most one spike: it fits XW bits (see the header).
        out[o] = static_cast<std::uint32_t>(static_cast<std::uint64_t>(m - state.act[o]) & mask);
        state.act[o] = m;
      }
  return out;
}

bool sigma_delta_quiet(const KernelParams& params, std::int64_t residue, unsigned shift, std::int64_t vth) {
  return sigma_delta_update(params, 0, 0, shift, 0, 0, residue, vth).spike == 0;
}

std::int64_t sigma_delta_limit(unsigned AW) { return AW >= 5 ? std::int64_t{1} << (AW - 4) : 1; }

void check_sigma_delta_state(const SigmaDeltaUpdate& u, unsigned AW, std::size_t layer_index, const Layer& layer,
                             std::size_t neuron, unsigned timestep) {
  const std::int64_t limit = sigma_delta_limit(AW);
  const auto check = [&](const char* what, std::int64_t value) {
    if (value >= limit || value <= -limit)
      throw Error(fmt::format("layer {} ({}), neuron {}, timestep {}: {} = {} left ±2^{} (AW={} bits less 4 of "
                              "headroom, within which no sum of the sigma-delta update wraps); a network needs "
                              "a wider AW or smaller weights",
                              layer_index + 1, layer.describe(), neuron, timestep + 1, what, value, AW - 4, AW));
  };
  check("sigma", u.sigma);
  check("act", u.act);
  check("residue", u.residue);
}

}  // namespace neuroppa::models
