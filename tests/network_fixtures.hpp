// Random networks for tests: real layouts, random codes, biases scaled so
// that activations neither vanish nor all saturate.
#pragma once

#include <bit>
#include <cmath>
#include <string>
#include <utility>
#include <vector>

#include "neuroppa/models/network.hpp"
#include "neuroppa/models/random.hpp"

namespace neuroppa::test {

// `residuals`: (spec index from 0, the spec number from 1 whose output it adds), as ONNX import sets them.
inline models::Network random_network(models::KernelKind kind, const std::string& arch, std::uint64_t seed,
                                      const std::vector<std::pair<std::size_t, unsigned>>& residuals = {}) {
  using namespace models;
  Network net;
  net.name = "random-" + std::string(to_string(kind)) + "-" + arch;
  const bool sigma_delta = has_sigma_delta(kind);
  if (sigma_delta) {  // B-bit graded spikes; the input sends a pixel in about two steps
    net.XW = default_xw(kind);
    net.input_shift = 5;
    net.input_vth = 16;
  }
  std::vector<LayerSpec> spec = parse_arch(arch);
  for (const auto& [index, from] : residuals) spec.at(index).residual = from;
  net.layers = layout(spec, net.input, kind, net.XW);
  net.timesteps = kind == neuroppa::models::kind_named("spike") ? 8 : sigma_delta ? 6 : 0;
  Rng rng(seed);
  for (Layer& l : net.layers) {
    if (!l.computes()) continue;
    const unsigned n = l.fan_in();
    for (std::size_t i = 0; i < std::size_t{l.out.channels} * n; ++i) l.codes.push_back(std::uint32_t(rng.bits(l.code_bits)));
    // Typical |acc| ~ sqrt(n) * 255 * a typical term magnitude.
    const double term = l.kind == neuroppa::models::kind_named("shift") ? 8 : l.kind == neuroppa::models::kind_named("threshold") ? 0.5 : 64;
    const double spread =
        std::sqrt(double(n)) * (l.kind == neuroppa::models::kind_named("spike") ? term : sigma_delta ? 2 * term : 255 * term);
    for (unsigned o = 0; o < l.out.channels; ++o)
      l.bias.push_back(std::int64_t(rng.below(std::uint64_t(spread) + 1)) - std::int64_t(spread / 4));
    const unsigned shift = std::bit_width(std::uint64_t(spread));
    if (l.kind == neuroppa::models::kind_named("spike")) {
      l.vth = std::int64_t(spread / 2) + 1;
    } else if (sigma_delta) {  // a typical activation is a few spike units: spikes of every size, and saturation
      l.shift = shift > 2 ? shift - 2 : 0;
      l.vth = l.shift ? std::int64_t{1} << (l.shift - 1) : 1;
    } else {
      l.shift = shift > 8 ? shift - 8 : 0;
    }
  }
  validate(net, net.name);
  return net;
}

// A sigma-delta network whose state leaves its headroom on white pixels: a
// 1x1 conv of weight 127 in AW = 16 grows sigma past 2^12 within a few
// steps (layer 1, neuron 0, timestep 5), though the file itself is valid.
inline models::Network overflowing_sigma_delta_network() {
  using namespace models;
  Network net;
  net.name = "overflow";
  net.XW = 4;
  net.AW = 16;
  net.timesteps = 8;
  net.input_shift = 0;
  net.input_vth = 1;
  net.layers = layout(parse_arch("c2k1,p28,d2"), net.input, kind_named("sigma-delta"), net.XW);
  for (Layer& l : net.layers) {
    if (!l.computes()) continue;
    l.codes.assign(std::size_t{l.out.channels} * l.fan_in(), 127);
    l.bias.assign(l.out.channels, 0);
    l.shift = 8;
    l.vth = 128;
  }
  validate(net, net.name);
  return net;
}

}  // namespace neuroppa::test
