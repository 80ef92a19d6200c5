// neuroppa's own static timing: the longest path of a gate-level netlist
// with Liberty NLDM delays, rise and fall apart, and, with extracted
// parasitics, each net's wire capacitance in its load and each wire's Elmore
// delay to its pins. It cross-checks OpenSTA's f_max (which neuroppa's
// tables print) with an engine written here, as the power engine
// cross-checks report_power.
//
// The constraints are those of tech::opensta_timing: an ideal clock (no
// delay, no transition) at every register, primary inputs switching at the
// clock edge with no transition, primary outputs required at the next edge;
// setup from the flops' setup_rising tables at the data pin's transition.
// Not modelled: effective capacitance (resistive shielding of a wire's far
// capacitance), the wire's slowing of transitions, recovery checks of
// asynchronous set and reset, latches.
#pragma once

#include <string>

#include "neuroppa/tech/liberty.hpp"
#include "neuroppa/tech/netlist.hpp"
#include "neuroppa/tech/spef.hpp"

namespace neuroppa::tech {

struct StaticTiming {
  double min_period = 0;  // s: the latest arrival plus setup over every endpoint
  std::string endpoint;   // where it ends: INSTANCE/PIN or a port bit
  int endpoints = 0;      // flop data pins and output ports checked
  double fmax() const { return min_period > 0 ? 1 / min_period : 0; }
};

// Throws neuroppa::Error for a combinational loop (naming an instance on it).
StaticTiming static_timing(const Netlist& netlist, const Library& library, const std::string& clock,
                           const Parasitics* parasitics = nullptr);

}  // namespace neuroppa::tech
