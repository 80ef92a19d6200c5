// Average power of a gate-level netlist from its switching activity, priced
// with the Liberty library (DESIGN.md, "Power model"):
//   switching  sum over nets of toggles x 1/2 C V^2, C the input-pin
//              capacitances the net drives plus the library's wire load;
//   internal   per output toggle the mean of the rise and fall internal
//              energies (tables at the net's load and input slew), averaged
//              over the pin's internal_power groups; per input toggle the
//              input pin's own tables (a flop's clock pin: every edge);
//   leakage    state-dependent leakage_power weighted by the probability of
//              each `when` (net duties, taken as independent), else
//              cell_leakage_power.
// Zero-delay activity: glitches are not seen.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "neuroppa/tech/activity.hpp"
#include "neuroppa/tech/liberty.hpp"
#include "neuroppa/tech/netlist.hpp"

namespace neuroppa::tech {

struct PowerParts {
  double internal = 0;   // W
  double switching = 0;  // W
  double leakage = 0;    // W
  double total() const { return internal + switching + leakage; }
  PowerParts& operator+=(const PowerParts& o) {
    internal += o.internal;
    switching += o.switching;
    leakage += o.leakage;
    return *this;
  }
};

struct PowerReport {
  double frequency = 0;  // Hz
  double voltage = 0;    // V
  std::uint64_t cycles = 0;
  PowerParts total;
  PowerParts sequential, combinational, clock;  // by group
  std::map<std::string, PowerParts> per_cell;   // by cell type
  // Dynamic (internal + switching) energy per clock cycle, J.
  double dynamic_energy_per_cycle() const;
  // All energy per clock cycle at `frequency`, leakage included, J.
  double energy_per_cycle() const { return total.total() / frequency; }
};

struct PowerOptions {
  double frequency = 100e6;   // Hz
  double input_slew = 0;      // s, at primary inputs (OpenSTA's default)
  bool wire_load = true;      // add the library's default wire load where it has one
};

// Throws neuroppa::Error for a non-positive frequency or an activity that
// does not belong to the netlist.
PowerReport estimate_power(const Netlist& netlist, const Library& library, const Activity& activity,
                           const PowerOptions& options);

// Per-net load (F): input pin capacitances plus wire load; and per-net slew
// (s) propagated through the transition tables. Exposed for tests.
std::vector<double> net_loads(const Netlist& netlist, const Library& library, bool wire_load);
std::vector<double> net_slews(const Netlist& netlist, const std::vector<double>& loads, double input_slew);

}  // namespace neuroppa::tech
