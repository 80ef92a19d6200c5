// Power macro-models of kernels: a lane's dynamic energy per clock cycle as a
// linear function of what its RTL run sees at the ports (docs/macro-models.md).
//
// A model is fitted per kernel (kind or package hash, widths, K, pipeline,
// reset: the synthesis key) and library on timed (glitch-aware) gate-level
// replays of the operand streams real networks give a lane, plus a seeded
// random stream; it is checked on streams from held-out images, never on
// the cycles it was fitted on. `run --level macro` then runs the lanes at
// RTL speed and prices each cycle with it.
//
// Features of a cycle (MacroFeatures::names): the handshake levels and
// their transitions; the transitions of the activations and of the weight
// codes summed over the K synapses, and of their top (sign) bits; two
// interaction terms (a synapse's activation transitions times its code's
// ones and the other way round); the synapses that changed (and its square:
// adder trees glitch more than linearly); the ones of the operands; the
// control and state inputs' transitions; and the registered outputs'
// transitions (a cycle's replay sees the registers the edge before it wrote,
// so these lag by one cycle, as the gate-level sample does). Per-bit-position
// transitions were tried: on mac K=16 they moved the total error by 0.1% and
// the per-cycle error from 10.5 to 10.1%, at twice the cost.
#pragma once

#include <array>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "neuroppa/base/progress.hpp"
#include "neuroppa/models/dataset.hpp"
#include "neuroppa/models/kernel.hpp"
#include "neuroppa/models/network.hpp"
#include "neuroppa/sim/kernel_harness.hpp"
#include "neuroppa/tech/liberty.hpp"
#include "neuroppa/tech/power.hpp"

namespace neuroppa::sim {

// Feature extraction on a running kernel model (RTL or gate level: the ports
// have the same names), into per-bank sums (e.g. one bank per network layer).
class MacroFeatures {
 public:
  // vector_path false: the portable scalar path even where the processor has
  // SSSE3 (the tests check that both count the same).
  MacroFeatures(const KernelPorts& ports, const models::KernelParams& params, bool vector_path = true);
  // The feature names, in order (the same for every kernel).
  static std::vector<std::string> names();

  // Reads the ports after a clock edge (the cycle's inputs still applied)
  // and adds the cycle's features to the selected bank.
  void sample();
  void use_banks(std::size_t count);  // resets the sums; bank 0 selected
  void select_bank(std::size_t bank) { bank_ = bank; }
  std::size_t banks() const { return sums_.size(); }
  std::vector<double> sums(std::size_t bank) const;  // feature 0 ("cycle") counts the cycles
  // Adds another counter's sums (bank by bank) to this one's and clears them.
  void absorb(MacroFeatures& other);

 private:
  const KernelPorts* ports_;
  unsigned K_, x_bits_, w_bits_;
  std::vector<std::uint32_t> x_, w_;                         // packed operands (+1 word: fields may straddle)
  std::vector<std::uint32_t> x_before_, w_before_, x_top_, w_top_;  // the packed pass's: last cycle's, each field's top bit
  const std::int16_t* narrow_terms_ = nullptr;              // the terms, activation-major, where 16 bits hold them
  const std::int64_t* terms_ = nullptr;                     // else models::term_table
  std::uint64_t term_mask_ = 0;                             // AW bits
  std::vector<std::int64_t> terms_before_;
  // Byte operands whose terms fit 16 bits: this cycle's and the last, K padded to 16 with zeros.
  std::vector<std::int16_t> narrow_now_, narrow_before_;
  bool zero_activation_zero_term_ = false;  // only the synapses with an activation need their term looked up
  bool product_terms_ = false;  // every term is activation x sign-extended code: computed, not looked up
  // How a cycle's synapses are counted: field by field from the packed words
  // (any widths); byte operands a byte at a time (portable); and on SSSE3, 16
  // synapses at a time with codes in bytes or (9 to 16 bits) in 16-bit lanes.
  enum class Pass : std::uint8_t { packed, bytes, fused_byte_codes, fused_wide_codes };
  Pass pass_ = Pass::packed;
  unsigned AW_ = 0;
  std::int64_t acc_ = 0;
  // Byte operands a byte each, K padded to 16 with zeros: fields under 8 bits
  // unpacked (x_bytes_, w_bytes_) and the last cycle's operands.
  std::vector<std::uint8_t> x_bytes_, w_bytes_, x_bytes_before_, w_bytes_before_;
  std::vector<std::uint16_t> w_lanes_, w_lanes_before_;  // codes of 9 to 16 bits, 16 bits each (fused_wide_codes)
  // Handshake (valid/first/last), control (bias/shift/vth), state in and out
  // (v/sigma/act/residue), output (y, valid_o): the ports the kind has.
  enum PortGroup : std::uint8_t { port_handshake, port_control, port_state_in, port_output, port_state_out };
  static constexpr unsigned kGroupBits = 12;  // transitions per group, packed in one word (at most 4 ports of 64 bits)
  struct ScalarPort {
    const void* data;
    unsigned shift;  // kGroupBits x its group
  };
  std::array<std::vector<ScalarPort>, 4> ports_by_size_;  // stored in 1, 2, 4, 8 bytes (how Verilator stores them)
  std::vector<std::uint64_t> scalar_before_;              // their last values, in that order
  unsigned out_lag_ = 0, state_out_lag_ = 0;  // the previous cycle's output transitions
  std::vector<std::vector<std::uint64_t>> sums_;  // per bank, per feature
  void add_terms(std::uint64_t term_transitions, std::int64_t sum, bool first, std::uint64_t* f);
  template <bool kWideCodes>
  void sample_fused(bool first, std::uint64_t* f);  // SSSE3 (x86-64 only)
  void sample_bytes_portable(bool first, std::uint64_t* f);
  std::size_t bank_ = 0;
};

// Dynamic energy targets of a cycle: internal and switching of each cell group.
enum MacroTarget { seq_internal, seq_switching, comb_internal, comb_switching, clock_internal, clock_switching };
inline constexpr std::size_t kMacroTargets = 6;

struct MacroValidation {
  std::uint64_t fit_cycles = 0, validation_cycles = 0;
  std::uint64_t cycle_checked = 0;  // of the validation cycles, those checked one by one (the others in windows)
  double energy_per_cycle = 0;   // J, measured on the validation cycles (timed gate level)
  double total_error = 0;        // (predicted - measured) / measured over all validation cycles
  double cycle_error = 0;        // mean |predicted - measured| per cycle / mean measured (cycles checked one by one)
  double cycle_rms = 0;          // rms of the per-cycle error / mean measured (the same cycles)
  std::vector<double> feature_share;  // share of the predicted validation energy carried by each feature
  std::vector<std::pair<std::string, double>> per_source;  // total error per stimulus source (network, random)
};

struct MacroModel {
  static constexpr int kVersion = 3;  // of the features, the stimulus, the fit and the cache file
  std::string key;                    // content key: synthesis key, stimulus, version
  std::string kernel;                 // params.describe()
  std::string library;
  std::vector<std::string> features;
  std::array<std::vector<double>, kMacroTargets> coefficients;  // J per unit of each feature
  tech::PowerParts leakage_sequential, leakage_combinational, leakage_clock;  // W per lane
  std::string stimulus;               // what it was fitted on, in words
  MacroValidation validation;
  double characterise_seconds = 0;

  // The dynamic energy (J) of cycles whose features sum to `sums`, by target.
  std::array<double, kMacroTargets> predict(const std::vector<double>& sums) const;
  std::string id() const { return key.substr(0, 12); }
  // "macro-model 0123456789ab (validation on held-out images: total +0.4%, per cycle 8.1%)"
  std::string describe() const;
};

// What a macro-model is fitted and checked on: the operand stream of each
// network as the lanes see it (one lane per image, turning through them) (all of the kernel's kind, with kernels equal to the one
// fitted at its K), from training images for the fit and other training
// images for the check, plus a seeded random stream in the fit.
struct MacroStimulus {
  std::vector<models::Network> networks;
  const models::ImageSet* images = nullptr;  // Fashion-MNIST training images
  std::size_t fit_cycles = 24000;            // from the networks, shared between them
  std::size_t random_cycles = 4000;          // added to the fit
  std::size_t validation_cycles = 8000;
  unsigned lanes = 16;                       // the array the streams are recorded from
  std::uint64_t seed = 1;
};

// The bound on a macro-model's validation error (total energy) beyond which
// a run says so (and, if asked, fails).
inline constexpr double kMacroErrorBound = 0.03;

// The macro-model of a kernel on a library: from the cache under cache_dir
// (kind "macro") or characterised and cached. A cached file from another
// version, truncated or corrupt is refitted, and `notice` gets one line
// saying so. Throws neuroppa::Error on bad parameters or tool failures.
std::shared_ptr<const MacroModel> macro_model(const models::KernelParams& params, const tech::Library& library,
                                              const MacroStimulus& stimulus, const std::filesystem::path& cache_dir,
                                              const ProgressFn& progress = {}, const ProgressFn& notice = {});

}  // namespace neuroppa::sim
