#include "neuroppa/models/stimulus.hpp"

#include <algorithm>

namespace neuroppa::models {

std::string_view to_string(Scenario s) {
  switch (s) {
    case Scenario::random: return "random";
    case Scenario::extreme: return "extreme";
    case Scenario::wrap: return "wrap";
    case Scenario::zero_codes: return "zero_codes";
    case Scenario::theta_edges: return "theta_edges";
    case Scenario::spike_edges: return "spike_edges";
    case Scenario::boundary: return "boundary";
  }
  return "?";
}

namespace {

// Group-start weights out of 10000, in Scenario order. A wrap group is up to
// 2^13 beats long against ~8 for the others, so it is picked rarely: about a
// quarter of all beats still fall in wrap groups.
constexpr unsigned kScenarioWeights[kScenarioCount] = {4000, 1200, 2, 1000, 1000, 800, 1998};

// Longest wrap group: enough for 2^13 extreme beats; wider accumulators are
// wrapped through the bias in the boundary scenario instead.
constexpr unsigned kMaxWrapLog2 = 13;

std::uint64_t u(std::int64_t v) { return static_cast<std::uint64_t>(v); }

}  // namespace

BeatStream::BeatStream(const KernelParams& params, std::uint64_t seed)
    : p_(params),
      code_bits_(params.code_bits()),
      activation_bits_(params.activation_bits()),
      term_table_(term_table(params)),
      rng_(seed) {
  beat_.x.resize(p_.K);
  beat_.w.resize(p_.K);
  has_edges_ = true;
  for (unsigned i = 0; i < 4; ++i) {
    const auto code = edge_code(p_, i >= 2, i % 2 == 1);
    has_edges_ = has_edges_ && code.has_value();
    edge_codes_[i] = code.value_or(0);
  }
}

std::int64_t BeatStream::random_signed(unsigned bits) {
  bits = std::clamp(bits, 1u, p_.AW);
  return wrap_signed(rng_.bits(bits), bits);
}

std::uint32_t BeatStream::random_code() { return static_cast<std::uint32_t>(rng_.bits(code_bits_)); }

std::uint32_t BeatStream::extreme_code(bool positive) {
  auto& code = extreme_codes_[positive];
  if (!code) code = models::extreme_code(p_, positive);
  return *code;
}

std::uint32_t BeatStream::zero_code() {
  const bool negative = rng_.bits(1) != 0;
  auto& code = zero_codes_[negative];
  if (!code) code = models::zero_code(p_, negative);
  return *code;
}

void BeatStream::randomize_all() {
  const unsigned xb = activation_bits_;
  for (unsigned k = 0; k < p_.K; ++k) {
    beat_.x[k] = static_cast<std::uint32_t>(rng_.bits(xb));
    beat_.w[k] = random_code();
  }
  beat_.bias = random_signed(p_.AW);
  beat_.shift = static_cast<unsigned>(rng_.bits(kShiftBits));
  beat_.v = random_signed(p_.AW);
  beat_.vth = random_signed(p_.AW);
  if (has_sigma_delta(p_.kind)) {  // (only then: the other kinds' streams stay as they were)
    beat_.sigma = random_signed(p_.AW);
    beat_.act = random_signed(p_.AW);
    beat_.residue = random_signed(p_.AW);
  }
}

void BeatStream::start_group() {
  unsigned pick = static_cast<unsigned>(rng_.below(10000));
  int s = 0;
  while (pick >= kScenarioWeights[s]) pick -= kScenarioWeights[s++];
  scenario_ = static_cast<Scenario>(s);
  acc_ = 0;
  group_positive_ = rng_.chance(1, 2);
  switch (scenario_) {
    case Scenario::wrap: {
      const unsigned headroom = p_.AW - p_.required_accumulator_bits();
      group_left_ = (std::uint64_t{1} << std::min(headroom + 1, kMaxWrapLog2)) + 2;
      break;
    }
    case Scenario::zero_codes:
    case Scenario::boundary: group_left_ = 1 + rng_.below(8); break;
    default: group_left_ = 1 + rng_.below(16); break;
  }
}

void BeatStream::fill_operands() {
  const std::uint32_t x_max = (1u << activation_bits_) - 1;
  const bool all_max = rng_.chance(1, 2);  // for spike_edges: all-one or all-zero beat
  for (unsigned k = 0; k < p_.K; ++k) {
    std::uint32_t& x = beat_.x[k];
    std::uint32_t& w = beat_.w[k];
    x = static_cast<std::uint32_t>(rng_.bits(activation_bits_));
    w = random_code();
    switch (scenario_) {
      case Scenario::extreme:
        x = rng_.chance(3, 4) ? x_max : 0;
        w = extreme_code(rng_.chance(1, 2));
        break;
      case Scenario::wrap:
        x = x_max;
        w = extreme_code(group_positive_);
        break;
      case Scenario::zero_codes:
        if (rng_.chance(3, 4)) w = zero_code();
        break;
      case Scenario::theta_edges:
        if (has_edges_) {  // a code whose term starts or stops changing at an end of x (a threshold at 0 or max)
          const bool high = !rng_.chance(1, 2);
          const bool negative = rng_.bits(1) != 0;
          w = edge_codes_[(high ? 2 : 0) + (negative ? 1 : 0)];
          const auto pick = rng_.below(3);
          x = pick == 0 ? 0 : pick == 1 ? x_max : x;
        } else {
          x = rng_.chance(1, 2) ? x_max : 0;
          w = extreme_code(rng_.chance(1, 2));
        }
        break;
      case Scenario::spike_edges: x = all_max ? x_max : 0; break;
      default: break;
    }
    const std::int64_t term =
        term_table_ ? term_table_[(std::size_t{w} << activation_bits_) | x] : synapse_term(p_, x, w);
    acc_ = wrap_signed(u(acc_) + u(term), p_.AW);
  }
}

void BeatStream::set_last_beat_operands() {
  const unsigned need = p_.required_accumulator_bits();
  const bool wide = rng_.chance(1, 8);  // occasionally anything the ports allow
  beat_.bias = random_signed(wide ? p_.AW : need + 1);
  beat_.shift = static_cast<unsigned>(wide ? rng_.bits(kShiftBits) : rng_.below(need + 1));
  beat_.v = random_signed(wide ? p_.AW : need + 2);
  beat_.vth = wide ? random_signed(p_.AW) : static_cast<std::int64_t>(1 + rng_.bits(need));
  if (has_sigma_delta(p_.kind)) {
    // The state as a network keeps it: sigma and act of a few more bits than
    // one beat, act not negative, a residue below a few quanta; a threshold
    // of up to a quantum.
    beat_.shift = static_cast<unsigned>(wide ? rng_.bits(kShiftBits) : rng_.below(std::min(need, 40u) + 1));
    beat_.sigma = random_signed(wide ? p_.AW : need + 2);
    beat_.act = wide ? random_signed(p_.AW) : static_cast<std::int64_t>(rng_.bits(std::min(need + 1, p_.AW - 1)));
    beat_.residue = random_signed(wide ? p_.AW : std::min(beat_.shift, 60u) + 3);
    beat_.vth = wide ? random_signed(p_.AW) : static_cast<std::int64_t>(rng_.bits(std::min(beat_.shift, 60u) + 1));
  }
  if (scenario_ != Scenario::boundary) return;

  const std::int64_t aw_max = wrap_signed((std::uint64_t{1} << (p_.AW - 1)) - 1, p_.AW);
  if (has_membrane(p_.kind)) {
    // v + acc + bias lands exactly on vth, one above or one below it; or the
    // sum wraps at AW bits.
    if (rng_.chance(1, 4)) beat_.v = rng_.chance(1, 2) ? aw_max : -aw_max - 1;
    const std::int64_t integrated = wrap_signed(u(beat_.v) + u(acc_) + u(beat_.bias), p_.AW);
    const std::int64_t delta = static_cast<std::int64_t>(rng_.below(3)) - 1;
    beat_.vth = wrap_signed(u(integrated) + u(delta), p_.AW);
    return;
  }
  if (has_sigma_delta(p_.kind)) {
    set_sigma_delta_edge(aw_max);
    return;
  }
  // acc + bias lands on an edge of the output stage.
  const unsigned s = beat_.shift = static_cast<unsigned>(rng_.below(std::min(need + 1, p_.AW - 1)));
  const std::uint64_t top = (std::uint64_t{1} << p_.XW);  // first saturating value before the shift
  const std::uint64_t targets[] = {0, u(-1), (top - 1) << s, (top << s) - 1, top << s,
                                   (std::uint64_t{1} << s) - 1, std::uint64_t{1} << s,
                                   u(aw_max), u(-aw_max - 1)};
  const std::uint64_t target = targets[rng_.below(std::size(targets))];
  beat_.bias = wrap_signed(target - u(acc_), p_.AW);
}

void BeatStream::set_sigma_delta_edge(std::int64_t aw_max) {
  const auto wrap = [&](std::uint64_t v) { return wrap_signed(v, p_.AW); };
  if (rng_.chance(1, 4)) {  // sigma + acc + bias at -1, 0 or 1 (the ReLU's edge), or a wrapped sigma
    const std::int64_t target = static_cast<std::int64_t>(rng_.below(3)) - 1;
    beat_.sigma = rng_.chance(1, 4) ? (rng_.chance(1, 2) ? aw_max : -aw_max - 1) : beat_.sigma;
    beat_.bias = wrap(u(target) - u(beat_.sigma) - u(acc_));
    return;
  }
  // delta lands on +-vth, one either side of it, or on a rounding or
  // saturation edge of the spike; the residue puts it there.
  const std::int64_t act = std::max<std::int64_t>(0, wrap(u(beat_.sigma) + u(acc_) + u(beat_.bias)));
  const unsigned shift = beat_.shift;  // < 64: the arithmetic below wraps like the kernel's
  const std::uint64_t quantum = std::uint64_t{1} << shift;
  const std::uint64_t half = shift == 0 ? 0 : quantum / 2;
  const std::uint64_t top = (std::uint64_t{1} << (p_.XW - 1)) - 1;
  const std::uint64_t edges[] = {u(beat_.vth), 0 - u(beat_.vth), top * quantum - half, (top + 1) * quantum - half,
                                 0 - (top + 1) * quantum - half, 0 - (top + 2) * quantum - half, quantum - half,
                                 0 - half, u(aw_max / 2)};
  const std::uint64_t step = rng_.below(3);  // -1, 0 or +1 around the edge
  const std::int64_t delta = wrap(edges[rng_.below(std::size(edges))] + step - 1);
  beat_.residue = wrap(u(delta) - u(act) + u(beat_.act));
}

const Beat& BeatStream::next() {
  if (idle_left_ > 0) {
    --idle_left_;
    randomize_all();
    beat_.valid = beat_.first = beat_.last = false;
    return beat_;
  }
  const bool first = group_left_ == 0;
  if (first) start_group();
  randomize_all();  // operands the kernel must ignore on this beat are random too
  fill_operands();
  beat_.valid = true;
  beat_.first = first;
  beat_.last = --group_left_ == 0;
  if (beat_.last) {
    set_last_beat_operands();
    if (rng_.chance(1, 4)) idle_left_ = 1 + rng_.below(3);
  }
  return beat_;
}

}  // namespace neuroppa::models
