// Toggle counting on a running gate-level model: per-net toggle counts
// sampled once per clock cycle, and the cycles each net spent high. The model
// must be built with nets exposed (gate_level_spec), which samples every net
// at each rising clock edge, just before it: this cycle's inputs with last
// cycle's registers, the state a design settles in when its inputs are
// registered on the same clock (a test bench that changes inputs between
// edges would add a second, artificial state per cycle).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "neuroppa/tech/activity.hpp"
#include "neuroppa/tech/netlist.hpp"
#include "neuroppa/vmodel/model_build.hpp"

namespace neuroppa::tech {

// Counts per bit of a stream of 32-bit words: each bit has an 8-bit lane in
// four 64-bit accumulators, and adding a word costs four table lookups and
// four additions whatever its popcount (measured 3x faster than bit-sliced
// counters, whose carries ripple through several planes). Lanes are
// flushed into 64-bit totals before they can overflow.
class LaneCounter {
 public:
  void resize(std::size_t words);
  void add(std::size_t word, std::uint32_t bits) {
    std::uint64_t* lanes = &lanes_[word * 4];
    lanes[0] += kSpread[bits & 0xff];
    lanes[1] += kSpread[(bits >> 8) & 0xff];
    lanes[2] += kSpread[(bits >> 16) & 0xff];
    lanes[3] += kSpread[bits >> 24];
  }
  // Call once per round of add()s over the words.
  void end_round() {
    if (++rounds_ == 255) flush();
  }
  void flush();
  std::uint64_t total(std::size_t bit) const { return totals_[bit]; }  // after flush()

 private:
  // kSpread[b]: byte i is bit i of b.
  static const std::uint64_t kSpread[256];
  std::vector<std::uint64_t> lanes_;
  std::vector<std::uint64_t> totals_;
  std::uint32_t rounds_ = 0;
};

class ToggleCounter {
 public:
  ToggleCounter(const vmodel::ModelInstance& instance, const Netlist& netlist, const std::string& clock);

  // Reads every exposed net once; call after each clock cycle. The first
  // sample after construction or restart() sets the reference values.
  void sample() {
    if (!started_) {
      start();
      return;
    }
    Bank& bank = *bank_;
    ++bank.cycles;
    previous_.swap(last_);  // the sample before stays readable (timed replay)
    for (std::size_t w = 0; w < ports_.size(); ++w) {
      const std::uint32_t now = word_[w] ? *word_[w] : static_cast<std::uint32_t>(ports_[w].get());
      bank.toggles.add(w, now ^ previous_[w]);
      bank.high.add(w, now);
      last_[w] = now;
    }
    bank.toggles.end_round();
    bank.high.end_round();
  }
  // Separate tallies (e.g. one per network layer) over one continuous
  // stream of samples: a toggle counts in the bank selected when it is
  // sampled. Resets the counts; bank 0 is selected.
  void use_banks(std::size_t count);
  void select_bank(std::size_t bank) { bank_ = &banks_[bank]; }
  std::size_t banks() const { return banks_.size(); }
  // Forget what was counted (e.g. after reset); the next sample is the reference.
  void restart();
  // Counts so far, of one bank.
  Activity activity(std::size_t bank = 0);
  // The last sample and the one before it: bit b of the words is net
  // exposed_nets(netlist, clock)[b] (what a timed replay settles to and starts from).
  const std::vector<std::uint32_t>& words() const { return last_; }
  const std::vector<std::uint32_t>& previous_words() const { return previous_; }

 private:
  void start();

  std::vector<vmodel::Port> ports_;          // one per 32 exposed nets
  std::vector<const std::uint32_t*> word_;  // direct storage of the 32-bit ones
  std::vector<int> net_of_bit_;      // exposed bit -> net id
  std::vector<std::uint32_t> last_;      // last sampled words
  std::vector<std::uint32_t> previous_;  // the sample before
  struct Bank {
    LaneCounter toggles, high;
    std::uint64_t cycles = 0;
  };
  std::vector<Bank> banks_;
  Bank* bank_ = nullptr;
  bool started_ = false;
  int net_count_ = 0;
  std::vector<int> clock_nets_;
};

}  // namespace neuroppa::tech
