#include "neuroppa/models/kernel.hpp"

#include <algorithm>
#include <bit>
#include <array>
#include <atomic>
#include <fmt/format.h>
#include <map>
#include <mutex>
#include <stdexcept>
#include <tuple>

#include "neuroppa/base/error.hpp"

namespace neuroppa::models {

namespace {

// Registered kinds: written at start (the catalogue registers kernel
// packages), read from any thread after, without a lock: slots are filled
// once under the mutex and published by the count.
constexpr std::size_t kMaxRegisteredKinds = 256;
struct Registry {
  std::mutex write;
  std::array<std::unique_ptr<const RegisteredKind>, kMaxRegisteredKinds> slots;
  std::atomic<std::size_t> count{0};
};
Registry& registry() {
  static Registry r;
  return r;
}

// What models/ derives from a registered kind's term for one (XW, WW):
// the term range, and the corner-case codes stimulus uses.
struct TermFacts {
  std::int64_t min_term = 0, max_term = 0;
  std::uint32_t most_positive = 0, most_negative = 0;  // at x = x_max
  std::uint32_t zero = 0, zero_other = 0;              // terms nearest zero for every x
};

// Largest XW + code bits whose every (x, code) pair models/ enumerates.
constexpr unsigned kMaxEnumeratedBits = 24;

TermFacts derive_facts(const RegisteredKind& r, const KernelParams& p) {
  const unsigned cb = p.code_bits(), xb = p.activation_bits();
  const std::uint32_t x_max = (1u << xb) - 1, codes = 1u << cb;
  TermFacts f;
  if (auto bounds = r.term_bounds ? r.term_bounds(p) : std::nullopt) {
    std::tie(f.min_term, f.max_term) = *bounds;
  } else if (xb + cb <= kMaxEnumeratedBits) {
    f.min_term = f.max_term = r.term(p, 0, 0);
    for (std::uint32_t c = 0; c < codes; ++c)
      for (std::uint32_t x = 0; x <= x_max; ++x) {
        const std::int64_t t = r.term(p, x, c);
        f.min_term = std::min(f.min_term, t);
        f.max_term = std::max(f.max_term, t);
      }
  } else {
    throw Error(fmt::format("{} XW={} with {}-bit codes: {} pairs of activation and code are too many to find the "
                            "term range by trying each; the golden model must export np_term_bounds",
                            r.name, p.XW, cb, std::uint64_t{1} << (p.XW + cb)));
  }
  // Activations tried for "zero for every x": all of them, or a spread.
  std::vector<std::uint32_t> xs;
  const std::uint32_t step = std::max<std::uint32_t>(1, (x_max + 1) / 4096);
  for (std::uint64_t x = 0; x <= x_max; x += step) xs.push_back(static_cast<std::uint32_t>(x));
  xs.push_back(x_max);
  std::int64_t best_pos = 0, best_neg = 0;
  std::uint64_t best_zero = UINT64_MAX, second_zero = UINT64_MAX;
  for (std::uint32_t c = 0; c < codes; ++c) {
    const std::int64_t t = r.term(p, x_max, c);
    if (c == 0 || t > best_pos) best_pos = t, f.most_positive = c;
    if (c == 0 || t < best_neg) best_neg = t, f.most_negative = c;
    std::uint64_t worst = 0;  // the largest |term| of this code over xs
    for (const std::uint32_t x : xs) {
      const std::int64_t v = r.term(p, x, c);
      worst = std::max<std::uint64_t>(worst, v < 0 ? 0 - static_cast<std::uint64_t>(v) : static_cast<std::uint64_t>(v));
      if (worst >= best_zero && worst >= second_zero) break;
    }
    if (worst < best_zero) {
      second_zero = best_zero, f.zero_other = f.zero;
      best_zero = worst, f.zero = c;
    } else if (worst < second_zero) {
      second_zero = worst, f.zero_other = c;
    }
  }
  if (second_zero == UINT64_MAX) f.zero_other = f.zero;
  return f;
}

const TermFacts& facts(const RegisteredKind& r, const KernelParams& p) {
  static std::map<std::tuple<const RegisteredKind*, unsigned, unsigned, OwnValues>, TermFacts> cache;
  static std::mutex m;
  const std::lock_guard lock(m);
  const auto key = std::make_tuple(&r, p.XW, p.WW, own_values(p));
  auto it = cache.find(key);
  if (it == cache.end()) it = cache.emplace(key, derive_facts(r, p)).first;
  return it->second;
}

}  // namespace

KernelKind register_kind(RegisteredKind kind) {
  Registry& reg = registry();
  const std::lock_guard lock(reg.write);
  for (const KernelKind k : all_kernel_kinds())
    if (to_string(k) == kind.name) throw std::logic_error("kernel kind " + kind.name + " is registered twice");
  const std::size_t n = reg.count.load();
  if (n == kMaxRegisteredKinds) throw Error(fmt::format("more than {} kernel packages", kMaxRegisteredKinds));
  reg.slots[n] = std::make_unique<const RegisteredKind>(std::move(kind));
  reg.count.store(n + 1, std::memory_order_release);
  return static_cast<KernelKind>(kFirstRegisteredKind + n);
}

const RegisteredKind* registered_kind(KernelKind kind) {
  const auto i = static_cast<std::size_t>(kind);
  if (i < kFirstRegisteredKind) return nullptr;
  if (i - kFirstRegisteredKind >= registry().count.load(std::memory_order_acquire))
    throw std::logic_error("kernel kind not registered");
  return registry().slots[i - kFirstRegisteredKind].get();
}

bool is_kernel_kind(std::uint32_t value) {
  return value < kFirstRegisteredKind ||
         value - kFirstRegisteredKind < registry().count.load(std::memory_order_acquire);
}

OwnValues own_values(const KernelParams& p) {
  OwnValues values{};
  const RegisteredKind* r = registered_kind(p.kind);
  for (std::size_t i = 0; i < kMaxOwnParameters; ++i)
    values[i] = p.own[i].value_or(r && i < r->own.size() ? r->own[i].default_value : 0);
  return values;
}

std::pair<std::int64_t, std::int64_t> registered_term_range(const KernelParams& p) {
  const RegisteredKind* r = registered_kind(p.kind);
  if (!r) throw std::logic_error("registered_term_range of a built-in kind");
  const TermFacts& f = facts(*r, p);
  return {f.min_term, f.max_term};
}

std::vector<KernelKind> all_kernel_kinds() {
  std::vector<KernelKind> out(std::begin(kAllKernelKinds), std::end(kAllKernelKinds));
  const std::size_t n = registry().count.load(std::memory_order_acquire);
  for (std::size_t i = 0; i < n; ++i) out.push_back(static_cast<KernelKind>(kFirstRegisteredKind + i));
  return out;
}

std::string_view to_string(KernelKind kind) {
  if (const RegisteredKind* r = registered_kind(kind)) return r->name;
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

std::optional<KernelKind> parse_kernel_kind(std::string_view name) {
  for (const KernelKind k : all_kernel_kinds())
    if (to_string(k) == name) return k;
  return std::nullopt;
}

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

bool arch_exists(KernelKind kind, KernelArch arch) {
  if (const RegisteredKind* r = registered_kind(kind)) return std::ranges::find(r->archs, arch) != r->archs.end();
  return arch != KernelArch::booth_csa || kind == KernelKind::mac;
}

KernelArch default_arch(KernelKind kind) {
  if (const RegisteredKind* r = registered_kind(kind)) return r->default_arch;
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

unsigned default_ww(KernelKind kind, unsigned XW) {
  if (const RegisteredKind* r = registered_kind(kind)) return r->default_ww;
  return default_code_bits(kind, XW);
}

unsigned default_code_bits(KernelKind kind, unsigned XW) {
  if (const RegisteredKind* r = registered_kind(kind)) return KernelParams{kind, 1, XW, r->default_ww}.code_bits();
  switch (kind) {
    case KernelKind::shift: return 4;
    case KernelKind::threshold: return XW + 1;
    default: return 8;
  }
}

bool has_membrane(KernelKind kind) {
  if (const RegisteredKind* r = registered_kind(kind)) return r->membrane;
  return kind == KernelKind::spike;
}

unsigned KernelParams::activation_bits() const { return has_membrane(kind) ? 1 : XW; }

std::uint32_t extreme_code(const KernelParams& p, bool positive) {
  if (const RegisteredKind* r = registered_kind(p.kind)) {
    const TermFacts& f = facts(*r, p);
    return positive ? f.most_positive : f.most_negative;
  }
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
  if (const RegisteredKind* r = registered_kind(p.kind)) {
    const TermFacts& f = facts(*r, p);
    return negative ? f.zero_other : f.zero;
  }
  const std::uint32_t sign = negative ? 1u : 0u;
  switch (p.kind) {
    case KernelKind::shift: return sign << (p.WW - 1);  // +/-0
    case KernelKind::threshold: return sign << p.XW | ((1u << p.XW) - 1);  // theta = max: nothing exceeds it
    default: return 0;
  }
}

unsigned KernelParams::code_bits() const {
  if (const RegisteredKind* r = registered_kind(kind)) return r->code_bits(XW, WW, own_values(*this));
  return kind == KernelKind::threshold ? XW + 1 : WW;
}

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
  if (const RegisteredKind* r = registered_kind(kind)) {
    const TermFacts& f = facts(*r, *this);
    const auto magnitude = [](std::int64_t v) { return static_cast<u128>(v < 0 ? 0 - static_cast<std::uint64_t>(v) : static_cast<std::uint64_t>(v)); };
    return signed_bits_for(K * (f.max_term > 0 ? magnitude(f.max_term) : 0), K * (f.min_term < 0 ? magnitude(f.min_term) : 0));
  }
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
  if (const RegisteredKind* r = registered_kind(kind)) {  // the widths and parameters the package has
    const std::string xw = r->membrane ? "" : fmt::format(" XW={}", XW);
    const std::string ww = r->ww_max == 0 ? "" : fmt::format(" WW={}", WW);
    std::string own;
    const OwnValues values = own_values(*this);
    for (std::size_t i = 0; i < r->own.size(); ++i) own += fmt::format(" {}={}", r->own[i].name, values[i]);
    return fmt::format("{} K={}{}{}{} AW={}{}", r->name, K, xw, ww, own, AW, suffix);
  }
  switch (kind) {
    case KernelKind::threshold: return fmt::format("threshold K={} XW={} AW={}{}", K, XW, AW, suffix);
    case KernelKind::spike: return fmt::format("spike K={} WW={} AW={}{}", K, WW, AW, suffix);
    default: return fmt::format("{} K={} XW={} WW={} AW={}{}", to_string(kind), K, XW, WW, AW, suffix);
  }
}

namespace {

// A registered kind's own ranges: its archs, XW and WW.
std::optional<std::string> validate_registered(const RegisteredKind& r, const KernelParams& p) {
  if (!arch_exists(p.kind, p.arch)) {
    std::string archs;
    for (const KernelArch a : r.archs) archs += fmt::format("{}{}", archs.empty() ? "" : ", ", to_string(a));
    return fmt::format("arch {} does not exist for {}: its package has {}", to_string(p.arch), r.name, archs);
  }
  if (p.XW < r.xw_min || p.XW > r.xw_max)
    return fmt::format("XW={} is out of range for {}: its package takes XW {}..{}", p.XW, r.name, r.xw_min, r.xw_max);
  if (r.ww_max != 0 && (p.WW < r.ww_min || p.WW > r.ww_max))
    return fmt::format("WW={} is out of range for {}: its package takes WW {}..{}", p.WW, r.name, r.ww_min, r.ww_max);
  const OwnValues values = own_values(p);
  for (std::size_t i = 0; i < r.own.size(); ++i)
    if (values[i] < r.own[i].min || values[i] > r.own[i].max)
      return fmt::format("{}={} is out of range for {}: its package takes {} {}..{}", r.own[i].name, values[i], r.name,
                         r.own[i].name, r.own[i].min, r.own[i].max);
  for (std::size_t i = r.own.size(); i < kMaxOwnParameters; ++i)
    if (p.own[i]) return fmt::format("{} has {} parameters of its own; a value for parameter {} is one too many",
                                     r.name, r.own.size(), i + 1);
  return std::nullopt;
}

}  // namespace

std::optional<std::string> validate(const KernelParams& p) {
  if (p.pipeline > kMaxPipeline)
    return fmt::format("pipeline={} is out of range: 0 (none) or 1 (a register between the synapse datapath and the "
                       "accumulator)",
                       p.pipeline);
  if (const RegisteredKind* r = registered_kind(p.kind)) {
    if (auto error = validate_registered(*r, p)) return error;
  } else if (!arch_exists(p.kind, p.arch)) {
    return fmt::format("arch {} does not exist for {}: Booth recodes a multiplier (mac only); {} has chain, tree, csa",
                       to_string(p.arch), to_string(p.kind), to_string(p.kind));
  }
  if (p.K < 1 || p.K > kMaxK)
    return fmt::format("K={} is out of range: synapses per beat must be 1..{}", p.K, kMaxK);
  if (!has_membrane(p.kind) && (p.XW < 1 || p.XW > kMaxXW))
    return fmt::format("XW={} is out of range: activation bits must be 1..{}", p.XW, kMaxXW);
  if (p.kind == KernelKind::threshold && p.WW > kMaxWW)  // the RTL's np_params_check refuses it too
    return fmt::format("XW={} is out of range for threshold: its weight codes are XW + 1 = {} bits, at most {}; "
                       "use XW <= {}",
                       p.XW, p.WW, kMaxWW, kMaxWW - 1);
  if (p.kind != KernelKind::threshold && !registered_kind(p.kind)) {
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
  if (const RegisteredKind* r = registered_kind(p.kind)) return r->term(p, x, code);
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

const std::int64_t* registered_term_table(const KernelParams& p) {
  const RegisteredKind* r = registered_kind(p.kind);
  if (!r || validate(p)) return nullptr;
  const unsigned x_bits = p.activation_bits(), code_bits = p.code_bits();
  if (x_bits + code_bits > 16) return nullptr;
  static std::mutex mutex;
  static std::map<std::tuple<KernelKind, unsigned, unsigned, unsigned, unsigned, OwnValues>, std::vector<std::int64_t>>
      tables;
  const std::lock_guard lock(mutex);
  std::vector<std::int64_t>& table = tables[{p.kind, p.K, p.XW, p.WW, p.AW, own_values(p)}];
  if (table.empty()) {  // a map keeps its elements where they are: the pointer stays valid
    std::vector<std::int64_t> terms(std::size_t{1} << (x_bits + code_bits));
    for (std::uint32_t code = 0; code < (1u << code_bits); ++code)
      for (std::uint32_t x = 0; x < (1u << x_bits); ++x) terms[(std::size_t{code} << x_bits) | x] = r->term(p, x, code);
    table = std::move(terms);
  }
  return table.data();
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

KernelGolden::KernelGolden(const KernelParams& params)
    : params_(params), term_table_(registered_term_table(params)) {}

void KernelGolden::reset() {
  acc_ = 0;
  out_ = {};
  delayed_ = {};
}

std::int64_t KernelGolden::beat_sum(std::span<const std::uint32_t> x,
                                    std::span<const std::uint32_t> w) const {
  std::uint64_t sum = 0;
  if (term_table_) {
    const unsigned bits = params_.activation_bits();
    for (std::size_t k = 0; k < params_.K; ++k)
      sum += static_cast<std::uint64_t>(term_table_[(std::size_t{w[k]} << bits) | x[k]]);
    return wrap_signed(sum, params_.AW);
  }
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
