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
Registry& raw_registry() {
  static Registry r;
  return r;
}

std::atomic<BuiltinKindLoader> builtin_loader{nullptr};
thread_local bool loading_builtins = false;

// The registry with the built-in kinds in it: the first ask runs the loader
// kernels/ set (which registers them through register_kind, on this thread).
Registry& registry() {
  // Not before the loader is set (a static initializer elsewhere may ask first): the first ask after it loads.
  if (const BuiltinKindLoader load = builtin_loader.load(); load && !loading_builtins) {
    static std::once_flag once;
    std::call_once(once, [load] {
      loading_builtins = true;
      try {
        load();
      } catch (...) {
        loading_builtins = false;
        throw;
      }
      loading_builtins = false;
    });
  }
  return raw_registry();
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
// Largest activation + code bits whose terms are tabulated (2 MB a table):
// 8-bit activations with threshold's 9-bit codes are the widest default.
constexpr unsigned kMaxTableBits = 18;

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
  const auto given = [&](CornerCode which) { return r.corner_code ? r.corner_code(p, which) : std::nullopt; };
  const auto most_positive = given(CornerCode::most_positive), most_negative = given(CornerCode::most_negative);
  const auto zero = given(CornerCode::zero), zero_other = given(CornerCode::zero_other);
  if (most_positive && most_negative && zero && zero_other) {
    f.most_positive = *most_positive, f.most_negative = *most_negative, f.zero = *zero, f.zero_other = *zero_other;
    return f;
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

void set_builtin_kind_loader(BuiltinKindLoader loader) { builtin_loader.store(loader); }

KernelKind register_kind(RegisteredKind kind) {
  Registry& reg = registry();  // the built-ins first, unless this is one of them
  const std::lock_guard lock(reg.write);
  const std::size_t n = reg.count.load();
  for (std::size_t i = 0; i < n; ++i)
    if (reg.slots[i]->name == kind.name) throw std::logic_error("kernel kind " + kind.name + " is registered twice");
  if (n == kMaxRegisteredKinds) throw Error(fmt::format("more than {} kernel packages", kMaxRegisteredKinds));
  reg.slots[n] = std::make_unique<const RegisteredKind>(std::move(kind));
  reg.count.store(n + 1, std::memory_order_release);
  return static_cast<KernelKind>(n);
}

const RegisteredKind& registered_kind(KernelKind kind) {
  const auto i = static_cast<std::size_t>(kind);
  Registry& reg = registry();
  if (i >= reg.count.load(std::memory_order_acquire))
    throw std::logic_error(fmt::format("kernel kind {} is not registered (is the kernels library linked, with its "
                                       "built-in packages?)", i));
  return *reg.slots[i];
}

bool is_kernel_kind(std::uint32_t value) { return value < registry().count.load(std::memory_order_acquire); }

OwnValues own_values(const KernelParams& p) {
  OwnValues values{};
  const RegisteredKind& r = registered_kind(p.kind);
  for (std::size_t i = 0; i < kMaxOwnParameters; ++i)
    values[i] = p.own[i].value_or(i < r.own.size() ? r.own[i].default_value : 0);
  return values;
}

std::pair<std::int64_t, std::int64_t> term_range(const KernelParams& p) {
  const TermFacts& f = facts(registered_kind(p.kind), p);
  return {f.min_term, f.max_term};
}

std::vector<KernelKind> all_kernel_kinds() {
  std::vector<KernelKind> out;
  const std::size_t n = registry().count.load(std::memory_order_acquire);
  for (std::size_t i = 0; i < n; ++i) out.push_back(static_cast<KernelKind>(i));
  return out;
}

std::vector<KernelKind> builtin_kernel_kinds() {
  std::vector<KernelKind> out;
  for (const KernelKind k : all_kernel_kinds())
    if (registered_kind(k).builtin) out.push_back(k);
  return out;
}

std::string_view to_string(KernelKind kind) { return registered_kind(kind).name; }

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

KernelKind kind_named(std::string_view name) {
  if (const auto kind = parse_kernel_kind(name)) return *kind;
  throw std::logic_error(fmt::format("kernel kind {} is not registered", name));
}

std::string_view to_string(KernelArch arch) {
  switch (arch) {
    case KernelArch::chain: return "chain";
    case KernelArch::tree: return "tree";
    case KernelArch::csa: return "csa";
    case KernelArch::booth_csa: return "booth-csa";
    case KernelArch::shift_add: return "shift-add";
  }
  return "?";
}

std::optional<KernelArch> parse_kernel_arch(std::string_view name) { return by_name(kAllKernelArchs, name); }

bool arch_exists(KernelKind kind, KernelArch arch) {
  const RegisteredKind& r = registered_kind(kind);
  return std::ranges::find(r.archs, arch) != r.archs.end();
}

KernelArch default_arch(KernelKind kind) { return registered_kind(kind).default_arch; }

std::string_view to_string(ResetStyle reset) { return reset == ResetStyle::sync ? "sync" : "async"; }

std::optional<ResetStyle> parse_reset_style(std::string_view name) { return by_name(kAllResetStyles, name); }

unsigned default_ww(KernelKind kind, unsigned) { return registered_kind(kind).default_ww; }

unsigned default_xw(KernelKind kind) { return registered_kind(kind).default_xw; }

unsigned default_code_bits(KernelKind kind, unsigned XW) {
  return KernelParams{kind, 1, XW, registered_kind(kind).default_ww}.code_bits();
}

std::string_view to_string(Backend backend) {
  switch (backend) {
    case Backend::output_stage: return "output-stage";
    case Backend::membrane: return "membrane";
    case Backend::sigma_delta: return "sigma-delta";
  }
  return "?";
}

Backend backend_of(KernelKind kind) { return registered_kind(kind).backend; }

bool has_membrane(KernelKind kind) { return backend_of(kind) == Backend::membrane; }

bool has_sigma_delta(KernelKind kind) { return backend_of(kind) == Backend::sigma_delta; }

unsigned KernelParams::activation_bits() const { return has_membrane(kind) ? 1 : XW; }

std::uint32_t extreme_code(const KernelParams& p, bool positive) {
  const TermFacts& f = facts(registered_kind(p.kind), p);
  return positive ? f.most_positive : f.most_negative;
}

std::uint32_t zero_code(const KernelParams& p, bool negative) {
  const TermFacts& f = facts(registered_kind(p.kind), p);
  return negative ? f.zero_other : f.zero;
}

std::optional<std::uint32_t> edge_code(const KernelParams& p, bool high, bool negative) {
  const RegisteredKind& r = registered_kind(p.kind);
  if (!r.corner_code) return std::nullopt;
  const CornerCode which = high ? (negative ? CornerCode::edge_high_negative : CornerCode::edge_high_positive)
                                : (negative ? CornerCode::edge_low_negative : CornerCode::edge_low_positive);
  return r.corner_code(p, which);
}

unsigned KernelParams::code_bits() const {
  return registered_kind(kind).code_bits(XW, WW, own_values(*this));
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

}  // namespace

unsigned KernelParams::required_accumulator_bits() const {
  const TermFacts& f = facts(registered_kind(kind), *this);
  const auto magnitude = [](std::int64_t v) {
    return static_cast<u128>(v < 0 ? 0 - static_cast<std::uint64_t>(v) : static_cast<std::uint64_t>(v));
  };
  return signed_bits_for(K * (f.max_term > 0 ? magnitude(f.max_term) : 0),
                         K * (f.min_term < 0 ? magnitude(f.min_term) : 0));
}

std::string KernelParams::describe() const {
  const std::string suffix = (arch == KernelArch::chain ? "" : fmt::format(" arch={}", to_string(arch))) +
                             (reset == ResetStyle::async ? "" : " reset=sync") +
                             (pipeline == 0 ? "" : fmt::format(" pipeline={}", pipeline));
  // The widths and parameters the package has.
  const RegisteredKind& r = registered_kind(kind);
  const std::string xw = r.backend == Backend::membrane ? "" : fmt::format(" XW={}", XW);
  const std::string ww = r.ww_max == 0 ? "" : fmt::format(" WW={}", WW);
  std::string own;
  const OwnValues values = own_values(*this);
  for (std::size_t i = 0; i < r.own.size(); ++i) own += fmt::format(" {}={}", r.own[i].name, values[i]);
  return fmt::format("{} K={}{}{}{} AW={}{}", r.name, K, xw, ww, own, AW, suffix);
}

namespace {

// A registered kind's own ranges: its archs, XW and WW.
std::optional<std::string> validate_registered(const RegisteredKind& r, const KernelParams& p) {
  if (!arch_exists(p.kind, p.arch)) {
    std::string archs;
    for (const KernelArch a : r.archs) archs += fmt::format("{}{}", archs.empty() ? "" : ", ", to_string(a));
    return fmt::format("arch {} does not exist for {}: its package has {}", to_string(p.arch), r.name, archs);
  }
  if (r.backend != Backend::membrane && (p.XW < r.xw_min || p.XW > r.xw_max))  // the membrane's inputs are spikes: no XW
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
  if (auto error = validate_registered(registered_kind(p.kind), p)) return error;
  if (p.K < 1 || p.K > kMaxK)
    return fmt::format("K={} is out of range: synapses per beat must be 1..{}", p.K, kMaxK);
  if (p.AW < 2 || p.AW > kMaxAW)
    return fmt::format("AW={} is out of range: the accumulator must be 2..{} bits", p.AW, kMaxAW);
  const unsigned need = p.required_accumulator_bits();
  if (need > kMaxAW)
    return fmt::format("{} needs a {}-bit accumulator for one beat of {} extreme terms (at most {}); use narrower "
                       "widths", p.describe(), need, p.K, kMaxAW);
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
  return registered_kind(p.kind).term(p, x, code);
}

const std::int64_t* term_table(const KernelParams& p) {
  if (validate(p)) return nullptr;
  const unsigned x_bits = p.activation_bits(), code_bits = p.code_bits();
  if (x_bits + code_bits > kMaxTableBits) return nullptr;
  const RegisteredKind& r = registered_kind(p.kind);
  static std::mutex mutex;
  static std::map<std::tuple<KernelKind, unsigned, unsigned, unsigned, unsigned, OwnValues>, std::vector<std::int64_t>>
      tables;
  const std::lock_guard lock(mutex);
  std::vector<std::int64_t>& table = tables[{p.kind, p.K, p.XW, p.WW, p.AW, own_values(p)}];
  if (table.empty()) {  // a map keeps its elements where they are: the pointer stays valid
    std::vector<std::int64_t> terms(std::size_t{1} << (x_bits + code_bits));
    for (std::uint32_t code = 0; code < (1u << code_bits); ++code)
      for (std::uint32_t x = 0; x < (1u << x_bits); ++x) terms[(std::size_t{code} << x_bits) | x] = r.term(p, x, code);
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

SigmaDeltaUpdate sigma_delta_update(const KernelParams& p, std::int64_t acc, std::int64_t bias, unsigned shift,
                                    std::int64_t sigma, std::int64_t act, std::int64_t residue, std::int64_t vth) {
  const auto u = [](std::int64_t s) { return static_cast<std::uint64_t>(s); };
  const auto wrap = [&](std::uint64_t v) { return wrap_signed(v, p.AW); };
  SigmaDeltaUpdate out{};
  out.sigma = wrap(u(sigma) + u(acc));
  const std::int64_t biased = wrap(u(out.sigma) + u(bias));
  out.act = biased < 0 ? 0 : biased;
  const std::int64_t delta = wrap(u(out.act) - u(act) + u(residue));
  const std::int64_t threshold = wrap(u(vth));
  const bool send = delta >= threshold || delta <= wrap(0 - u(threshold));
  std::int64_t spike = 0;
  if (send) {
    const std::uint64_t half = (shift == 0 || shift - 1 >= p.AW) ? 0 : std::uint64_t{1} << (shift - 1);
    // An arithmetic shift of the sign-extended AW-bit value: past AW bits it
    // leaves the sign, as the RTL's >>> does (shift < 64).
    const std::int64_t q = wrap(u(delta) + half) >> shift;
    const std::int64_t top = (std::int64_t{1} << (p.XW - 1)) - 1;
    spike = std::clamp(q, -top - 1, top);
  }
  const std::int64_t sent = shift >= p.AW ? 0 : wrap(u(spike) << shift);
  out.residue = wrap(u(delta) - u(sent));
  out.spike = static_cast<std::uint32_t>(u(spike) & ((std::uint64_t{1} << p.XW) - 1));
  return out;
}

KernelGolden::KernelGolden(const KernelParams& params)
    : params_(params), term_table_(term_table(params)) {
  if (const RegisteredKind& r = registered_kind(params.kind); r.stepper) stepper_ = r.stepper(params);
}

void KernelGolden::reset() {
  acc_ = 0;
  out_ = {};
  delayed_ = {};
  if (stepper_) stepper_->reset();
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
  if (stepper_) return out_ = stepper_->step(beat);
  const bool fire_output = beat.valid && beat.last;
  out_.valid = fire_output;
  if (!beat.valid) return out_;
  const std::int64_t start = beat.first ? 0 : acc_;
  acc_ = wrap_signed(static_cast<std::uint64_t>(start) +
                         static_cast<std::uint64_t>(beat_sum(beat.x, beat.w)),
                     params_.AW);
  if (!fire_output) return out_;
  switch (backend_of(params_.kind)) {
    case Backend::membrane: {
      const SpikeUpdate update = spike_update(params_, beat.v, acc_, beat.bias, beat.vth);
      out_.y = update.spike;
      out_.v = update.v;
      break;
    }
    case Backend::sigma_delta: {
      const SigmaDeltaUpdate update =
          sigma_delta_update(params_, acc_, beat.bias, beat.shift, beat.sigma, beat.act, beat.residue, beat.vth);
      out_.y = update.spike;
      out_.sigma = update.sigma;
      out_.act = update.act;
      out_.residue = update.residue;
      break;
    }
    case Backend::output_stage: out_.y = output_stage(params_, acc_, beat.bias, beat.shift); break;
  }
  return out_;
}

}  // namespace neuroppa::models
