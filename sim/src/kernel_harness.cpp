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

std::vector<std::uint32_t> unpack_bits(std::span<const std::uint32_t> words, unsigned bits, unsigned count) {
  std::vector<std::uint32_t> values(count);
  const std::uint64_t mask = (std::uint64_t{1} << bits) - 1;
  for (unsigned k = 0; k < count; ++k) {
    const std::size_t offset = std::size_t{k} * bits, w = offset / 32;
    std::uint64_t v = words[w];
    if (offset % 32 + bits > 32 && w + 1 < words.size()) v |= std::uint64_t{words[w + 1]} << 32;
    values[k] = static_cast<std::uint32_t>((v >> (offset % 32)) & mask);
  }
  return values;
}

KernelPorts::KernelPorts(const vmodel::ModelInstance& instance, models::KernelKind kind)
    : backend(models::backend_of(kind)), rst_n(instance.port("rst_ni")), valid_i(instance.port("valid_i")), first_i(instance.port("first_i")),
      last_i(instance.port("last_i")), x_i(instance.port("x_i")), w_i(instance.port("w_i")),
      bias_i(instance.port("bias_i")), valid_o(instance.port("valid_o")) {
  switch (backend) {
    case models::Backend::membrane:
      v_i = instance.port("v_i");
      vth_i = instance.port("vth_i");
      y_o = instance.port("spike_o");
      v_o = instance.port("v_o");
      break;
    case models::Backend::sigma_delta:
      shift_i = instance.port("shift_i");
      vth_i = instance.port("vth_i");
      sigma_i = instance.port("sigma_i");
      act_i = instance.port("act_i");
      residue_i = instance.port("residue_i");
      y_o = instance.port("spike_o");
      sigma_o = instance.port("sigma_o");
      act_o = instance.port("act_o");
      residue_o = instance.port("residue_o");
      break;
    case models::Backend::output_stage:
      shift_i = instance.port("shift_i");
      y_o = instance.port("y_o");
      break;
  }
}

void reset_kernel(vmodel::ModelInstance& instance, const KernelPorts& ports) {
  // An edge on rst_ni even if it already starts low, then one clock in reset.
  ports.rst_n.set(1);
  instance.eval();
  ports.rst_n.set(0);
  instance.eval();
  instance.tick();
  ports.rst_n.set(1);
  instance.eval();
}

KernelHarness::KernelHarness(std::shared_ptr<const vmodel::LoadedModel> model,
                             const models::KernelParams& params)
    : params_(params), instance_(std::move(model)), ports_(instance_, params_.kind) {
  x_words_.resize(ports_.x_i.words() + 1);  // +1: pack_bits may touch the word after a straddling field
  w_words_.resize(ports_.w_i.words() + 1);
  reset();
}

void KernelHarness::reset() {
  reset_kernel(instance_, ports_);
  out_ = {};
}

const models::KernelOutputs& KernelHarness::step(const models::Beat& beat) {
  ports_.valid_i.set(beat.valid);
  ports_.first_i.set(beat.first);
  ports_.last_i.set(beat.last);
  pack_bits(beat.x, params_.activation_bits(), x_words_);
  pack_bits(beat.w, params_.code_bits(), w_words_);
  ports_.x_i.set_words(x_words_.data());
  ports_.w_i.set_words(w_words_.data());
  ports_.bias_i.set(static_cast<std::uint64_t>(beat.bias));
  const auto set_signed = [](const vmodel::Port& port, std::int64_t v) { port.set(static_cast<std::uint64_t>(v)); };
  const auto get_signed = [&](const vmodel::Port& port) { return models::wrap_signed(port.get(), params_.AW); };
  switch (ports_.backend) {
    case models::Backend::membrane:
      set_signed(ports_.v_i, beat.v);
      set_signed(ports_.vth_i, beat.vth);
      break;
    case models::Backend::sigma_delta:
      ports_.shift_i.set(beat.shift);
      set_signed(ports_.vth_i, beat.vth);
      set_signed(ports_.sigma_i, beat.sigma);
      set_signed(ports_.act_i, beat.act);
      set_signed(ports_.residue_i, beat.residue);
      break;
    case models::Backend::output_stage: ports_.shift_i.set(beat.shift); break;
  }
  instance_.tick();
  out_.valid = ports_.valid_o.get() != 0;
  out_.y = static_cast<std::uint32_t>(ports_.y_o.get());
  if (ports_.backend == models::Backend::membrane) out_.v = get_signed(ports_.v_o);
  if (ports_.backend == models::Backend::sigma_delta) {
    out_.sigma = get_signed(ports_.sigma_o);
    out_.act = get_signed(ports_.act_o);
    out_.residue = get_signed(ports_.residue_o);
  }
  return out_;
}

}  // namespace neuroppa::sim
