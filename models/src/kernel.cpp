#include "neuroppa/models/kernel.hpp"

#include <algorithm>
#include <bit>
#include <fmt/format.h>

namespace neuroppa::models {

std::string_view to_string(KernelKind kind) {
  switch (kind) {
    case KernelKind::mac: return "mac";
    case KernelKind::shift: return "shift";
    case KernelKind::threshold: return "threshold";
    case KernelKind::spike: return "spike";
  }
  return "?";
}

namespace {
// The member of `all` that to_string names `name`.
template <class E, std::size_t N>
std::optional<E> by_name(const E (&all)[N], std::string_view name) {
  for (const E e : all)
    if (to_string(e) == name) return e;
  return std::nullopt;
}
}  // namespace

std::optional<KernelKind> parse_kernel_kind(std::string_view name) { return by_name(kAllKernelKinds, name); }

std::string_view to_string(KernelArch arch) {
  switch (arch) {
    case KernelArch::chain: return "chain";
    case KernelArch::tree: return "tree";
    case KernelArch::csa: return "csa";
    case KernelArch::booth_csa: return "booth-csa";
  }
  return "?";
}

std::optional<KernelArch> parse_kernel_arch(std::string_view name) { return by_name(kAllKernelArchs, name); }

bool arch_exists(KernelKind kind, KernelArch arch) { return arch != KernelArch::booth_csa || kind == KernelKind::mac; }

KernelArch default_arch(KernelKind) {
  // Measured (README.md, "Micro-architectures"): per library the lowest is
  // csa for mac on osu018 (2.4% below tree) and tree on SKY130 (1.7% below
  // csa), tree for every other kind on both; by the geometric mean over the
  // two, mac's csa and tree are 0.3% apart, far inside what abc's mapping
  // moves between runs, so mac takes tree like the others and every saving
  // compares the same structure.
  return KernelArch::tree;
}

std::string_view to_string(ResetStyle reset) { return reset == ResetStyle::sync ? "sync" : "async"; }

std::optional<ResetStyle> parse_reset_style(std::string_view name) { return by_name(kAllResetStyles, name); }

unsigned default_code_bits(KernelKind kind, unsigned XW) {
  switch (kind) {
    case KernelKind::shift: return 4;
    case KernelKind::threshold: return XW + 1;
    default: return 8;
  }
}

bool has_membrane(KernelKind kind) { return kind == KernelKind::spike; }

unsigned KernelParams::activation_bits() const { return has_membrane(kind) ? 1 : XW; }

std::uint32_t extreme_code(const KernelParams& p, bool positive) {
  switch (p.kind) {
    case KernelKind::shift: {
      const std::uint32_t m_max = (1u << (p.WW - 1)) - 1;
      return (positive ? 0u : 1u) << (p.WW - 1) | m_max;
    }
    case KernelKind::threshold: return (positive ? 0u : 1u) << p.XW;  // theta = 0
    default: return positive ? (1u << (p.WW - 1)) - 1 : 1u << (p.WW - 1);
  }
}

std::uint32_t zero_code(const KernelParams& p, bool negative) {
  const std::uint32_t sign = negative ? 1u : 0u;
  switch (p.kind) {
    case KernelKind::shift: return sign << (p.WW - 1);  // +/-0
    case KernelKind::threshold: return sign << p.XW | ((1u << p.XW) - 1);  // theta = max: nothing exceeds it
    default: return 0;
  }
}

unsigned KernelParams::code_bits() const { return kind == KernelKind::threshold ? XW + 1 : WW; }

namespace {

using u128 = unsigned __int128;

unsigned bit_width128(u128 v) {
  const auto hi = static_cast<std::uint64_t>(v >> 64);
  return hi ? 64 + std::bit_width(hi) : std::bit_width(static_cast<std::uint64_t>(v));
}

// Bits of a two's-complement register holding every value in [-neg, pos].
unsigned signed_bits_for(u128 pos, u128 neg) {
  const unsigned for_pos = bit_width128(pos) + 1;
  const unsigned for_neg = neg == 0 ? 1 : bit_width128(neg - 1) + 1;
  return std::max(for_pos, for_neg);
}

// The largest exponent a shift code can select: m - 1 with m all ones.
unsigned max_shift_exponent(unsigned WW) { return (1u << (WW - 1)) - 2; }

}  // namespace

unsigned KernelParams::required_accumulator_bits() const {
  const u128 x_max = (u128{1} << XW) - 1;
  // |most negative WW-bit integer|; threshold kernels have no weights (WW 0),
  // and shifting by WW - 1 there would be undefined (UBSan found it).
  const u128 w_neg = WW == 0 ? 0 : u128{1} << (WW - 1);
  switch (kind) {
    case KernelKind::mac: return signed_bits_for(K * x_max * (w_neg - 1), K * x_max * w_neg);
    case KernelKind::shift:
      // K * x_max << s can exceed 128 bits for wide codes: count bits instead.
      return bit_width128(K * x_max) + max_shift_exponent(WW) + 1;
    case KernelKind::threshold: return signed_bits_for(K * x_max, K * x_max);
    case KernelKind::spike: return signed_bits_for(K * (w_neg - 1), K * w_neg);
  }
  return 0;
}

std::string KernelParams::describe() const {
  const std::string suffix = (arch == KernelArch::chain ? "" : fmt::format(" arch={}", to_string(arch))) +
                             (reset == ResetStyle::async ? "" : " reset=sync") +
                             (pipeline == 0 ? "" : fmt::format(" pipeline={}", pipeline));
  switch (kind) {
    case KernelKind::threshold: return fmt::format("threshold K={} XW={} AW={}{}", K, XW, AW, suffix);
    case KernelKind::spike: return fmt::format("spike K={} WW={} AW={}{}", K, WW, AW, suffix);
    default: return fmt::format("{} K={} XW={} WW={} AW={}{}", to_string(kind), K, XW, WW, AW, suffix);
  }
}

std::optional<std::string> validate(const KernelParams& p) {
  if (p.pipeline > kMaxPipeline)
    return fmt::format("pipeline={} is out of range: 0 (none) or 1 (a register between the synapse datapath and the "
                       "accumulator)",
                       p.pipeline);
  if (!arch_exists(p.kind, p.arch))
    return fmt::format("arch {} does not exist for {}: Booth recodes a multiplier (mac only); {} has chain, tree, csa",
                       to_string(p.arch), to_string(p.kind), to_string(p.kind));
  if (p.K < 1 || p.K > kMaxK)
    return fmt::format("K={} is out of range: synapses per beat must be 1..{}", p.K, kMaxK);
  if (!has_membrane(p.kind) && (p.XW < 1 || p.XW > kMaxXW))
    return fmt::format("XW={} is out of range: activation bits must be 1..{}", p.XW, kMaxXW);
  if (p.kind == KernelKind::threshold && p.WW > kMaxWW)  // the RTL's np_params_check refuses it too
    return fmt::format("XW={} is out of range for threshold: its weight codes are XW + 1 = {} bits, at most {}; "
                       "use XW <= {}",
                       p.XW, p.WW, kMaxWW, kMaxWW - 1);
  if (p.kind != KernelKind::threshold) {
    const unsigned min_ww = p.kind == KernelKind::shift ? 2 : 1;
    if (p.WW < min_ww || p.WW > kMaxWW)
      return fmt::format("WW={} is out of range: {} weight codes must be {}..{} bits", p.WW,
                         to_string(p.kind), min_ww, kMaxWW);
  }
  if (p.AW < 2 || p.AW > kMaxAW)
    return fmt::format("AW={} is out of range: the accumulator must be 2..{} bits", p.AW, kMaxAW);
  const unsigned need = p.required_accumulator_bits();
  if (p.kind == KernelKind::shift && need > kMaxAW)
    return fmt::format("WW={} is too wide for shift: its codes reach x << {}, which needs a {}-bit "
                       "accumulator (at most {}); use WW <= 6",
                       p.WW, max_shift_exponent(p.WW), need, kMaxAW);
  if (p.AW < need)
    return fmt::format("AW={} is too small: {} needs AW >= {} to hold one beat of {} extreme terms",
                       p.AW, p.describe(), need, p.K);
  return std::nullopt;
}

std::int64_t wrap_signed(std::uint64_t value, unsigned bits) {
  if (bits >= 64) return static_cast<std::int64_t>(value);
  const std::uint64_t sign = std::uint64_t{1} << (bits - 1);
  const std::uint64_t low = value & ((std::uint64_t{1} << bits) - 1);
  return static_cast<std::int64_t>((low ^ sign) - sign);
}

std::int64_t synapse_term(const KernelParams& p, std::uint32_t x, std::uint32_t code) {
  switch (p.kind) {
    case KernelKind::mac: return std::int64_t{x} * wrap_signed(code, p.WW);
    case KernelKind::shift: {
      const std::uint32_t m = code & ((1u << (p.WW - 1)) - 1);
      if (m == 0) return 0;
      const std::int64_t magnitude = std::int64_t{x} << (m - 1);
      return (code >> (p.WW - 1)) & 1 ? -magnitude : magnitude;
    }
    case KernelKind::threshold: {
      const std::uint32_t theta = code & ((1u << p.XW) - 1);
      const std::int64_t excess = x > theta ? std::int64_t{x} - theta : 0;
      return (code >> p.XW) & 1 ? -excess : excess;
    }
    case KernelKind::spike: return (x & 1) ? wrap_signed(code, p.WW) : 0;
  }
  return 0;
}

std::uint32_t output_stage(const KernelParams& p, std::int64_t acc, std::int64_t bias,
                           unsigned shift) {
  const std::int64_t biased =
      wrap_signed(static_cast<std::uint64_t>(acc) + static_cast<std::uint64_t>(bias), p.AW);
  if (biased < 0 || shift >= p.AW) return 0;
  const std::uint64_t shifted = static_cast<std::uint64_t>(biased) >> shift;
  const std::uint64_t y_max = (std::uint64_t{1} << p.XW) - 1;
  return static_cast<std::uint32_t>(std::min(shifted, y_max));
}

SpikeUpdate spike_update(const KernelParams& p, std::int64_t v, std::int64_t acc,
                         std::int64_t bias, std::int64_t vth) {
  const auto u = [](std::int64_t s) { return static_cast<std::uint64_t>(s); };
  const std::int64_t integrated = wrap_signed(u(v) + u(acc) + u(bias), p.AW);
  const std::int64_t threshold = wrap_signed(u(vth), p.AW);
  if (integrated >= threshold) return {true, wrap_signed(u(integrated) - u(threshold), p.AW)};
  return {false, integrated};
}

KernelGolden::KernelGolden(const KernelParams& params) : params_(params) {}

void KernelGolden::reset() {
  acc_ = 0;
  out_ = {};
  delayed_ = {};
}

std::int64_t KernelGolden::beat_sum(std::span<const std::uint32_t> x,
                                    std::span<const std::uint32_t> w) const {
  std::uint64_t sum = 0;
  for (std::size_t k = 0; k < params_.K; ++k)
    sum += static_cast<std::uint64_t>(synapse_term(params_, x[k], w[k]));
  return wrap_signed(sum, params_.AW);
}

const KernelOutputs& KernelGolden::step(const Beat& beat) {
  if (params_.pipeline == 0) return update(beat);
  // One pipeline register: the kernel shows what it would have shown a cycle earlier.
  const KernelOutputs shown = out_;
  update(beat);
  delayed_ = shown;
  return delayed_;
}

const KernelOutputs& KernelGolden::update(const Beat& beat) {
  const bool fire_output = beat.valid && beat.last;
  out_.valid = fire_output;
  if (!beat.valid) return out_;
  const std::int64_t start = beat.first ? 0 : acc_;
  acc_ = wrap_signed(static_cast<std::uint64_t>(start) +
                         static_cast<std::uint64_t>(beat_sum(beat.x, beat.w)),
                     params_.AW);
  if (!fire_output) return out_;
  if (has_membrane(params_.kind)) {
    const SpikeUpdate update = spike_update(params_, beat.v, acc_, beat.bias, beat.vth);
    out_.y = update.spike;
    out_.v = update.v;
  } else {
    out_.y = output_stage(params_, acc_, beat.bias, beat.shift);
  }
  return out_;
}

}  // namespace neuroppa::models
