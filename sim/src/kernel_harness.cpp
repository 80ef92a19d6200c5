#include "neuroppa/sim/kernel_harness.hpp"

#include <algorithm>
#include <bit>

namespace neuroppa::sim {

using models::KernelKind;

void pack_bits(std::span<const std::uint32_t> values, unsigned bits, std::span<std::uint32_t> words) {
  std::fill(words.begin(), words.end(), 0u);
  if constexpr (std::endian::native == std::endian::little) {
    // Byte-wide fields (8-bit activations and weights, the common case) are
    // bytes of the word array on a little-endian host.
    if (bits == 8) {
      auto* bytes = reinterpret_cast<std::uint8_t*>(words.data());
      for (std::size_t k = 0; k < values.size(); ++k) bytes[k] = static_cast<std::uint8_t>(values[k]);
      return;
    }
  }
  const std::uint64_t mask = (std::uint64_t{1} << bits) - 1;
  std::size_t offset = 0;
  for (const std::uint32_t v : values) {
    const std::uint64_t field = (v & mask) << (offset % 32);
    words[offset / 32] |= static_cast<std::uint32_t>(field);
    if ((offset % 32) + bits > 32) words[offset / 32 + 1] |= static_cast<std::uint32_t>(field >> 32);
    offset += bits;
  }
}

KernelHarness::KernelHarness(std::shared_ptr<const tech::LoadedModel> model,
                             const models::KernelParams& params)
    : params_(params), instance_(std::move(model)) {
  const bool spike = params_.kind == KernelKind::spike;
  rst_n_ = instance_.port("rst_ni");
  valid_i_ = instance_.port("valid_i");
  first_i_ = instance_.port("first_i");
  last_i_ = instance_.port("last_i");
  x_i_ = instance_.port("x_i");
  w_i_ = instance_.port("w_i");
  bias_i_ = instance_.port("bias_i");
  valid_o_ = instance_.port("valid_o");
  if (spike) {
    v_i_ = instance_.port("v_i");
    vth_i_ = instance_.port("vth_i");
    y_o_ = instance_.port("spike_o");
    v_o_ = instance_.port("v_o");
  } else {
    shift_i_ = instance_.port("shift_i");
    y_o_ = instance_.port("y_o");
  }
  x_words_.resize(x_i_.words() + 1);  // +1: pack_bits may touch the word after a straddling field
  w_words_.resize(w_i_.words() + 1);
  reset();
}

void KernelHarness::reset() {
  // An edge on rst_ni even if it already starts low, then one clock in reset.
  rst_n_.set(1);
  instance_.eval();
  rst_n_.set(0);
  instance_.eval();
  instance_.tick();
  rst_n_.set(1);
  instance_.eval();
  out_ = {};
}

const models::KernelOutputs& KernelHarness::step(const models::Beat& beat) {
  valid_i_.set(beat.valid);
  first_i_.set(beat.first);
  last_i_.set(beat.last);
  pack_bits(beat.x, params_.activation_bits(), x_words_);
  pack_bits(beat.w, params_.code_bits(), w_words_);
  x_i_.set_words(x_words_.data());
  w_i_.set_words(w_words_.data());
  bias_i_.set(static_cast<std::uint64_t>(beat.bias));
  if (params_.kind == KernelKind::spike) {
    v_i_.set(static_cast<std::uint64_t>(beat.v));
    vth_i_.set(static_cast<std::uint64_t>(beat.vth));
  } else {
    shift_i_.set(beat.shift);
  }
  instance_.tick();
  out_.valid = valid_o_.get() != 0;
  out_.y = static_cast<std::uint32_t>(y_o_.get());
  if (params_.kind == KernelKind::spike) out_.v = models::wrap_signed(v_o_.get(), params_.AW);
  return out_;
}

}  // namespace neuroppa::sim
