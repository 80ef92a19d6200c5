// Timed (glitch-aware) activity: every cycle of a gate-level run replayed
// through the netlist with a delay per timing arc, rise and fall apart, and
// inertial pulse rejection (a pulse shorter than an arc's delay is
// swallowed, as Verilog path delays and real gates do), so that every
// transition a gate really makes is counted.
//
// The zero-delay model stays the functional truth: a replay starts from the
// settled values of the last clock cycle, switches the sources (primary
// inputs at the input delay, register outputs at their clock arrival plus
// clock-to-output delay) to the values the zero-delay model recorded, lets
// the events run out, and checks that every net settled where the
// zero-delay model says it did.
//
// Delays come from Liberty NLDM tables, looked up per event at the driven
// net's load (the power engine's: pin capacitances and wire load) and the
// transition time of the input that changed (propagated through the
// rise/fall_transition tables), or from fixed per-arc delays (SDF).
//
// With extracted parasitics (SPEF), each net's load has its wire
// capacitance, and an event reaches each load after the wire's Elmore delay
// to that pin (added to the arc it enters, and to the clock's arrival at
// each register).
//
// Not modelled: the clock network's own transitions (priced by the power
// engine as two a cycle), the wire's slowing of the transition it carries
// (the pin sees the driver's), events that outlast a clock period (each
// cycle runs until quiet).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "neuroppa/tech/activity.hpp"
#include "neuroppa/tech/liberty.hpp"
#include "neuroppa/tech/netlist.hpp"
#include "neuroppa/tech/sdf.hpp"
#include "neuroppa/tech/spef.hpp"

namespace neuroppa::tech {

struct TimedOptions {
  double input_slew = 0;   // s, transition time at primary inputs (OpenSTA's default 0)
  double input_delay = 0;  // s after the clock edge at the clock port when primary inputs switch
  bool wire_load = true;   // loads as the power engine takes them
  const Parasitics* parasitics = nullptr;  // extracted wires (read_spef): their capacitance and delays; not owned
  const ArcDelays* fixed = nullptr;  // SDF delays instead of Liberty
  // Arcs the SDF lacks take Liberty's delays, arcs with none anywhere zero
  // delay, counted, instead of an error naming the first.
  bool allow_partial = false;
};

class TimedSimulator {
 public:
  // Throws neuroppa::Error naming the instance for a combinational loop or,
  // unless allow_partial, an arc with no delay (none in the SDF, or none in
  // the library).
  TimedSimulator(const Netlist& netlist, const Library& library, const std::string& clock,
                 const TimedOptions& options = {});
  ~TimedSimulator();
  // A copy replays independently (compiling the netlist again costs more).
  TimedSimulator(const TimedSimulator& other);
  TimedSimulator& operator=(const TimedSimulator&) = delete;

  // Replays one clock cycle from the settled values `before` to `after`:
  // bit b of the words is net exposed_nets(netlist, clock)[b]. Adds the
  // transitions to toggles() and returns false if a net settled elsewhere
  // than `after` says.
  bool replay(const std::uint32_t* before, const std::uint32_t* after);

  std::uint64_t cycles() const;                        // cycles replayed
  std::uint64_t mismatched_cycles() const;             // replays that settled elsewhere
  const std::vector<std::uint64_t>& toggles() const;   // per net id: transitions, glitches included
  const std::vector<int>& toggled_nets() const;        // the nets toggles() counts for, each once
  std::size_t arcs_fallen_back() const;                // arcs of fixed delays taken from Liberty (or zero)
  std::size_t arcs_without_delay() const;              // arcs given zero delay (allow_partial)
  void reset_counts();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// How activity is counted: between clock-edge states only (zero-delay,
// blind to glitches), by replaying every cycle with delays (timed), or by
// replaying a seeded random fraction of the cycles and scaling each net's
// glitch excess (timed:F, reported with a 95% confidence interval).
struct ActivityMode {
  bool timed = false;
  double fraction = 1;  // of cycles replayed, (0, 1]
  bool sampled() const { return timed && fraction < 1; }
  std::string name() const;  // "zero-delay", "timed", "timed:0.05"
};
// "zero-delay", "timed" or "timed:F" with 0 < F <= 1; throws neuroppa::Error
// naming `option` otherwise.
ActivityMode parse_activity_mode(const std::string& text, const std::string& option = "--activity");

// Timed activity alongside a ToggleCounter: call cycle() after each sample
// with the words before and after; cycles are replayed according to the
// mode, and counted in the bank selected (e.g. a network layer). With more
// than one thread the replays run on worker threads while the caller goes
// on (each cycle's replay depends only on its two states); the results do
// not depend on the thread count.
class TimedSampler {
 public:
  TimedSampler(const Netlist& netlist, const Library& library, const std::string& clock, const TimedOptions& options,
               const ActivityMode& mode, std::uint64_t seed = 1, unsigned threads = 1);
  ~TimedSampler();
  TimedSampler(TimedSampler&&) noexcept;

  void cycle(const std::uint32_t* before, const std::uint32_t* after);
  void use_banks(std::size_t count);  // resets the counts; bank 0 selected
  void select_bank(std::size_t bank);
  // Replays from now on this fraction of the cycles (the estimate weights
  // each replayed cycle by 1 / the fraction in force, so it stays unbiased).
  void set_fraction(double fraction);
  const ActivityMode& mode() const;

  // The timed activity of a bank, given its zero-delay activity over every
  // cycle: per net, the zero-delay toggles plus the glitch excess of each
  // replayed cycle weighted by 1 / the fraction replayed (exact when every
  // cycle was replayed). Duties stay the zero-delay ones.
  Activity estimate(const Activity& zero_delay, std::size_t bank = 0) const;
  // The same from each of `kBatches` interleaved subsets of the replayed
  // cycles: their spread gives the estimate's confidence interval.
  static constexpr std::size_t kBatches = 20;
  std::vector<Activity> batch_estimates(const Activity& zero_delay, std::size_t bank = 0) const;

  std::uint64_t replayed(std::size_t bank = 0) const;
  std::uint64_t mismatched_cycles() const;
  const TimedSimulator& simulator() const;  // the first one's (arc counts are the same in all)

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Mean and 95% interval half-width (Student t) of batch values.
struct Interval {
  double mean = 0, half_width = 0;
};
Interval confidence_interval(const std::vector<double>& batches);

// Fixed per-arc delays from Liberty NLDM at each instance's load and the
// statically propagated input slews (worst over arcs, edges by unateness):
// what an SDF written for another simulator carries. Combinational arcs and
// clock-to-output arcs of registers.
ArcDelays liberty_arc_delays(const Netlist& netlist, const Library& library, const TimedOptions& options = {});

}  // namespace neuroppa::tech
