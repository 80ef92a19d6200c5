// Bit-exact golden models of the four neuron kernels (DESIGN.md, "The neuron
// designs it compares"). These definitions are the contract with rtl/ and the
// tests: a change here is a change to the RTL and the tests in one commit.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace neuroppa::models {

// A neuron kind: a handle of a kind registered at run time (register_kind).
// Every kind is a kernel package (docs/kernel-packages.md): the built-in ones
// (mac, shift, threshold, spike, kernels/packages/) are registered first, in
// that order, when a kind is first asked for, then the user's. models/ knows
// nothing of any kind but what its package registered (its widths, ranges,
// golden term, corner codes, trainer). KernelKind{} is the first registered
// kind: mac, the baseline.
enum class KernelKind : std::uint16_t {};

std::string_view to_string(KernelKind kind);
std::optional<KernelKind> parse_kernel_kind(std::string_view name);
// The kind registered as `name`; std::logic_error if there is none (for names
// the code itself gives, e.g. the baseline "mac"; a user's names go through
// parse_kernel_kind).
KernelKind kind_named(std::string_view name);
// Every registered kind in registration order: the built-ins first.
std::vector<KernelKind> all_kernel_kinds();
// The kinds shipped with neuroppa (kernels/packages/), in their order.
std::vector<KernelKind> builtin_kernel_kinds();

// Who registers the built-in kinds: kernels/ sets it (a static initializer of
// its catalogue) and models/ calls it once, when a kind is first asked for.
using BuiltinKindLoader = void (*)();
void set_builtin_kind_loader(BuiltinKindLoader loader);

// How a kernel adds the K terms of a beat (its micro-architecture; every
// arch computes the same function, so the golden models ignore it):
//   chain:     a serial chain of AW-bit adders (the baseline);
//   tree:      a balanced adder tree of minimal widths, sign-extended once;
//   csa:       carry-save compression of all terms, one carry-propagate adder;
//   booth_csa: mac only: radix-4 Booth partial products compressed as in csa;
//   shift_add: sigma-delta only: the weight shifted once per set bit of the
//              graded spike's magnitude (negated for a negative spike),
//              compressed as in csa.
// All but chain also isolate the output stage (its operands held at zero
// except on the beat whose result is kept). The values are the RTL's
// np_pkg::ArchChain, ArchTree, ArchCsa, ArchBoothCsa, ArchShiftAdd.
enum class KernelArch { chain = 0, tree = 1, csa = 2, booth_csa = 3, shift_add = 4 };
inline constexpr KernelArch kAllKernelArchs[] = {KernelArch::chain, KernelArch::tree, KernelArch::csa,
                                                 KernelArch::booth_csa, KernelArch::shift_add};
std::string_view to_string(KernelArch arch);
std::optional<KernelArch> parse_kernel_arch(std::string_view name);
// Whether `kind` can be built as `arch` (Booth recodes a multiplier: mac only).
bool arch_exists(KernelKind kind, KernelArch arch);
// The arch a kind is built as unless told otherwise: the one with the lowest
// timed energy per synapse operation at K = 9 that meets the clock, on
// osu018 and SKY130 (README.md, "Micro-architectures", has the table that
// decided it).
KernelArch default_arch(KernelKind kind);

// How every register of a kernel is cleared by rst_ni (RTL parameter
// SYNC_RESET): asynchronously (flops with a reset pin) or synchronously
// (logic in front of plain flops, for libraries without reset flops).
enum class ResetStyle { async = 0, sync = 1 };
inline constexpr ResetStyle kAllResetStyles[] = {ResetStyle::async, ResetStyle::sync};
std::string_view to_string(ResetStyle reset);
std::optional<ResetStyle> parse_reset_style(std::string_view name);

struct KernelParams;

// A kernel package may have parameters of its own besides XW and WW (the
// bits of a graded spike, a shift): at most this many.
inline constexpr unsigned kMaxOwnParameters = 4;
using OwnValues = std::array<unsigned, kMaxOwnParameters>;

struct OwnParameter {
  std::string name;
  unsigned min = 0, max = 0, default_value = 0;
};

// Corner-case weight codes a kind's stimulus uses (ABI v3's np_corner_code):
// the codes of the largest and most negative term at the largest activation,
// two codes whose term is zero for every activation (the second with a sign
// bit set where codes have one), and "edge" codes whose term starts (low) or
// stops (high) changing at the ends of the activation range, such as a
// threshold at 0 or at its maximum.
enum class CornerCode : std::uint32_t {
  most_positive = 0,
  most_negative = 1,
  zero = 2,
  zero_other = 3,
  edge_low_positive = 4,
  edge_low_negative = 5,
  edge_high_positive = 6,
  edge_high_negative = 7,
};

struct Beat;
struct KernelOutputs;

// What a kernel does with its accumulator at the end of a timestep (its
// package's kernel.backend):
//   output_stage: y = saturate_XW(max(0, acc + bias) >> shift) (mac, shift, threshold);
//   membrane:     integrate-and-fire, 1-bit spikes in and out, v in and out (spike);
//   sigma_delta:  graded spikes of XW bits in and out; sigma, the last
//                 activation and the residue in and out (sigma_delta_update).
enum class Backend { output_stage, membrane, sigma_delta };
std::string_view to_string(Backend backend);

// A kind's own cycle-level model (a whole-kernel package's np_kernel_step):
// its registers and one clock edge, without pipeline latency.
class KernelStepper {
 public:
  virtual ~KernelStepper() = default;
  virtual void reset() = 0;
  virtual KernelOutputs step(const Beat& beat) = 0;
};

// A kind as its kernel package describes it (docs/kernel-packages.md): a
// synapse or whole-kernel RTL with the output-stage or the membrane back
// end. Its term is a function the package's golden model gives; what models/
// needs besides (the accumulator width, corner-case codes for stimulus) is
// derived from it where the golden model does not give it.
struct RegisteredKind {
  std::string name;
  unsigned xw_min = 1, xw_max = 16;  // the package's XW range
  unsigned default_xw = 8;           // and its default
  unsigned ww_min = 0, ww_max = 0;   // its WW range; 0..0: it has no WW
  unsigned default_ww = 0;
  std::vector<OwnParameter> own;  // its parameters beyond XW and WW, in manifest order
  // Bits of one weight code for these parameters (the manifest's widths.code).
  std::function<unsigned(unsigned XW, unsigned WW, const OwnValues& own)> code_bits;
  // The exact term of one synapse (x: XW bits, code: code bits).
  std::function<std::int64_t(const KernelParams&, std::uint32_t x, std::uint32_t code)> term;
  // The least and greatest term over every x and code, if the golden model
  // gives them; otherwise models/ enumerates them (at most 2^24 pairs).
  std::function<std::optional<std::pair<std::int64_t, std::int64_t>>(const KernelParams&)> term_bounds;
  std::vector<KernelArch> archs;  // the micro-architectures it can be built as
  KernelArch default_arch = KernelArch::tree;
  // The golden model's corner code `which`, if it gives one (else models/
  // derives the first four from the term and has no edge codes).
  std::function<std::optional<std::uint32_t>(const KernelParams&, CornerCode which)> corner_code;
  // The kind's own cycle-level model for these parameters, or nullptr: the
  // term reduced, accumulated (wrapping) and handed to the back end.
  std::function<std::unique_ptr<KernelStepper>(const KernelParams&)> stepper;
  std::string trainer;  // the manifest's kernel.trainer (train_network checks it)
  Backend backend = Backend::output_stage;
  bool builtin = false;   // shipped with neuroppa (kernels/packages/)
  bool code_is_ww = false;  // widths.code is "WW": a network's code width is its WW
};

// Registers a kind and returns its handle; a name already taken throws
// std::logic_error (the catalogue refuses clashes before this).
KernelKind register_kind(RegisteredKind kind);
// The registered kind behind `kind`; std::logic_error if it is not one.
const RegisteredKind& registered_kind(KernelKind kind);
// Whether `value` (read from a file) is a registered kind.
bool is_kernel_kind(std::uint32_t value);
// The own parameters in force: each set one, else its package's default (0
// past the package's count).
OwnValues own_values(const KernelParams& params);

// A kind's least and greatest term for these parameters (from the golden
// model's bounds, or by trying every activation and code).
std::pair<std::int64_t, std::int64_t> term_range(const KernelParams& params);

// Width of the output-shift operand of the mac/shift/threshold output stage.
inline constexpr unsigned kShiftBits = 6;
inline constexpr unsigned kMaxK = 1024;
inline constexpr unsigned kMaxXW = 16;
inline constexpr unsigned kMaxWW = 16;
inline constexpr unsigned kMaxAW = 64;
inline constexpr unsigned kMaxPipeline = 1;

struct KernelParams {
  KernelKind kind{};  // mac unless set
  unsigned K = 9;    // synapses per beat
  unsigned XW = 8;   // activation bits (unused by spike: its inputs are 1-bit spikes)
  unsigned WW = 8;   // weight-code bits (unused by threshold: its code is 1 + XW bits)
  unsigned AW = 32;  // accumulator bits, two's complement, wraps
  KernelArch arch = KernelArch::chain;
  ResetStyle reset = ResetStyle::async;
  // Pipeline registers between the synapse datapath and the accumulator
  // (0 or 1, RTL parameter PIPELINE): each adds a cycle of latency, which
  // the golden model adds too.
  unsigned pipeline = 0;
  // A package kind's own parameters, in its manifest's order; unset: the
  // package's default (own_values gives what is in force).
  std::array<std::optional<unsigned>, kMaxOwnParameters> own{};

  // Bits of one activation as the kernel sees it: XW, or 1 with the membrane back end.
  unsigned activation_bits() const;
  // Bits of one synapse's weight code (its package's widths.code: WW, or XW + 1 for threshold).
  unsigned code_bits() const;
  // Accumulator bits needed to hold K terms of either sign without wrapping.
  unsigned required_accumulator_bits() const;
  // Compact identifier, e.g. "mac K=9 XW=8 WW=8 AW=32" (unused widths
  // omitted; " arch=tree" appended unless chain, " reset=sync" unless async,
  // " pipeline=1" unless 0).
  std::string describe() const;

  bool operator==(const KernelParams&) const = default;
};

// Weight-code bits of a kind at its package's default WW (e.g. 8-bit integers
// for mac and spike, 4-bit {sign, 3-bit exponent} codes for shift, XW + 1 for
// threshold).
unsigned default_code_bits(KernelKind kind, unsigned XW);
// The WW a kind is built with unless told: its package's default WW (0 if it
// has none).
unsigned default_ww(KernelKind kind, unsigned XW);
// The XW a kind is designed for: its package's default XW (8 for mac, shift
// and threshold; 4-bit graded spikes for sigma-delta; 8, unused, for spike).
unsigned default_xw(KernelKind kind);

// Whether a kind keeps a membrane potential (v in, v out, spike out: the
// integrate-and-fire end of timestep) instead of the output stage
// (y = saturate(max(0, acc + bias) >> shift)); its inputs are then 1-bit spikes.
bool has_membrane(KernelKind kind);
// Whether a kind is a sigma-delta neuron (Backend::sigma_delta): signed
// XW-bit graded spikes in and out, its state (sigma, act, residue) in and out.
bool has_sigma_delta(KernelKind kind);
Backend backend_of(KernelKind kind);

// Corner-case weight codes of a kind, for stimulus: the code whose term is
// largest (positive) or most negative for a given activation, and a code
// whose term is zero whatever the activation (`negative`: its sign bit set,
// where the code has one).
std::uint32_t extreme_code(const KernelParams& params, bool positive);
std::uint32_t zero_code(const KernelParams& params, bool negative);
// An edge code (CornerCode::edge_*) if the kind's golden model gives one.
std::optional<std::uint32_t> edge_code(const KernelParams& params, bool high, bool negative);

// nullopt if the parameters are valid, else one line naming the parameter.
std::optional<std::string> validate(const KernelParams& params);

// Sign-extends the low `bits` bits of `value` (two's-complement wrap).
std::int64_t wrap_signed(std::uint64_t value, unsigned bits);

// The exact (unwrapped) term one synapse adds: x is an activation of
// activation_bits(), code a weight code of code_bits().
std::int64_t synapse_term(const KernelParams& params, std::uint32_t x, std::uint32_t code);

// A kind's term for every activation and code, indexed
// (code << activation_bits()) | x, when there are at most 2^18 pairs: asked of
// the golden model once per kind and parameters, then a lookup instead of a
// call into it (the golden term is a pure function). nullptr for wider
// operands or invalid parameters.
const std::int64_t* term_table(const KernelParams& params);

// mac/shift/threshold output stage: saturate_XW(max(0, acc + bias) >> shift),
// with acc + bias wrapped at AW bits and shift >= AW giving 0.
std::uint32_t output_stage(const KernelParams& params, std::int64_t acc, std::int64_t bias,
                           unsigned shift);

struct SpikeUpdate {
  bool spike;
  std::int64_t v;
};
// spike end-of-timestep: v = v + acc + bias; fire if v >= vth, then v -= vth.
SpikeUpdate spike_update(const KernelParams& params, std::int64_t v, std::int64_t acc,
                         std::int64_t bias, std::int64_t vth);

// sigma-delta end of timestep (Lava's SigmaDelta with a B-bit payload, B = XW;
// every sum wraps at AW bits, comparisons signed):
//   sigma' = sigma + acc;  act' = max(0, sigma' + bias);
//   delta  = act' - act + residue;
//   s      = |delta| >= vth (delta >= vth or delta <= -vth)
//              ? saturate_XW((delta + half) >> shift) : 0,  half = 2^(shift-1) (0 if shift = 0),
//                arithmetic shift, saturate to [-2^(XW-1), 2^(XW-1) - 1];
//   residue' = delta - (s << shift)
// s is the graded spike sent (0: nothing sent); its value is s * 2^shift in
// the units of act, and residue' what is still owed.
struct SigmaDeltaUpdate {
  std::uint32_t spike;  // s as an XW-bit two's-complement code
  std::int64_t sigma, act, residue;
};
SigmaDeltaUpdate sigma_delta_update(const KernelParams& params, std::int64_t acc, std::int64_t bias,
                                    unsigned shift, std::int64_t sigma, std::int64_t act, std::int64_t residue,
                                    std::int64_t vth);

// One clock cycle of kernel inputs. x and w hold K entries each.
struct Beat {
  bool valid = false;
  bool first = false;
  bool last = false;
  std::vector<std::uint32_t> x;
  std::vector<std::uint32_t> w;
  std::int64_t bias = 0;   // AW-bit signed
  unsigned shift = 0;      // output stage and sigma-delta: shift, < 2^kShiftBits
  std::int64_t v = 0;      // spike: membrane potential in (sampled at the last beat)
  std::int64_t vth = 0;    // spike: firing threshold; sigma-delta: the least |delta| sent
  std::int64_t sigma = 0;    // sigma-delta: the state in (sampled at the last beat)
  std::int64_t act = 0;
  std::int64_t residue = 0;
};

// Registered kernel outputs after a clock edge. For spike, y is the spike
// bit; for sigma-delta the graded spike's XW-bit code.
struct KernelOutputs {
  bool valid = false;
  std::uint32_t y = 0;
  std::int64_t v = 0;  // spike only; 0 otherwise
  std::int64_t sigma = 0, act = 0, residue = 0;  // sigma-delta only; 0 otherwise
  bool operator==(const KernelOutputs&) const = default;
};

// Cycle-level golden model: the same registers as the RTL, updated by step()
// exactly as one rising clock edge updates them.
class KernelGolden {
 public:
  explicit KernelGolden(const KernelParams& params);
  virtual ~KernelGolden() = default;

  void reset();
  const KernelOutputs& step(const Beat& beat);
  const KernelOutputs& outputs() const { return params_.pipeline ? delayed_ : out_; }
  std::int64_t accumulator() const { return acc_; }
  const KernelParams& params() const { return params_; }

  // Sum of the K terms of one beat, wrapped at AW bits. Virtual so a test
  // can plant a one-bit fault and prove the regression catches it.
  virtual std::int64_t beat_sum(std::span<const std::uint32_t> x,
                                std::span<const std::uint32_t> w) const;

 private:
  const KernelOutputs& update(const Beat& beat);  // one edge, without pipeline latency

  KernelParams params_;
  const std::int64_t* term_table_ = nullptr;  // term_table(params_)
  std::unique_ptr<KernelStepper> stepper_;    // the kind's own model, if it has one
  std::int64_t acc_ = 0;
  KernelOutputs out_;      // the registers after this edge, without pipeline latency
  KernelOutputs delayed_;  // with params.pipeline: the outputs as the pipelined kernel shows them
};

}  // namespace neuroppa::models
