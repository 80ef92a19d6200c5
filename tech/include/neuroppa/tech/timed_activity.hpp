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
// Not modelled: the clock network's own transitions (priced by the power
// engine as two a cycle), wire delays, events that outlast a clock period
// (each cycle runs until quiet).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "neuroppa/tech/activity.hpp"
#include "neuroppa/tech/liberty.hpp"
#include "neuroppa/tech/netlist.hpp"
#include "neuroppa/tech/sdf.hpp"

namespace neuroppa::tech {

struct TimedOptions {
  double input_slew = 0;   // s, transition time at primary inputs (OpenSTA's default 0)
  double input_delay = 0;  // s after the clock edge at the clock port when primary inputs switch
  bool wire_load = true;   // loads as the power engine takes them
  const ArcDelays* fixed = nullptr;  // SDF delays instead of Liberty; arcs it lacks fall back to Liberty
  bool allow_partial = false;        // arcs with no delay anywhere get zero delay instead of an error
};

class TimedSimulator {
 public:
  // Throws neuroppa::Error naming the instance for a combinational loop or,
  // unless allow_partial, an output with no timing arc from an input that
  // drives it.
  TimedSimulator(const Netlist& netlist, const Library& library, const std::string& clock,
                 const TimedOptions& options = {});
  ~TimedSimulator();
  TimedSimulator(const TimedSimulator&) = delete;
  TimedSimulator& operator=(const TimedSimulator&) = delete;

  // Replays one clock cycle from the settled values `before` to `after`:
  // bit b of the words is net exposed_nets(netlist, clock)[b]. Adds the
  // transitions to toggles() and returns false if a net settled elsewhere
  // than `after` says.
  bool replay(const std::uint32_t* before, const std::uint32_t* after);

  std::uint64_t cycles() const;                        // cycles replayed
  std::uint64_t mismatched_cycles() const;             // replays that settled elsewhere
  const std::vector<std::uint64_t>& toggles() const;   // per net id: transitions, glitches included
  std::size_t arcs_fallen_back() const;                // arcs of fixed delays taken from Liberty (or zero)
  std::size_t arcs_without_delay() const;              // arcs given zero delay (allow_partial)
  void reset_counts();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Fixed per-arc delays from Liberty NLDM at each instance's load and the
// statically propagated input slews (worst over arcs, edges by unateness):
// what an SDF written for another simulator carries. Combinational arcs and
// clock-to-output arcs of registers.
ArcDelays liberty_arc_delays(const Netlist& netlist, const Library& library, const TimedOptions& options = {});

}  // namespace neuroppa::tech
