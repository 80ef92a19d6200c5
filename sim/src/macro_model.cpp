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

// Byte operands (fields of at most 8 bits, zero-padded to a multiple of 16):
// synapses changed, sum over synapses of ones(dx) * ones(w) and ones(dw) *
// ones(x), and the operands' ones, transitions and top-bit transitions (the
// top bit of a field `bits` wide is bit bits - 1 of its byte). SSSE3: ones
// per byte by nibble table (pshufb), the products summed by pmaddubsw, the
// counts by psadbw; a scalar loop where the processor lacks it.
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

__attribute__((target("ssse3"))) inline std::uint64_t sum_bytes(__m128i v) {
  const __m128i sums = _mm_sad_epu8(v, _mm_setzero_si128());
  return std::uint64_t(_mm_cvtsi128_si64(sums)) + std::uint64_t(_mm_extract_epi16(sums, 4));
}

__attribute__((target("ssse3,popcnt"))) SynapseTally tally_bytes_ssse3(const std::uint8_t* x, const std::uint8_t* xb,
                                                                   unsigned x_bits, const std::uint8_t* w,
                                                                   const std::uint8_t* wb, unsigned w_bits,
                                                                   std::size_t n) {
  const __m128i one16 = _mm_set1_epi16(1), zero = _mm_setzero_si128();
  const __m128i x_top_shift = _mm_cvtsi32_si128(int(8 - x_bits)), w_top_shift = _mm_cvtsi32_si128(int(8 - w_bits));
  SynapseTally t;
  __m128i products = zero, others = zero;
  for (std::size_t i = 0; i < n; i += 16) {
    const __m128i X = _mm_loadu_si128(reinterpret_cast<const __m128i*>(x + i));
    const __m128i W = _mm_loadu_si128(reinterpret_cast<const __m128i*>(w + i));
    const __m128i DX = _mm_xor_si128(X, _mm_loadu_si128(reinterpret_cast<const __m128i*>(xb + i)));
    const __m128i DW = _mm_xor_si128(W, _mm_loadu_si128(reinterpret_cast<const __m128i*>(wb + i)));
    const int same = _mm_movemask_epi8(_mm_cmpeq_epi8(_mm_or_si128(DX, DW), zero));
    t.changed += 16 - unsigned(__builtin_popcount(unsigned(same)));
    const __m128i ones_x = byte_ones(X), ones_w = byte_ones(W), ones_dx = byte_ones(DX), ones_dw = byte_ones(DW);
    // Ones are at most 8: the unsigned x signed byte products fit, pairs add in 16 bits.
    products = _mm_add_epi32(products, _mm_madd_epi16(_mm_maddubs_epi16(ones_dx, ones_w), one16));
    others = _mm_add_epi32(others, _mm_madd_epi16(_mm_maddubs_epi16(ones_dw, ones_x), one16));
    t.x_ones += sum_bytes(ones_x);
    t.w_ones += sum_bytes(ones_w);
    t.x_transitions += sum_bytes(ones_dx);
    t.w_transitions += sum_bytes(ones_dw);
    // A 16-bit left shift moves each byte's top field bit to bit 7 of that byte.
    t.x_top += unsigned(__builtin_popcount(unsigned(_mm_movemask_epi8(_mm_sll_epi16(DX, x_top_shift)))));
    t.w_top += unsigned(__builtin_popcount(unsigned(_mm_movemask_epi8(_mm_sll_epi16(DW, w_top_shift)))));
  }
  alignas(16) std::int32_t lanes[4];
  _mm_store_si128(reinterpret_cast<__m128i*>(lanes), products);
  t.x_times_w = std::uint64_t(lanes[0] + lanes[1] + lanes[2] + lanes[3]);
  _mm_store_si128(reinterpret_cast<__m128i*>(lanes), others);
  t.w_times_x = std::uint64_t(lanes[0] + lanes[1] + lanes[2] + lanes[3]);
  return t;
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

}  // namespace

MacroFeatures::MacroFeatures(const KernelPorts& ports, const models::KernelParams& params)
    : ports_(&ports), K_(params.K), x_bits_(params.activation_bits()), w_bits_(params.code_bits()) {
  // +1 word: fields may straddle; at least K rounded up to 16 bytes: byte
  // operands are read 16 at a time, the padding zero.
  const std::size_t padded = (K_ + 15) / 16 * 4;
  x_.assign(std::max<std::size_t>(ports.x_i.words() + 1, padded), 0);
  w_.assign(std::max<std::size_t>(ports.w_i.words() + 1, padded), 0);
  if (x_bits_ <= 8 && w_bits_ <= 8) {
    x_bytes_.assign(padded * 4, 0);
    w_bytes_.assign(padded * 4, 0);
    x_bytes_before_ = x_bytes_;
    w_bytes_before_ = w_bytes_;
  }
  x_before_ = x_;
  w_before_ = w_;
  x_top_ = top_bits(K_, x_bits_, x_.size());
  // Operands too wide for a table: the two term features stay 0.
  narrow_terms_ = narrow_terms(params);
  if (!narrow_terms_) terms_ = models::term_table(params);
  term_mask_ = params.AW >= 64 ? ~std::uint64_t{0} : (std::uint64_t{1} << params.AW) - 1;
  terms_before_.assign(K_, 0);
  AW_ = params.AW;
  if (narrow_terms_ && !x_bytes_.empty() && AW_ >= 16) {
    narrow_now_.assign((K_ + 7) / 8 * 8, 0);
    narrow_before_.assign(narrow_now_.size(), 0);
    // Row 0 of the activation-major table: the terms of a zero activation. Spikes
    // (graded or not) are sparse; 8-bit activations are not enough so: a ReLU
    // layer's zeros fall at random, and the branches the sparse loop takes cost
    // more than the lookups it saves (mac-mlp 1.62x rtl with it, 1.49x without).
    zero_activation_zero_term_ = x_bits_ < 8 && std::all_of(narrow_terms_, narrow_terms_ + (std::size_t{1} << w_bits_),
                                             [](std::int16_t t) { return t == 0; });
  }
  w_top_ = top_bits(K_, w_bits_, w_.size());
  const auto add_port = [&](const vmodel::Port& port, PortGroup group) {
    if (!port.width()) return;  // the kind has no such port
    if (port.width() > 64) throw std::logic_error("macro features: a control or state port wider than 64 bits");
    const unsigned size = port.width() <= 8 ? 0 : port.width() <= 16 ? 1 : port.width() <= 32 ? 2 : 3;  // Verilator's
    ports_by_size_[size].push_back({port.data(), group});
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
// 16-bit array (padded to a multiple of 8 with zeros, as `before` is); SSSE3
// counts and sums eight at a time.
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

#if defined(__x86_64__)
__attribute__((target("ssse3,popcnt"))) TermTally tally_terms_ssse3(const std::int16_t* terms, std::int16_t* before,
                                                                 std::size_t padded, unsigned AW) {
  TermTally t;
  __m128i sums = _mm_setzero_si128();
  const __m128i one16 = _mm_set1_epi16(1);
  std::uint64_t ones = 0;
  unsigned signs = 0;
  for (std::size_t k = 0; k < padded; k += 8) {
    const __m128i T = _mm_loadu_si128(reinterpret_cast<const __m128i*>(terms + k));
    const __m128i D = _mm_xor_si128(T, _mm_loadu_si128(reinterpret_cast<const __m128i*>(before + k)));
    _mm_storeu_si128(reinterpret_cast<__m128i*>(before + k), T);
    ones += sum_bytes(byte_ones(D));
    signs += unsigned(__builtin_popcount(unsigned(_mm_movemask_epi8(D)) & 0xaaaau));  // a lane's high byte
    sums = _mm_add_epi32(sums, _mm_madd_epi16(T, one16));
  }
  alignas(16) std::int32_t lanes[4];
  _mm_store_si128(reinterpret_cast<__m128i*>(lanes), sums);
  t.sum = std::int64_t{lanes[0]} + lanes[1] + lanes[2] + lanes[3];
  t.transitions = ones + std::uint64_t(AW - 16) * signs;
  return t;
}
#endif

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

// K fields `bits` (< 8) wide of packed words, a byte each. Everything in
// locals: a byte store may alias anything, and with members the compiler
// reloaded them after every field (20 instructions a field, now about 7).
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
  const std::uint64_t mask = (std::uint64_t{1} << bits) - 1;
  std::uint64_t buffer = 0;
  unsigned have = 0;
  for (unsigned k = 0; k < K; ++k) {
    if (have < bits) {
      buffer |= std::uint64_t{*words++} << have;
      have += 32;
    }
    out[k] = std::uint8_t(buffer & mask);
    buffer >>= bits;
    have -= bits;
  }
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

}  // namespace

// A popcount instruction where the processor has one (chosen when the
// program loads); the build itself assumes none.
__attribute__((target_clones("popcnt", "default"))) void MacroFeatures::sample() {
  const KernelPorts& p = *ports_;
  std::uint64_t* f = sums_[bank_].data();
  // The ports' transitions by group, every port of at most 64 bits read by its size.
  // A loop per storage size (no switch per port: a third of the features' instructions went there).
  std::array<unsigned, kPortGroups> moved{};
  std::uint64_t* before = scalar_before_.data();
  const auto tally = [&]<typename T>(const std::vector<ScalarPort>& ports, T) {
    for (const ScalarPort& port : ports) {
      const std::uint64_t v = *static_cast<const T*>(port.data);
      moved[port.group] += unsigned(std::popcount(v ^ *before));
      *before++ = v;
    }
  };
  tally(ports_by_size_[0], std::uint8_t{});
  tally(ports_by_size_[1], std::uint16_t{});
  tally(ports_by_size_[2], std::uint32_t{});
  tally(ports_by_size_[3], std::uint64_t{});
  const bool first = value(p.first_i) != 0;
  f[f_cycle] += 1;
  f[f_first] += first;
  f[f_last] += value(p.last_i);
  f[f_handshake] += moved[port_handshake];
  f[f_control] += moved[port_control];
  f[f_state_in] += moved[port_state_in];
  // The registers this edge wrote switch in the next cycle's replay.
  f[f_output] += out_lag_;
  out_lag_ = moved[port_output];
  f[f_state_out] += state_out_lag_;
  state_out_lag_ = moved[port_state_out];

  read_words(p.x_i, x_.data());
  read_words(p.w_i, w_.data());
  SynapseTally t;
  if (!x_bytes_.empty()) {  // byte operands
    const auto* x = reinterpret_cast<const std::uint8_t*>(x_.data());
    const auto* w = reinterpret_cast<const std::uint8_t*>(w_.data());
    const auto* xb = reinterpret_cast<const std::uint8_t*>(x_before_.data());
    const auto* wb = reinterpret_cast<const std::uint8_t*>(w_before_.data());
    if (x_bits_ != 8) {  // one byte a field
      unpack_to_bytes(x_.data(), x_bits_, K_, x_bytes_.data());
      x = x_bytes_.data();
      xb = x_bytes_before_.data();
    }
    if (w_bits_ != 8) {
      unpack_to_bytes(w_.data(), w_bits_, K_, w_bytes_.data());
      w = w_bytes_.data();
      wb = w_bytes_before_.data();
    }
    if (!narrow_before_.empty()) {
      if (zero_activation_zero_term_)
        gather_sparse_terms(x, w, w_bits_, narrow_terms_, K_, narrow_now_.data(), narrow_now_.size());
      else
        gather_terms(x, w, w_bits_, narrow_terms_, K_, narrow_now_.data());
#if defined(__x86_64__)
      const TermTally terms =
          has_ssse3() ? tally_terms_ssse3(narrow_now_.data(), narrow_before_.data(), narrow_now_.size(), AW_)
                      : tally_terms_scalar(narrow_now_.data(), narrow_before_.data(), narrow_now_.size(), AW_);
#else
      const TermTally terms = tally_terms_scalar(narrow_now_.data(), narrow_before_.data(), narrow_now_.size(), AW_);
#endif
      add_terms(terms.transitions, terms.sum, first, f);
    }
    const std::size_t n = x_bytes_.size();
#if defined(__x86_64__)
    t = has_ssse3() ? tally_bytes_ssse3(x, xb, x_bits_, w, wb, w_bits_, n)
                    : tally_bytes_scalar(x, xb, x_bits_, w, wb, w_bits_, n);
#else
    t = tally_bytes_scalar(x, xb, x_bits_, w, wb, w_bits_, n);
#endif
    if (x_bits_ != 8) x_bytes_.swap(x_bytes_before_);
    if (w_bits_ != 8) w_bytes_.swap(w_bytes_before_);
  } else {
    t = tally_wide_synapses(x_.data(), x_before_.data(), x_bits_, w_.data(), w_before_.data(), w_bits_, K_);
    tally_words(x_, x_before_, x_top_, t.x_ones, t.x_transitions, t.x_top);
    tally_words(w_, w_before_, w_top_, t.w_ones, t.w_transitions, t.w_top);
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
  x_before_.swap(x_);
  w_before_.swap(w_);
}

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
