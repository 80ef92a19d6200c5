// Average power of a gate-level netlist from its switching activity, priced
// with the Liberty library (DESIGN.md, "Power model"):
//   switching  sum over nets of toggles x 1/2 C V^2, C the input-pin
//              capacitances the net drives plus the library's wire load;
//   internal   per output toggle the mean of the rise and fall internal
//              energies (tables at the net's load and the related input's
//              slew for that edge), the pin's internal_power groups weighted
//              as OpenSTA weights them (by how often the related input
//              sensitises the output: activity x boolean-difference
//              probability; a `when` by its probability; a clock 1, else
//              0.5; normalised); per input toggle the input pin's own tables
//              (a flop's clock pin: every edge);
//   leakage    state-dependent leakage_power weighted by the probability of
//              each `when` (net duties, taken as independent), else
//              cell_leakage_power.
// Zero-delay activity: glitches are not seen.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "neuroppa/tech/activity.hpp"
#include "neuroppa/tech/liberty.hpp"
#include "neuroppa/tech/netlist.hpp"
#include "neuroppa/tech/spef.hpp"

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
  PowerParts input_nets;  // switching of nets driven by top-level inputs (clock port included), in the totals
                          // unless PowerOptions::input_nets is false
  std::map<std::string, PowerParts> per_cell;   // by cell type; "(primary inputs)" for nets
                                                // driven by top-level inputs
  std::vector<PowerParts> per_instance;         // by netlist instance index
};

struct PowerOptions {
  double frequency = 100e6;   // Hz
  double input_slew = 0;      // s, at primary inputs (OpenSTA's default)
  bool wire_load = true;      // add the library's default wire load where it has one
  // Extracted wire capacitance (read_spef), added to the load of every net it
  // annotates in place of the wire-load estimate; not owned. nullptr: none.
  const Parasitics* parasitics = nullptr;
  // Price the nets driven by top-level input ports (the clock port included):
  // neuroppa does; OpenSTA leaves them out (false, for like-for-like).
  bool input_nets = true;
  // Price as Debian's OpenSTA (0~20191111gitc018cb2) does, for the
  // cross-check; read from its search/Power.cc. Where it differs from
  // neuroppa's own rules:
  //  - internal energy of a pin: for every internal_power group, the rise
  //    plus the fall table (each at the related pin's slew of the *same*
  //    edge) times a duty: the related pin's share inferred syntactically
  //    from the function (A&X -> P(X); not found -> 0.5), or P(when), or 1 for
  //    a clock; not normalised, so a 2-input gate prices a transition at the
  //    mean energy but a NAND3 at 1.25 means, a flop's Q at 2 means;
  //  - input pins use the same rule with themselves as related pin (a
  //    clock pin: rise + fall on each of its two edges a cycle);
  //  - switching is priced at instance outputs only: nets driven by
  //    top-level inputs, the clock included, cost nothing;
  //  - leakage is cell_leakage_power where the library gives it.
  bool opensta_2019_compatible = false;
  // Price without simulation, as `set_power_activity -global` does: every
  // pin but the clock's toggles global_activity times per cycle with duty
  // global_duty; clock pins toggle twice with duty 0.5. The Activity passed
  // in is then used only for its clock nets.
  std::optional<double> global_activity;
  double global_duty = 0.5;
};

// Throws neuroppa::Error for a non-positive frequency or an activity that
// does not belong to the netlist.
PowerReport estimate_power(const Netlist& netlist, const Library& library, const Activity& activity,
                           const PowerOptions& options);

struct Slew {
  double rise = 0, fall = 0;  // s
};

// Per-net load (F): input pin capacitances (mean of rise and fall; the
// larger with `opensta`) plus the extracted wire capacitance where
// `parasitics` annotates the net, else the wire-load estimate; and per-net rise
// and fall slews propagated through the transition tables (worst over arcs,
// input edge chosen by the arc's unateness). Exposed for tests.
std::vector<double> net_loads(const Netlist& netlist, const Library& library, bool wire_load, bool opensta = false,
                              const Parasitics* parasitics = nullptr);
std::vector<Slew> net_slews(const Netlist& netlist, const std::vector<double>& loads, double input_slew);

// The clock network: the `roots` (clock nets) and every net reached from
// them through combinational cells, up to the clock pins of sequential
// cells. Its nets toggle twice a cycle.
std::vector<bool> clock_network(const Netlist& netlist, const std::vector<int>& roots);

}  // namespace neuroppa::tech
