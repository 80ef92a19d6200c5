#include "neuroppa/sim/macro_model.hpp"

#include <Eigen/Dense>
#if defined(__x86_64__)
#include <immintrin.h>
#endif
#include <bit>
#include <chrono>
#include <cstring>
#include <cmath>
#include <fmt/format.h>
#include <fstream>
#include <nlohmann/json.hpp>
#include <map>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <thread>

#include "neuroppa/base/content_store.hpp"
#include "neuroppa/base/error.hpp"
#include "neuroppa/base/sha256.hpp"
#include "neuroppa/models/operands.hpp"
#include "neuroppa/sim/datapath.hpp"
#include "neuroppa/sim/kernel_models.hpp"
#include "neuroppa/tech/timed_activity.hpp"
#include "neuroppa/tech/toggle_counter.hpp"

namespace neuroppa::sim {
namespace fs = std::filesystem;

namespace {

// The features, in MacroFeatures::names' order.
enum Feature {
  f_cycle, f_first, f_last, f_handshake, f_control, f_state_in, f_output, f_state_out, f_changed,
  f_changed_squared, f_x_times_w_ones, f_w_times_x_ones, f_x_ones, f_w_ones, f_x_transitions, f_w_transitions,
  f_x_top_transitions, f_w_top_transitions, f_term_transitions, f_acc_transitions, f_count
};

std::uint64_t value(const vmodel::Port& port) { return port.width() ? port.get() : 0; }

// A port's words into `out` (a loop the compiler inlines: these are a few words).
void read_words(const vmodel::Port& port, std::uint32_t* out) {
  if (port.width() > 64) {
    const auto* words = static_cast<const std::uint32_t*>(port.data());
    for (unsigned i = 0; i < port.words(); ++i) out[i] = words[i];
    return;
  }
  const std::uint64_t v = port.get();
  out[0] = static_cast<std::uint32_t>(v);
  if (port.width() > 32) out[1] = static_cast<std::uint32_t>(v >> 32);
}

// A `bits`-wide field at bit `offset` of packed words (the word after the last may be read: +1 word).
std::uint32_t field(const std::uint32_t* words, unsigned offset, unsigned bits) {
  const unsigned w = offset / 32, b = offset % 32;
  std::uint64_t v = words[w];
  if (b + bits > 32) v |= std::uint64_t{words[w + 1]} << 32;
  return static_cast<std::uint32_t>((v >> b) & ((std::uint64_t{1} << bits) - 1));
}

// Field k, `bits` wide, of packed words (bytes and single bits read directly).
inline std::uint32_t extract(const std::uint32_t* words, unsigned k, unsigned bits) {
  if (bits == 8) return (words[k / 4] >> (8 * (k % 4))) & 0xff;
  if (bits == 1) return (words[k / 32] >> (k % 32)) & 1;
  return field(words, k * bits, bits);
}

// The top bit of each of K fields `bits` wide, over `words` words.
std::vector<std::uint32_t> top_bits(unsigned K, unsigned bits, std::size_t words) {
  std::vector<std::uint32_t> mask(words, 0);
  for (unsigned k = 0; k < K; ++k) {
    const unsigned bit = k * bits + bits - 1;
    mask[bit / 32] |= 1u << (bit % 32);
  }
  return mask;
}

// A cycle's synapse counts: synapses changed, sum over synapses of ones(dx) *
// ones(w) and ones(dw) * ones(x), and the operands' ones, transitions and
// top-bit transitions (the top bit of a field `bits` wide is bit bits - 1 of
// its byte). Counted by MacroFeatures::sample_fused (SSSE3), by the portable
// byte loop (tally_bytes_scalar) or field by field (tally_wide_synapses).
struct SynapseTally {
  std::uint64_t changed = 0, x_times_w = 0, w_times_x = 0;
  std::uint64_t x_ones = 0, w_ones = 0, x_transitions = 0, w_transitions = 0, x_top = 0, w_top = 0;
};

#if defined(__x86_64__)
__attribute__((target("ssse3"))) inline __m128i byte_ones(__m128i v) {
  const __m128i nibble_ones = _mm_setr_epi8(0, 1, 1, 2, 1, 2, 2, 3, 1, 2, 2, 3, 2, 3, 3, 4);
  const __m128i low = _mm_set1_epi8(0x0f);
  return _mm_add_epi8(_mm_shuffle_epi8(nibble_ones, _mm_and_si128(v, low)),
                      _mm_shuffle_epi8(nibble_ones, _mm_and_si128(_mm_srli_epi16(v, 4), low)));
}

// 16 one-bit fields (two bytes of packed spikes) as 16 bytes of 0 or 1.
__attribute__((target("ssse3"))) inline __m128i expand_bits(std::uint16_t bits) {
  const __m128i spread = _mm_shuffle_epi8(_mm_cvtsi32_si128(bits), _mm_setr_epi8(0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1));
  const __m128i select = _mm_setr_epi8(1, 2, 4, 8, 16, 32, 64, -128, 1, 2, 4, 8, 16, 32, 64, -128);
  return _mm_min_epu8(_mm_and_si128(spread, select), _mm_set1_epi8(1));
}

// The two 64-bit lanes added (psadbw leaves a partial sum in each).
__attribute__((target("ssse3"))) inline std::uint64_t sum_lanes(__m128i v) {
  return std::uint64_t(_mm_cvtsi128_si64(v)) + std::uint64_t(_mm_cvtsi128_si64(_mm_unpackhi_epi64(v, v)));
}
#endif

SynapseTally tally_bytes_scalar(const std::uint8_t* x, const std::uint8_t* xb, unsigned x_bits, const std::uint8_t* w,
                                const std::uint8_t* wb, unsigned w_bits, std::size_t n) {
  SynapseTally t;
  for (std::size_t i = 0; i < n; ++i) {
    const unsigned dx = x[i] ^ xb[i], dw = w[i] ^ wb[i];
    t.changed += (dx | dw) != 0;
    t.x_times_w += unsigned(std::popcount(dx)) * unsigned(std::popcount(unsigned(w[i])));
    t.w_times_x += unsigned(std::popcount(dw)) * unsigned(std::popcount(unsigned(x[i])));
    t.x_ones += unsigned(std::popcount(unsigned(x[i])));
    t.w_ones += unsigned(std::popcount(unsigned(w[i])));
    t.x_transitions += unsigned(std::popcount(dx));
    t.w_transitions += unsigned(std::popcount(dw));
    t.x_top += (dx >> (x_bits - 1)) & 1;
    t.w_top += (dw >> (w_bits - 1)) & 1;
  }
  return t;
}

bool has_ssse3() {
#if defined(__x86_64__)
  static const bool yes = __builtin_cpu_supports("ssse3") && __builtin_cpu_supports("popcnt");
  return yes;
#else
  return false;
#endif
}

// models::term_table indexed activation-major, (x << code bits) | code, in
// 16 bits where every term fits (mac's, threshold's, spike's do), shared by
// every lane of a kernel: the lookups were half the features' time, missing
// the cache all over a 1 MB table; zero activations (half of a ReLU
// network's) now read one small hot row of a table a quarter the size.
const std::int16_t* narrow_terms(const models::KernelParams& p) {
  const std::int64_t* code_major = models::term_table(p);
  if (!code_major) return nullptr;
  const unsigned xb = p.activation_bits(), wb = p.code_bits();
  const std::size_t n = std::size_t{1} << (xb + wb);
  static std::mutex mutex;
  static std::map<const std::int64_t*, std::vector<std::int16_t>> tables;  // by the table they copy
  const std::lock_guard lock(mutex);
  if (auto it = tables.find(code_major); it != tables.end()) return it->second.empty() ? nullptr : it->second.data();
  std::vector<std::int16_t>& table = tables[code_major];  // a map keeps its elements where they are
  for (std::size_t i = 0; i < n; ++i)
    if (code_major[i] < INT16_MIN || code_major[i] > INT16_MAX) return nullptr;  // stays empty: wide terms
  table.resize(n);
  for (std::uint32_t w = 0; w < (1u << wb); ++w)
    for (std::uint32_t x = 0; x < (1u << xb); ++x)
      table[(std::size_t{x} << wb) | w] = std::int16_t(code_major[(std::size_t{w} << xb) | x]);
  return table.data();
}

// Whether every term of an activation-major table is the activation times the
// code sign-extended (mac's, spike's): then the fused pass multiplies, eight
// synapses an instruction, instead of looking each term up.
bool is_product_table(const std::int16_t* table, unsigned x_bits, unsigned w_bits) {
  for (std::uint32_t x = 0; x < (1u << x_bits); ++x)
    for (std::uint32_t w = 0; w < (1u << w_bits); ++w)
      if (table[(std::size_t{x} << w_bits) | w] != std::int64_t{x} * models::wrap_signed(w, w_bits)) return false;
  return true;
}

}  // namespace

MacroFeatures::MacroFeatures(const KernelPorts& ports, const models::KernelParams& params, bool vector_path)
    : ports_(&ports), K_(params.K), x_bits_(params.activation_bits()), w_bits_(params.code_bits()) {
  // +1 word: fields may straddle; at least K rounded up to 16 bytes: byte
  // operands are read 16 at a time, the padding zero.
  const std::size_t padded = (K_ + 15) / 16 * 4;
  x_.assign(std::max<std::size_t>(ports.x_i.words() + 1, padded), 0);
  w_.assign(std::max<std::size_t>(ports.w_i.words() + 1, padded), 0);
  const bool simd = vector_path && has_ssse3();
  if (x_bits_ <= 8 && w_bits_ <= 8)
    pass_ = simd ? Pass::fused_byte_codes : Pass::bytes;
  else if (x_bits_ <= 8 && w_bits_ <= 16 && simd)
    pass_ = Pass::fused_wide_codes;
  if (pass_ != Pass::packed) {
    x_bytes_.assign(padded * 4, 0);
    x_bytes_before_ = x_bytes_;
    if (pass_ == Pass::fused_wide_codes) {
      w_lanes_.assign(padded * 4, 0);
      w_lanes_before_ = w_lanes_;
    } else {
      w_bytes_.assign(padded * 4, 0);
      w_bytes_before_ = w_bytes_;
    }
  } else {  // the packed pass compares words with last cycle's, and their fields' top bits
    x_before_ = x_;
    w_before_ = w_;
    x_top_ = top_bits(K_, x_bits_, x_.size());
    w_top_ = top_bits(K_, w_bits_, w_.size());
  }
  // Operands too wide for a table: the two term features stay 0.
  narrow_terms_ = narrow_terms(params);
  if (!narrow_terms_) terms_ = models::term_table(params);
  term_mask_ = params.AW >= 64 ? ~std::uint64_t{0} : (std::uint64_t{1} << params.AW) - 1;
  terms_before_.assign(K_, 0);
  AW_ = params.AW;
  if (narrow_terms_ && !x_bytes_.empty() && AW_ >= 16) {
    narrow_now_.assign(x_bytes_.size(), 0);
    narrow_before_.assign(narrow_now_.size(), 0);
    // Row 0 of the activation-major table: the terms of a zero activation. Spikes
    // (graded or not) are sparse; 8-bit activations are not enough so: a ReLU
    // layer's zeros fall at random, and the branches the sparse loop takes cost
    // more than the lookups it saves (mac-mlp 1.62x rtl with it, 1.49x without).
    zero_activation_zero_term_ = x_bits_ < 8 && std::all_of(narrow_terms_, narrow_terms_ + (std::size_t{1} << w_bits_),
                                             [](std::int16_t t) { return t == 0; });
    product_terms_ = is_product_table(narrow_terms_, x_bits_, w_bits_);
  }
  const auto add_port = [&](const vmodel::Port& port, PortGroup group) {
    if (!port.width()) return;  // the kind has no such port
    if (port.width() > 64) throw std::logic_error("macro features: a control or state port wider than 64 bits");
    const unsigned size = port.width() <= 8 ? 0 : port.width() <= 16 ? 1 : port.width() <= 32 ? 2 : 3;  // Verilator's
    ports_by_size_[size].push_back({port.data(), kGroupBits * group});
  };
  for (const vmodel::Port* port : {&ports.valid_i, &ports.first_i, &ports.last_i}) add_port(*port, port_handshake);
  for (const vmodel::Port* port : {&ports.bias_i, &ports.shift_i, &ports.vth_i}) add_port(*port, port_control);
  for (const vmodel::Port* port : {&ports.v_i, &ports.sigma_i, &ports.act_i, &ports.residue_i})
    add_port(*port, port_state_in);
  for (const vmodel::Port* port : {&ports.y_o, &ports.valid_o}) add_port(*port, port_output);
  for (const vmodel::Port* port : {&ports.v_o, &ports.sigma_o, &ports.act_o, &ports.residue_o})
    add_port(*port, port_state_out);
  std::size_t scalar_ports = 0;
  for (const auto& by_size : ports_by_size_) scalar_ports += by_size.size();
  scalar_before_.assign(scalar_ports, 0);
  use_banks(1);
}

std::vector<std::string> MacroFeatures::names() {
  return {"cycle",
          "first",
          "last",
          "handshake transitions",
          "bias, shift, vth transitions",
          "state-in transitions",
          "output transitions (registered)",
          "state-out transitions (registered)",
          "synapses changed",
          "synapses changed, squared",
          "activation transitions x code ones",
          "code transitions x activation ones",
          "activation ones",
          "code ones",
          "activation transitions",
          "code transitions",
          "activation top-bit transitions",
          "code top-bit transitions",
          "term transitions",
          "accumulator transitions"};
}

void MacroFeatures::use_banks(std::size_t count) {
  sums_.assign(std::max<std::size_t>(count, 1), std::vector<std::uint64_t>(f_count, 0));
  bank_ = 0;
}

std::vector<double> MacroFeatures::sums(std::size_t bank) const {
  return std::vector<double>(sums_[bank].begin(), sums_[bank].end());
}

void MacroFeatures::absorb(MacroFeatures& other) {
  for (std::size_t b = 0; b < other.sums_.size() && b < sums_.size(); ++b)
    for (std::size_t f = 0; f < f_count; ++f) sums_[b][f] += other.sums_[b][f];
  other.use_banks(other.sums_.size());
}

namespace {

// Per synapse: whether it changed, and its operands' transitions times the
// other operand's ones, for fields wider than a byte (threshold's 9-bit
// codes), field by field from the packed words.
__attribute__((target_clones("popcnt", "default"))) SynapseTally tally_wide_synapses(
    const std::uint32_t* x_now, const std::uint32_t* x_before, unsigned x_bits, const std::uint32_t* w_now,
    const std::uint32_t* w_before, unsigned w_bits, unsigned K) {
  SynapseTally t;
  for (unsigned k = 0; k < K; ++k) {
    const std::uint32_t x = extract(x_now, k, x_bits), dx = x ^ extract(x_before, k, x_bits);
    const std::uint32_t w = extract(w_now, k, w_bits), dw = w ^ extract(w_before, k, w_bits);
    t.changed += (dx | dw) != 0;
    t.x_times_w += unsigned(std::popcount(dx)) * unsigned(std::popcount(w));
    t.w_times_x += unsigned(std::popcount(dw)) * unsigned(std::popcount(x));
  }
  return t;
}

// Term transitions and sum of byte operands whose terms fit 16 bits (the
// common case: mac, spike, sigma-delta, shift). Each term is sign-extended to
// the AW >= 16 bits the general loop counts: its 16 bits' transitions plus
// AW - 16 for a sign change. The terms are gathered from the table into a
// 16-bit array (K padded with zeros, as `before` is); the fused pass counts
// and sums them eight at a time, this loop one by one.
struct TermTally {
  std::uint64_t transitions = 0;
  std::int64_t sum = 0;
};

inline void gather_terms(const std::uint8_t* x, const std::uint8_t* w, unsigned w_bits, const std::int16_t* table,
                         unsigned K, std::int16_t* terms) {
  unsigned k = 0;
  for (; k + 4 <= K; k += 4) {  // unrolled: the loop's own count and branch were a third of it
    terms[k] = table[(std::size_t{x[k]} << w_bits) | w[k]];
    terms[k + 1] = table[(std::size_t{x[k + 1]} << w_bits) | w[k + 1]];
    terms[k + 2] = table[(std::size_t{x[k + 2]} << w_bits) | w[k + 2]];
    terms[k + 3] = table[(std::size_t{x[k + 3]} << w_bits) | w[k + 3]];
  }
  for (; k < K; ++k) terms[k] = table[(std::size_t{x[k]} << w_bits) | w[k]];
}

// The same where a zero activation's term is 0 for every code (mac, spike,
// shift, threshold, sigma-delta): only the synapses with an activation are
// looked up, found sixteen at a time (a spiking layer's beats carry a few
// spikes, a ReLU layer's about half zeros). `x` is padded to a multiple of 16.
inline void gather_sparse_terms(const std::uint8_t* x, const std::uint8_t* w, unsigned w_bits,
                                const std::int16_t* table, unsigned K, std::int16_t* terms, std::size_t padded) {
  std::memset(terms, 0, padded * sizeof(std::int16_t));
  for (unsigned base = 0; base < K; base += 16) {
#if defined(__x86_64__)
    const __m128i X = _mm_loadu_si128(reinterpret_cast<const __m128i*>(x + base));
    unsigned active = ~unsigned(_mm_movemask_epi8(_mm_cmpeq_epi8(X, _mm_setzero_si128()))) & 0xffffu;
#else
    unsigned active = 0;
    for (unsigned j = 0; j < 16; ++j) active |= unsigned(x[base + j] != 0) << j;
#endif
    if (K - base < 16) active &= (1u << (K - base)) - 1;
    for (; active; active &= active - 1) {
      const unsigned k = base + unsigned(__builtin_ctz(active));
      terms[k] = table[(std::size_t{x[k]} << w_bits) | w[k]];
    }
  }
}

TermTally tally_terms_scalar(const std::int16_t* terms, std::int16_t* before, std::size_t padded, unsigned AW) {
  TermTally t;
  for (std::size_t k = 0; k < padded; ++k) {
    const auto d = std::uint16_t(terms[k] ^ before[k]);
    t.transitions += unsigned(std::popcount(d)) + (AW - 16) * (d >> 15);
    t.sum += terms[k];
    before[k] = terms[k];
  }
  return t;
}

// K fields `bits` wide of packed words, one T each (bits <= 8 * sizeof(T)).
// Everything in locals: a byte store may alias anything, and with members the
// compiler reloaded them after every field (20 instructions a field, now about 7).
template <typename T>
inline void unpack_fields(const std::uint32_t* words, unsigned bits, unsigned K, T* out) {
  const std::uint64_t mask = (std::uint64_t{1} << bits) - 1;
  std::uint64_t buffer = 0;
  unsigned have = 0;
  for (unsigned k = 0; k < K; ++k) {
    if (have < bits) {
      buffer |= std::uint64_t{*words++} << have;
      have += 32;
    }
    out[k] = T(buffer & mask);
    buffer >>= bits;
    have -= bits;
  }
}

// K fields `bits` (< 8) wide of packed words, a byte each.
inline void unpack_to_bytes(const std::uint32_t* words, unsigned bits, unsigned K, std::uint8_t* out) {
  if (bits == 1) {  // spikes: eight a multiply; byte j of the broadcast keeps bit j, +0x7f carries it to bit 7
    const auto* bytes = reinterpret_cast<const std::uint8_t*>(words);
    for (unsigned k = 0; k < K; k += 8) {
      const std::uint64_t spread = (bytes[k / 8] * 0x0101010101010101ull) & 0x8040201008040201ull;
      const std::uint64_t unpacked = ((spread + 0x7f7f7f7f7f7f7f7full) >> 7) & 0x0101010101010101ull;
      std::memcpy(out + k, &unpacked, 8);  // out holds K rounded up to 16; bits past K are 0
    }
    return;
  }
  unpack_fields(words, bits, K, out);
}

// An operand's ones, transitions and top-bit transitions from its packed words.
inline void tally_words(const std::vector<std::uint32_t>& now, const std::vector<std::uint32_t>& before,
                        const std::vector<std::uint32_t>& top, std::uint64_t& ones, std::uint64_t& transitions,
                        std::uint64_t& top_transitions) {
  for (std::size_t i = 0; i < now.size(); ++i) {
    const std::uint32_t d = now[i] ^ before[i];
    ones += unsigned(std::popcount(now[i]));
    transitions += unsigned(std::popcount(d));
    top_transitions += unsigned(std::popcount(d & top[i]));
  }
}

// A cycle's synapse counts into the feature sums.
void add_synapses(const SynapseTally& t, std::uint64_t* f) {
  f[f_x_ones] += t.x_ones;
  f[f_w_ones] += t.w_ones;
  f[f_x_transitions] += t.x_transitions;
  f[f_w_transitions] += t.w_transitions;
  f[f_x_top_transitions] += t.x_top;
  f[f_w_top_transitions] += t.w_top;
  f[f_changed] += t.changed;
  f[f_changed_squared] += t.changed * t.changed;
  f[f_x_times_w_ones] += t.x_times_w;
  f[f_w_times_x_ones] += t.w_times_x;
}

}  // namespace

// A popcount instruction where the processor has one (chosen when the
// program loads); the build itself assumes none.
__attribute__((target_clones("popcnt", "default"))) void MacroFeatures::sample() {
  const KernelPorts& p = *ports_;
  std::uint64_t* f = sums_[bank_].data();
  // The ports' transitions by group, every port of at most 64 bits read by its size.
  // A loop per storage size (no switch per port: a third of the features' instructions went there),
  // the groups' counts packed in one register (an array indexed by group went through memory).
  std::uint64_t moved = 0;
  std::uint64_t* before = scalar_before_.data();
  const auto tally = [&]<typename T>(const std::vector<ScalarPort>& ports, T) {
    for (const ScalarPort& port : ports) {
      const std::uint64_t v = *static_cast<const T*>(port.data);
      moved += std::uint64_t(std::popcount(v ^ *before)) << port.shift;
      *before++ = v;
    }
  };
  tally(ports_by_size_[0], std::uint8_t{});
  tally(ports_by_size_[1], std::uint16_t{});
  tally(ports_by_size_[2], std::uint32_t{});
  tally(ports_by_size_[3], std::uint64_t{});
  const auto group = [&](PortGroup g) { return (moved >> (kGroupBits * g)) & ((1u << kGroupBits) - 1); };
  const bool first = value(p.first_i) != 0;
  f[f_cycle] += 1;
  f[f_first] += first;
  f[f_last] += value(p.last_i);
  f[f_handshake] += group(port_handshake);
  f[f_control] += group(port_control);
  f[f_state_in] += group(port_state_in);
  // The registers this edge wrote switch in the next cycle's replay.
  f[f_output] += out_lag_;
  out_lag_ = unsigned(group(port_output));
  f[f_state_out] += state_out_lag_;
  state_out_lag_ = unsigned(group(port_state_out));

  read_words(p.x_i, x_.data());
  read_words(p.w_i, w_.data());
#if defined(__x86_64__)
  if (pass_ == Pass::fused_byte_codes) {
    sample_fused<false>(first, f);
  } else if (pass_ == Pass::fused_wide_codes) {
    sample_fused<true>(first, f);
  } else
#endif
  if (pass_ == Pass::bytes) {
    sample_bytes_portable(first, f);
  } else {
    SynapseTally t =
        tally_wide_synapses(x_.data(), x_before_.data(), x_bits_, w_.data(), w_before_.data(), w_bits_, K_);
    tally_words(x_, x_before_, x_top_, t.x_ones, t.x_transitions, t.x_top);
    tally_words(w_, w_before_, w_top_, t.w_ones, t.w_transitions, t.w_top);
    add_synapses(t, f);
  }
  if ((narrow_terms_ || terms_) && narrow_before_.empty()) {
    // Each synapse's term as the golden model gives it, and the accumulator
    // the terms add up to from the first beat of a neuron (both AW bits):
    // what the adder tree and the accumulator register switch.
    std::int64_t sum = 0;
    std::uint64_t term_transitions = 0;
    for (unsigned k = 0; k < K_; ++k) {
      const std::uint32_t x = extract(x_.data(), k, x_bits_);
      const std::uint32_t w = extract(w_.data(), k, w_bits_);
      const std::int64_t term = narrow_terms_ ? narrow_terms_[(std::size_t{x} << w_bits_) | w]
                                              : terms_[(std::size_t{w} << x_bits_) | x];
      term_transitions += unsigned(std::popcount(std::uint64_t(term ^ terms_before_[k]) & term_mask_));
      terms_before_[k] = term;
      sum += term;
    }
    add_terms(term_transitions, sum, first, f);
  }
  if (pass_ == Pass::packed) {  // it compares packed words (the other passes keep their fields)
    x_before_.swap(x_);
    w_before_.swap(w_);
  }
}

// The portable pass over byte operands (every processor; the reference the
// fused pass is tested against).
void MacroFeatures::sample_bytes_portable(bool first, std::uint64_t* f) {
  const auto* x = reinterpret_cast<const std::uint8_t*>(x_.data());
  const auto* w = reinterpret_cast<const std::uint8_t*>(w_.data());
  if (x_bits_ != 8) {  // one byte a field
    unpack_to_bytes(x_.data(), x_bits_, K_, x_bytes_.data());
    x = x_bytes_.data();
  }
  if (w_bits_ != 8) {
    unpack_to_bytes(w_.data(), w_bits_, K_, w_bytes_.data());
    w = w_bytes_.data();
  }
  if (!narrow_before_.empty()) {
    if (zero_activation_zero_term_)
      gather_sparse_terms(x, w, w_bits_, narrow_terms_, K_, narrow_now_.data(), narrow_now_.size());
    else
      gather_terms(x, w, w_bits_, narrow_terms_, K_, narrow_now_.data());
    const TermTally terms = tally_terms_scalar(narrow_now_.data(), narrow_before_.data(), narrow_now_.size(), AW_);
    add_terms(terms.transitions, terms.sum, first, f);
  }
  const std::size_t n = x_bytes_.size();
  add_synapses(tally_bytes_scalar(x, x_bytes_before_.data(), x_bits_, w, w_bytes_before_.data(), w_bits_, n), f);
  std::memcpy(x_bytes_before_.data(), x, n);
  std::memcpy(w_bytes_before_.data(), w, n);
}

#if defined(__x86_64__)
// Activations in bytes, 16 synapses at a time in SSE registers, codes in
// bytes or (kWideCodes) in two registers of 16-bit lanes: the fields unpacked
// (spikes by a shuffle), the ones of each byte by nibble table (pshufb), the
// interaction products by pmaddubsw or pmullw (a product of ones is at most
// 8 x 16 = 128: the low byte of its 16 bits), every count summed by psadbw
// in 64-bit lanes and added up once a cycle; the terms multiplied where the
// table is a product (8 at a time in 16 bits), else looked up, and their
// transitions, sign changes and sum counted 8 at a time.
// (A pragma rather than a target attribute: GCC does not apply one to a member template.)
#pragma GCC push_options
#pragma GCC target("ssse3,popcnt")
template <bool kWideCodes>
void MacroFeatures::sample_fused(bool first, std::uint64_t* f) {
  const __m128i zero = _mm_setzero_si128(), one16 = _mm_set1_epi16(1), one8 = _mm_set1_epi8(1);
  // A 16-bit left shift by 8 - bits moves each byte's top field bit to bit 7 of that byte
  // (by 16 - bits, each 16-bit lane's to bit 15).
  const __m128i x_top_shift = _mm_cvtsi32_si128(int(8 - x_bits_));
  const __m128i w_top_shift = _mm_cvtsi32_si128(int((kWideCodes ? 16 : 8) - w_bits_));
  // A code in the high byte of 16 bits, shifted up to bit 15 and arithmetically down: sign-extended.
  const __m128i code_up = w_top_shift, code_down = _mm_cvtsi32_si128(int(16 - w_bits_));
  const auto* x_packed = reinterpret_cast<const std::uint8_t*>(x_.data());
  if (x_bits_ != 8 && x_bits_ != 1) unpack_to_bytes(x_.data(), x_bits_, K_, x_bytes_.data());
  const std::uint8_t* xs = x_bits_ == 8 ? x_packed : x_bytes_.data();
  const std::uint8_t* ws = nullptr;
  if constexpr (kWideCodes) {
    unpack_fields(w_.data(), w_bits_, K_, w_lanes_.data());
  } else {
    if (w_bits_ != 8) unpack_to_bytes(w_.data(), w_bits_, K_, w_bytes_.data());
    ws = w_bits_ == 8 ? reinterpret_cast<const std::uint8_t*>(w_.data()) : w_bytes_.data();
  }
  const bool terms = !narrow_before_.empty(), look_up = terms && !product_terms_;
  __m128i x_ones = zero, w_ones = zero, x_moves = zero, w_moves = zero, x_times_w = zero, w_times_x = zero;
  __m128i term_moves = zero, term_sum = zero;
  unsigned changed = 0, x_top = 0, w_top = 0, signs = 0;
  const std::size_t blocks = x_bytes_before_.size() / 16;
  for (std::size_t b = 0; b < blocks; ++b) {
    const std::size_t at = 16 * b;
    __m128i X;
    if (x_bits_ == 1) {
      std::uint16_t bits;
      std::memcpy(&bits, x_packed + 2 * b, 2);
      X = expand_bits(bits);
      if (look_up) _mm_storeu_si128(reinterpret_cast<__m128i*>(x_bytes_.data() + at), X);  // the lookups read bytes
    } else {
      X = _mm_loadu_si128(reinterpret_cast<const __m128i*>(xs + at));
    }
    auto* x_last = reinterpret_cast<__m128i*>(x_bytes_before_.data() + at);
    const __m128i DX = _mm_xor_si128(X, _mm_loadu_si128(x_last));
    _mm_storeu_si128(x_last, X);
    const __m128i ones_x = byte_ones(X), ones_dx = byte_ones(DX);
    x_ones = _mm_add_epi64(x_ones, _mm_sad_epu8(ones_x, zero));
    x_moves = _mm_add_epi64(x_moves, _mm_sad_epu8(ones_dx, zero));
    x_top += unsigned(__builtin_popcount(unsigned(_mm_movemask_epi8(_mm_sll_epi16(DX, x_top_shift)))));
    __m128i same;      // 0xff in the byte of each synapse whose operands did not change
    __m128i W = zero;  // the codes, where they are bytes
    if constexpr (kWideCodes) {
      auto* w_last = reinterpret_cast<__m128i*>(w_lanes_before_.data() + at);
      const __m128i W0 = _mm_loadu_si128(reinterpret_cast<const __m128i*>(w_lanes_.data() + at));
      const __m128i W1 = _mm_loadu_si128(reinterpret_cast<const __m128i*>(w_lanes_.data() + at + 8));
      const __m128i DW0 = _mm_xor_si128(W0, _mm_loadu_si128(w_last));
      const __m128i DW1 = _mm_xor_si128(W1, _mm_loadu_si128(w_last + 1));
      _mm_storeu_si128(w_last, W0);
      _mm_storeu_si128(w_last + 1, W1);
      same = _mm_and_si128(_mm_cmpeq_epi8(DX, zero),
                           _mm_packs_epi16(_mm_cmpeq_epi16(DW0, zero), _mm_cmpeq_epi16(DW1, zero)));
      const __m128i bytes_w0 = byte_ones(W0), bytes_w1 = byte_ones(W1);
      const __m128i bytes_dw0 = byte_ones(DW0), bytes_dw1 = byte_ones(DW1);
      w_ones = _mm_add_epi64(w_ones, _mm_sad_epu8(_mm_add_epi8(bytes_w0, bytes_w1), zero));
      w_moves = _mm_add_epi64(w_moves, _mm_sad_epu8(_mm_add_epi8(bytes_dw0, bytes_dw1), zero));
      // Per code, its two bytes' ones added (pmaddubsw by 1): at most 16 in 16 bits.
      const __m128i ones_w0 = _mm_maddubs_epi16(bytes_w0, one8), ones_w1 = _mm_maddubs_epi16(bytes_w1, one8);
      const __m128i ones_dw0 = _mm_maddubs_epi16(bytes_dw0, one8), ones_dw1 = _mm_maddubs_epi16(bytes_dw1, one8);
      x_times_w = _mm_add_epi64(x_times_w, _mm_add_epi64(
          _mm_sad_epu8(_mm_mullo_epi16(_mm_unpacklo_epi8(ones_dx, zero), ones_w0), zero),
          _mm_sad_epu8(_mm_mullo_epi16(_mm_unpackhi_epi8(ones_dx, zero), ones_w1), zero)));
      w_times_x = _mm_add_epi64(w_times_x, _mm_add_epi64(
          _mm_sad_epu8(_mm_mullo_epi16(_mm_unpacklo_epi8(ones_x, zero), ones_dw0), zero),
          _mm_sad_epu8(_mm_mullo_epi16(_mm_unpackhi_epi8(ones_x, zero), ones_dw1), zero)));
      // The top bit of each 16-bit lane: the high byte's top bit.
      w_top += unsigned(__builtin_popcount(
          (unsigned(_mm_movemask_epi8(_mm_sll_epi16(DW0, w_top_shift))) & 0xaaaau) |
          ((unsigned(_mm_movemask_epi8(_mm_sll_epi16(DW1, w_top_shift))) & 0xaaaau) << 16)));
    } else {
      W = _mm_loadu_si128(reinterpret_cast<const __m128i*>(ws + at));
      auto* w_last = reinterpret_cast<__m128i*>(w_bytes_before_.data() + at);
      const __m128i DW = _mm_xor_si128(W, _mm_loadu_si128(w_last));
      _mm_storeu_si128(w_last, W);
      same = _mm_cmpeq_epi8(_mm_or_si128(DX, DW), zero);
      const __m128i ones_w = byte_ones(W), ones_dw = byte_ones(DW);
      w_ones = _mm_add_epi64(w_ones, _mm_sad_epu8(ones_w, zero));
      w_moves = _mm_add_epi64(w_moves, _mm_sad_epu8(ones_dw, zero));
      x_times_w = _mm_add_epi64(x_times_w, _mm_sad_epu8(_mm_maddubs_epi16(ones_dx, ones_w), zero));
      w_times_x = _mm_add_epi64(w_times_x, _mm_sad_epu8(_mm_maddubs_epi16(ones_dw, ones_x), zero));
      w_top += unsigned(__builtin_popcount(unsigned(_mm_movemask_epi8(_mm_sll_epi16(DW, w_top_shift)))));
    }
    changed += 16 - unsigned(__builtin_popcount(unsigned(_mm_movemask_epi8(same))));
    if (!terms) continue;
    std::int16_t* now = narrow_now_.data() + at;
    __m128i T0, T1;
    if (!kWideCodes && product_terms_) {
      const __m128i code0 = _mm_sra_epi16(_mm_sll_epi16(_mm_unpacklo_epi8(zero, W), code_up), code_down);
      const __m128i code1 = _mm_sra_epi16(_mm_sll_epi16(_mm_unpackhi_epi8(zero, W), code_up), code_down);
      T0 = _mm_mullo_epi16(_mm_unpacklo_epi8(X, zero), code0);  // |x x code| < 2^15: exact
      T1 = _mm_mullo_epi16(_mm_unpackhi_epi8(X, zero), code1);
    } else {
      const unsigned count = unsigned(std::min<std::size_t>(16, K_ - at));
      const std::uint8_t* xb = x_bits_ == 8 ? x_packed + at : x_bytes_.data() + at;
      const auto code = [&](unsigned k) -> std::size_t {
        if constexpr (kWideCodes) return w_lanes_[at + k];
        else return ws[at + k];
      };
      if (zero_activation_zero_term_) {  // sparse: only the synapses with an activation
        _mm_storeu_si128(reinterpret_cast<__m128i*>(now), zero);
        _mm_storeu_si128(reinterpret_cast<__m128i*>(now + 8), zero);
        unsigned active = ~unsigned(_mm_movemask_epi8(_mm_cmpeq_epi8(X, zero))) & ((1u << count) - 1);
        for (; active; active &= active - 1) {
          const unsigned k = unsigned(__builtin_ctz(active));
          now[k] = narrow_terms_[(std::size_t{xb[k]} << w_bits_) | code(k)];
        }
      } else {
        for (unsigned k = 0; k < count; ++k) now[k] = narrow_terms_[(std::size_t{xb[k]} << w_bits_) | code(k)];
      }
      T0 = _mm_loadu_si128(reinterpret_cast<const __m128i*>(now));
      T1 = _mm_loadu_si128(reinterpret_cast<const __m128i*>(now + 8));
    }
    auto* last = reinterpret_cast<__m128i*>(narrow_before_.data() + at);
    const __m128i D0 = _mm_xor_si128(T0, _mm_loadu_si128(last)), D1 = _mm_xor_si128(T1, _mm_loadu_si128(last + 1));
    _mm_storeu_si128(last, T0);
    _mm_storeu_si128(last + 1, T1);
    term_moves = _mm_add_epi64(term_moves, _mm_sad_epu8(_mm_add_epi8(byte_ones(D0), byte_ones(D1)), zero));
    // The high byte's top bit of each 16-bit term: its sign.
    signs += unsigned(__builtin_popcount((unsigned(_mm_movemask_epi8(D0)) & 0xaaaau) |
                                         ((unsigned(_mm_movemask_epi8(D1)) & 0xaaaau) << 16)));
    term_sum = _mm_add_epi32(term_sum, _mm_add_epi32(_mm_madd_epi16(T0, one16), _mm_madd_epi16(T1, one16)));
  }
  SynapseTally t;
  t.changed = changed;
  t.x_ones = sum_lanes(x_ones);
  t.w_ones = sum_lanes(w_ones);
  t.x_transitions = sum_lanes(x_moves);
  t.w_transitions = sum_lanes(w_moves);
  t.x_times_w = sum_lanes(x_times_w);
  t.w_times_x = sum_lanes(w_times_x);
  t.x_top = x_top;
  t.w_top = w_top;
  add_synapses(t, f);
  if (!terms) return;
  // Each 32-bit lane adds four terms of 16 bits a block: it cannot overflow while K < 2^18.
  alignas(16) std::int32_t lanes[4];
  _mm_store_si128(reinterpret_cast<__m128i*>(lanes), term_sum);
  const std::int64_t sum = std::int64_t{lanes[0]} + lanes[1] + lanes[2] + lanes[3];
  add_terms(sum_lanes(term_moves) + std::uint64_t(AW_ - 16) * signs, sum, first, f);
}
template void MacroFeatures::sample_fused<false>(bool, std::uint64_t*);  // instantiated under the pragma
template void MacroFeatures::sample_fused<true>(bool, std::uint64_t*);
#pragma GCC pop_options
#endif

// The accumulator the terms add up to from the first beat of a neuron.
void MacroFeatures::add_terms(std::uint64_t term_transitions, std::int64_t sum, bool first, std::uint64_t* f) {
  const std::uint64_t acc = (std::uint64_t(first ? sum : acc_ + sum)) & term_mask_;
  f[f_term_transitions] += term_transitions;
  f[f_acc_transitions] += unsigned(std::popcount(acc ^ std::uint64_t(acc_)));
  acc_ = std::int64_t(acc);
}

std::array<double, kMacroTargets> MacroModel::predict(const std::vector<double>& sums) const {
  std::array<double, kMacroTargets> e{};
  for (std::size_t t = 0; t < kMacroTargets; ++t)
    for (std::size_t f = 0; f < sums.size() && f < coefficients[t].size(); ++f) e[t] += coefficients[t][f] * sums[f];
  return e;
}

std::string MacroModel::describe() const {
  return fmt::format("macro-model {} (validation on held-out images: total {:+.2f}%, per cycle {:.1f}%)", id(),
                     100 * validation.total_error, 100 * validation.cycle_error);
}

namespace {

// Gate-level kernel with timed activity and features on the same cycles.
struct GateRig {
  KernelHarness harness;
  KernelPorts ports;
  tech::ToggleCounter toggles;
  tech::TimedSampler timed;
  MacroFeatures features;
  const tech::Netlist& netlist;
  const tech::Library& library;

  GateRig(std::shared_ptr<const vmodel::LoadedModel> model, const KernelNetlist& kernel)
      : harness(std::move(model), kernel.params), ports(harness.instance(), kernel.params.kind),
        toggles(harness.instance(), kernel.netlist, "clk_i"),
        timed(kernel.netlist, *kernel.library, "clk_i", tech::TimedOptions{}, tech::ActivityMode{true, 1}, 1,
              std::max(1u, std::thread::hardware_concurrency())),
        features(ports, kernel.params), netlist(kernel.netlist), library(*kernel.library) {
    toggles.sample();
  }
};

// Per window of `window` cycles: the features' sums and the measured dynamic energy by target.
struct Measured {
  std::vector<std::vector<double>> features;
  std::vector<std::array<double, kMacroTargets>> energy;
  std::vector<std::size_t> source;  // index of the stream each window came from
  std::vector<std::uint64_t> cycles;  // of each window
};

constexpr double kPricingFrequency = 100e6;  // dynamic energy per cycle does not depend on it

void measure(GateRig& rig, const std::vector<models::Beat>& stream, std::size_t window, std::size_t source,
             models::KernelGolden& golden, Measured& into) {
  constexpr std::size_t kChunk = 64;  // windows a round: timed banks hold a count per net and batch
  tech::PowerOptions options;
  options.frequency = kPricingFrequency;
  for (std::size_t start = 0; start < stream.size(); start += kChunk * window) {
    const std::size_t end = std::min(stream.size(), start + kChunk * window);
    const std::size_t windows = (end - start + window - 1) / window;
    rig.toggles.use_banks(windows);
    rig.timed.use_banks(windows);
    rig.features.use_banks(windows);
    for (std::size_t c = start; c < end; ++c) {
      const std::size_t bank = (c - start) / window;
      rig.toggles.select_bank(bank);
      rig.timed.select_bank(bank);
      rig.features.select_bank(bank);
      if (!(rig.harness.step(stream[c]) == golden.step(stream[c])))
        throw Error(fmt::format("gate-level {} differs from the golden model while characterising its macro-model",
                                rig.harness.params().describe()));
      rig.toggles.sample();
      rig.timed.cycle(rig.toggles.previous_words().data(), rig.toggles.words().data());
      rig.features.sample();
    }
    for (std::size_t b = 0; b < windows; ++b) {
      const tech::Activity zero_delay = rig.toggles.activity(b);
      const tech::PowerReport p =
          tech::estimate_power(rig.netlist, rig.library, rig.timed.estimate(zero_delay, b), options);
      const double seconds = double(zero_delay.cycles) / kPricingFrequency;
      into.energy.push_back({p.sequential.internal * seconds, p.sequential.switching * seconds,
                             p.combinational.internal * seconds, p.combinational.switching * seconds,
                             p.clock.internal * seconds, p.clock.switching * seconds});
      into.features.push_back(rig.features.sums(b));
      into.source.push_back(source);
      into.cycles.push_back(zero_delay.cycles);
    }
  }
  if (rig.timed.mismatched_cycles())
    throw Error(fmt::format("timed replay of {} settled elsewhere than the zero-delay model (please report)",
                            rig.harness.params().describe()));
}

double total(const std::array<double, kMacroTargets>& e) {
  double s = 0;
  for (double v : e) s += v;
  return s;
}

// Ridge least squares on columns scaled to unit rms: scale-free, and a
// feature that never moves (or moves with another) gets a small coefficient
// instead of an unstable one.
std::array<std::vector<double>, kMacroTargets> fit(const Measured& m, std::size_t random_source) {
  // The random operands widen what the model has seen, but their statistics
  // are far from any network's: at full weight they bias the networks'
  // energy by up to 2.3% (mac K=16), at a tenth by 0.6%.
  constexpr double kRandomWeight = 0.1;
  const Eigen::Index n = Eigen::Index(m.features.size()), f = Eigen::Index(m.features.front().size());
  Eigen::MatrixXd X(n, f), Y(n, Eigen::Index(kMacroTargets));
  Eigen::VectorXd weight(n);
  for (Eigen::Index i = 0; i < n; ++i) {
    weight(i) = m.source[std::size_t(i)] == random_source ? kRandomWeight : 1.0;
    for (Eigen::Index j = 0; j < f; ++j) X(i, j) = m.features[std::size_t(i)][std::size_t(j)];
    for (Eigen::Index t = 0; t < Eigen::Index(kMacroTargets); ++t) Y(i, t) = m.energy[std::size_t(i)][std::size_t(t)];
  }
  Eigen::VectorXd scale = (X.colwise().squaredNorm() / double(n)).cwiseSqrt().transpose();
  for (Eigen::Index j = 0; j < f; ++j)
    if (scale(j) == 0) scale(j) = 1;
  const Eigen::MatrixXd Xs = X * scale.cwiseInverse().asDiagonal();
  constexpr double kRidge = 1e-6;  // relative to the unit-rms columns' n
  const Eigen::MatrixXd Xw = weight.asDiagonal() * Xs;
  Eigen::MatrixXd A = Xw.transpose() * Xs;
  A.diagonal().array() += kRidge * double(n);
  const Eigen::MatrixXd B = A.ldlt().solve(Xw.transpose() * Y);
  std::array<std::vector<double>, kMacroTargets> coefficients;
  for (std::size_t t = 0; t < kMacroTargets; ++t)
    for (Eigen::Index j = 0; j < f; ++j) coefficients[t].push_back(B(j, Eigen::Index(t)) / scale(j));
  return coefficients;
}

MacroValidation validate(const MacroModel& model, const Measured& m, const std::vector<std::string>& sources) {
  MacroValidation v;
  double measured = 0, predicted = 0, abs_error = 0, squared = 0, cycle_measured = 0;
  std::uint64_t single_cycles = 0, cycles = 0;
  std::vector<double> feature_energy(model.features.size(), 0.0);
  std::vector<std::pair<double, double>> by_source(sources.size(), {0.0, 0.0});
  for (std::size_t i = 0; i < m.energy.size(); ++i) {
    const double e = total(m.energy[i]), p = total(model.predict(m.features[i]));
    measured += e;
    predicted += p;
    cycles += m.cycles[i];
    if (m.cycles[i] == 1) {  // the per-cycle check
      ++single_cycles;
      cycle_measured += e;
      abs_error += std::abs(p - e);
      squared += (p - e) * (p - e);
    }
    by_source[m.source[i]].first += e;
    by_source[m.source[i]].second += p;
    for (std::size_t f = 0; f < feature_energy.size(); ++f)
      for (std::size_t t = 0; t < kMacroTargets; ++t) feature_energy[f] += model.coefficients[t][f] * m.features[i][f];
  }
  v.validation_cycles = cycles;
  v.cycle_checked = single_cycles;
  v.energy_per_cycle = measured / double(cycles);
  v.total_error = (predicted - measured) / measured;
  v.cycle_error = abs_error / cycle_measured;
  v.cycle_rms = std::sqrt(squared / double(single_cycles)) / (cycle_measured / double(single_cycles));
  for (double e : feature_energy) v.feature_share.push_back(e / predicted);
  for (std::size_t s = 0; s < sources.size(); ++s)
    if (by_source[s].first > 0)
      v.per_source.emplace_back(sources[s], (by_source[s].second - by_source[s].first) / by_source[s].first);
  return v;
}

// The beats a network gives one lane on images from `first` on, the lane
// turning with the image (image i: lane i mod lanes): every cycle of whole
// images (at least one per lane and kImages, or as many as give 2x the
// cycles wanted), then segments of kSegment consecutive cycles spread evenly
// over them up to `cycles`. A prefix of the stream would see only the first
// layers of a CNN's first image, and its mix of layers, timesteps and neuron
// boundaries would not be a whole inference's: fitted on it, the spiking CNN
// came out 7% high. One lane only would see one channel of every layer: lane
// 0 alone put the spiking CNN 8.9% below gate level over all lanes.
std::vector<models::Beat> record_stream(const models::Network& network, const models::KernelParams& params,
                                        const MacroStimulus& stimulus, std::size_t first, std::size_t cycles,
                                        const fs::path& cache_dir, const ProgressFn& progress) {
  constexpr std::size_t kImages = 8, kSpreadImages = 200, kSegment = 32;
  DatapathConfig config;
  config.lanes = stimulus.lanes;
  config.K = params.K;
  config.level = Level::rtl;
  Datapath datapath(network, config, cache_dir, progress);
  std::vector<models::Beat> beats;
  const std::size_t whole_images = std::max<std::size_t>(kImages, config.lanes);
  // Spreading over more images costs RTL time only, but a network whose lanes work a few cycles
  // an image (a mixed network's one mac layer) would need thousands: at most kSpreadImages for it.
  const auto more = [&](std::size_t image) {
    return image < first + whole_images || (beats.size() < 2 * cycles && image < first + kSpreadImages) ||
           beats.size() < cycles;
  };
  for (std::size_t image = first; more(image); ++image) {
    if (image >= stimulus.images->count) {
      if (beats.size() >= cycles) break;
      throw Error(fmt::format("{}: the training images give fewer than {} lane cycles", network.name, cycles));
    }
    datapath.record_lane(&beats, params.kind, static_cast<unsigned>((image - first) % config.lanes));
    datapath.run(stimulus.images->image(image));
  }
  datapath.record_lane(nullptr, params.kind);
  if (beats.size() <= cycles) return beats;
  if (beats.size() <= kSegment) {
    beats.resize(cycles);
    return beats;
  }
  std::vector<models::Beat> chosen;
  const std::size_t segments = (cycles + kSegment - 1) / kSegment;
  const double stride = double(beats.size() - kSegment) / double(std::max<std::size_t>(segments - 1, 1));
  for (std::size_t s = 0; s < segments && chosen.size() < cycles; ++s) {
    const std::size_t start = std::min(beats.size() - kSegment, std::size_t(double(s) * stride));
    for (std::size_t c = start; c < start + kSegment && chosen.size() < cycles; ++c) chosen.push_back(beats[c]);  // segments may overlap
  }
  return chosen;
}

std::string macro_key(const KernelNetlist& kernel, const MacroStimulus& stimulus) {
  base::Sha256 h;
  h.update("neuroppa macro-model").update(std::to_string(MacroModel::kVersion)).update(kernel.synthesis.key);
  h.update(std::to_string(stimulus.fit_cycles)).update(std::to_string(stimulus.random_cycles));
  h.update(std::to_string(stimulus.validation_cycles)).update(std::to_string(stimulus.lanes));
  h.update(std::to_string(stimulus.seed));
  for (const std::string& name : MacroFeatures::names()) h.update(name);
  for (const models::Network& n : stimulus.networks) h.update(models::network_hash(n));
  return h.hex();
}

nlohmann::json to_json(const MacroModel& m) {
  nlohmann::json j;
  j["version"] = MacroModel::kVersion;
  j["key"] = m.key;
  j["kernel"] = m.kernel;
  j["library"] = m.library;
  j["features"] = m.features;
  j["coefficients"] = m.coefficients;
  const auto parts = [](const tech::PowerParts& p) { return std::vector<double>{p.internal, p.switching, p.leakage}; };
  j["leakage"] = {parts(m.leakage_sequential), parts(m.leakage_combinational), parts(m.leakage_clock)};
  j["stimulus"] = m.stimulus;
  j["characterise_seconds"] = m.characterise_seconds;
  const MacroValidation& v = m.validation;
  j["validation"] = {{"fit_cycles", v.fit_cycles},         {"validation_cycles", v.validation_cycles},
                     {"energy_per_cycle", v.energy_per_cycle}, {"total_error", v.total_error},
                     {"cycle_error", v.cycle_error},       {"cycle_rms", v.cycle_rms}, {"cycle_checked", v.cycle_checked},
                     {"feature_share", v.feature_share},   {"per_source", v.per_source}};
  return j;
}

// Throws on anything missing or of the wrong type (nlohmann's exceptions).
MacroModel from_json(const nlohmann::json& j) {
  MacroModel m;
  if (j.at("version").get<int>() != MacroModel::kVersion) throw std::runtime_error("another version");
  m.key = j.at("key").get<std::string>();
  m.kernel = j.at("kernel").get<std::string>();
  m.library = j.at("library").get<std::string>();
  m.features = j.at("features").get<std::vector<std::string>>();
  m.coefficients = j.at("coefficients").get<std::array<std::vector<double>, kMacroTargets>>();
  for (const auto& c : m.coefficients)
    if (c.size() != m.features.size()) throw std::runtime_error("coefficients do not match the features");
  const auto leak = j.at("leakage").get<std::vector<std::vector<double>>>();
  if (leak.size() != 3 || leak[0].size() != 3 || leak[1].size() != 3 || leak[2].size() != 3)
    throw std::runtime_error("leakage");
  m.leakage_sequential = {leak[0][0], leak[0][1], leak[0][2]};
  m.leakage_combinational = {leak[1][0], leak[1][1], leak[1][2]};
  m.leakage_clock = {leak[2][0], leak[2][1], leak[2][2]};
  m.stimulus = j.at("stimulus").get<std::string>();
  m.characterise_seconds = j.at("characterise_seconds").get<double>();
  const auto& v = j.at("validation");
  m.validation.fit_cycles = v.at("fit_cycles").get<std::uint64_t>();
  m.validation.validation_cycles = v.at("validation_cycles").get<std::uint64_t>();
  m.validation.energy_per_cycle = v.at("energy_per_cycle").get<double>();
  m.validation.total_error = v.at("total_error").get<double>();
  m.validation.cycle_error = v.at("cycle_error").get<double>();
  m.validation.cycle_rms = v.at("cycle_rms").get<double>();
  m.validation.cycle_checked = v.at("cycle_checked").get<std::uint64_t>();
  m.validation.feature_share = v.at("feature_share").get<std::vector<double>>();
  m.validation.per_source = v.at("per_source").get<std::vector<std::pair<std::string, double>>>();
  if (m.validation.feature_share.size() != m.features.size()) throw std::runtime_error("feature shares");
  return m;
}

MacroModel characterise(const KernelNetlist& kernel, const MacroStimulus& stimulus, const std::string& key,
                        const fs::path& cache_dir, const ProgressFn& progress) {
  const auto started = std::chrono::steady_clock::now();
  const models::KernelParams& params = kernel.params;
  const auto say = [&](const std::string& text) {
    if (progress) progress(text + "\n");
  };
  say(fmt::format("macro-model: characterising {} on {} (timed gate-level replays)", params.describe(),
                  kernel.library->name));
  MacroModel model;
  model.key = key;
  model.kernel = params.describe();
  model.library = kernel.library->name;
  model.features = MacroFeatures::names();

  vmodel::ModelCache cache(cache_dir, progress);
  GateRig rig(cache.load(kernel_gate_spec(kernel, true)), kernel);
  models::KernelGolden golden(params);
  // Cycles a fitted window sums (validated per cycle). NEUROPPA_MACRO_DUMP=FILE:
  // every cycle with its features, energy and operands as CSV, for studying features.
  const char* dump = std::getenv("NEUROPPA_MACRO_DUMP");
  // Power is estimated once a window (5 ms for mac K=16): 8 cycles a fitted
  // window, the check cycle by cycle on its first cycles, then by windows.
  const std::size_t kFitWindow = dump ? 1 : 8;
  const std::size_t kCycleChecked = 600;  // per network
  std::vector<models::Beat> fit_beats, check_beats;
  constexpr std::size_t kHeldOut = 30000;  // validation images start here (the fit's start at 0)
  Measured fitted, held_out;
  std::vector<std::string> sources;
  const std::size_t nets = stimulus.networks.size();
  for (std::size_t i = 0; i < nets; ++i) {
    const models::Network& net = stimulus.networks[i];
    sources.push_back(net.name);
    const auto fit_stream = record_stream(net, params, stimulus, 0, stimulus.fit_cycles / std::max<std::size_t>(nets, 1),
                                          cache_dir, progress);
    measure(rig, fit_stream, kFitWindow, i, golden, fitted);
    if (dump) fit_beats.insert(fit_beats.end(), fit_stream.begin(), fit_stream.end());
    const auto check_stream = record_stream(net, params, stimulus, kHeldOut,
                                            stimulus.validation_cycles / std::max<std::size_t>(nets, 1), cache_dir, progress);
    const std::size_t single = std::min(kCycleChecked, check_stream.size());
    measure(rig, {check_stream.begin(), check_stream.begin() + std::ptrdiff_t(single)}, 1, i, golden, held_out);
    measure(rig, {check_stream.begin() + std::ptrdiff_t(single), check_stream.end()}, dump ? 1 : kFitWindow, i, golden,
            held_out);
    if (dump) check_beats.insert(check_beats.end(), check_stream.begin(), check_stream.end());
  }
  if (stimulus.random_cycles) {
    sources.push_back("seeded random operands");
    models::OperandStream random_operands(params, {}, stimulus.seed);
    std::vector<models::Beat> stream;
    for (std::size_t c = 0; c < stimulus.random_cycles; ++c) stream.push_back(random_operands.next());
    measure(rig, stream, kFitWindow, sources.size() - 1, golden, fitted);
    if (dump) fit_beats.insert(fit_beats.end(), stream.begin(), stream.end());
  }
  if (dump) {
    std::ofstream out(dump);
    const auto rows = [&](const char* set, const Measured& m, const std::vector<models::Beat>& beats) {
      for (std::size_t i = 0; i < m.features.size(); ++i) {
        out << set << ',' << m.source[i] << ',' << total(m.energy[i]);
        for (double f : m.features[i]) out << ',' << f;
        out << ',' << beats[i].first << ',' << beats[i].last << ',' << beats[i].bias;
        for (auto x : beats[i].x) out << ',' << x;
        for (auto w : beats[i].w) out << ',' << w;
        out << '\n';
      }
    };
    rows("fit", fitted, fit_beats);
    rows("check", held_out, check_beats);
  }
  if (nets == 0 && stimulus.validation_cycles) {  // no network: checked on random operands of another seed
    sources.push_back("seeded random operands, another seed");
    models::OperandStream other(params, {}, stimulus.seed + 1);
    std::vector<models::Beat> stream;
    for (std::size_t c = 0; c < stimulus.validation_cycles; ++c) stream.push_back(other.next());
    const std::size_t single = std::min(kCycleChecked, stream.size());
    measure(rig, {stream.begin(), stream.begin() + std::ptrdiff_t(single)}, 1, sources.size() - 1, golden, held_out);
    measure(rig, {stream.begin() + std::ptrdiff_t(single), stream.end()}, kFitWindow, sources.size() - 1, golden,
            held_out);
  }
  if (fitted.features.empty() || held_out.features.empty())
    throw Error(fmt::format("macro-model of {}: no stimulus to fit and check it on", params.describe()));
  // Random operands weigh a tenth beside networks' streams, fully without them.
  model.coefficients = fit(fitted, nets && stimulus.random_cycles ? nets : sources.size());
  model.validation = validate(model, held_out, sources);
  model.validation.fit_cycles = 0;
  for (const std::uint64_t c : fitted.cycles) model.validation.fit_cycles += c;

  // Leakage per lane: the library's state-dependent leakage at the duties of the fitted run.
  tech::PowerOptions options;
  options.frequency = kPricingFrequency;
  rig.toggles.use_banks(1);
  rig.toggles.sample();
  const tech::PowerReport idle = tech::estimate_power(rig.netlist, rig.library, rig.toggles.activity(0), options);
  model.leakage_sequential = {0, 0, idle.sequential.leakage};
  model.leakage_combinational = {0, 0, idle.combinational.leakage};
  model.leakage_clock = {0, 0, idle.clock.leakage};
  std::string names;
  for (const auto& n : stimulus.networks) names += (names.empty() ? "" : ", ") + n.name;
  model.stimulus =
      names.empty()
          ? fmt::format("{} cycles of seeded random operands (weight 1); checked on {} of another seed",
                        stimulus.random_cycles, stimulus.validation_cycles)
          : fmt::format("each lane of {} in turn: {} cycles of {} (training images from 0), {} of seeded random operands "
                        "(weight 0.1); checked on {} cycles from training images {} on",
                        stimulus.lanes, stimulus.fit_cycles, names, stimulus.random_cycles, stimulus.validation_cycles,
                        kHeldOut);
  model.characterise_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  say(fmt::format("macro-model: {} fitted in {:.0f} s; {}", params.describe(), model.characterise_seconds,
                  model.describe()));
  return model;
}

}  // namespace

std::shared_ptr<const MacroModel> macro_model(const models::KernelParams& params, const tech::Library& library,
                                              const MacroStimulus& stimulus, const fs::path& cache_dir,
                                              const ProgressFn& progress, const ProgressFn& notice) {
  if (!stimulus.images && !stimulus.networks.empty()) throw Error("macro-model: networks given without images");
  for (const models::Network& n : stimulus.networks)
    for (const models::Layer& l : n.layers)
      if (l.computes() && l.kind == params.kind && n.kernel_params(l, params.K) != params)
        throw Error(fmt::format("macro-model of {}: {} has another kernel ({})", params.describe(), n.name,
                                n.kernel_params(l, params.K).describe()));
  const KernelNetlist kernel = synthesize_kernel(params, library, cache_dir, progress);
  const std::string key = macro_key(kernel, stimulus);
  const base::ContentStore store(cache_dir);
  const fs::path file = store.path("macro", key) / "macro-model.json";
  const auto read_model = [&] {
    std::ifstream in(file);
    return std::make_shared<const MacroModel>(from_json(nlohmann::json::parse(in)));
  };
  if (fs::exists(file)) {
    try {
      return read_model();
    } catch (const std::exception& e) {
      if (notice)
        notice(fmt::format("macro-model {}: the cached file {} is unreadable ({}); refitting\n", key.substr(0, 12),
                           file.string(), e.what()));
      fs::remove_all(file.parent_path());
    }
  }
  std::optional<MacroModel> made;
  store.get_or_build("macro", key, [&](const base::ContentStore::BuildContext& ctx) {
    made = characterise(kernel, stimulus, key, cache_dir, progress);
    std::ofstream out(ctx.dir / "macro-model.json");
    out << to_json(*made).dump(1) << "\n";
    if (!out) throw Error(fmt::format("cannot write {}", (ctx.dir / "macro-model.json").string()));
  });
  if (made) return std::make_shared<const MacroModel>(std::move(*made));
  return read_model();  // another process fitted it while this one waited on the lock
}

}  // namespace neuroppa::sim
