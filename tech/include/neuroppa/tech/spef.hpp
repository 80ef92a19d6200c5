// Extracted parasitics (SPEF, IEEE 1481) of a gate-level netlist: the wire
// capacitance of each net, which the power engine and the timed replay add
// to the pins' load, and, where a net's RC network is given, the Elmore
// delay of its wire from the driver to each input pin it reaches.
#pragma once

#include <filesystem>
#include <vector>

#include "neuroppa/tech/netlist.hpp"

namespace neuroppa::tech {

struct Parasitics {
  std::filesystem::path path;
  // Per net of the netlist (its dense ids): the *D_NET (or *R_NET) total
  // capacitance, F, coupling capacitance counted as grounded (what OpenSTA
  // does by default); 0 for a net the file does not annotate.
  std::vector<double> wire_capacitance;
  std::vector<bool> annotated;
  int nets = 0;           // nets annotated
  double total = 0;       // F, over them

  // The wire's delay from a net's driver to one of its loads: Elmore over
  // the *RES tree with the *CAP nodes (coupling counted as grounded) and the
  // loads' pin capacitances.
  struct SinkDelay {
    int instance = 0;                    // index in Netlist::instances
    const LibertyPin* pin = nullptr;     // its input pin
    double seconds = 0;
  };
  std::vector<std::vector<SinkDelay>> sink_delays;  // per net; empty where the file gives no *RES
  int nets_with_resistance = 0;   // nets whose sinks got a wire delay
  int resistor_loops = 0;         // resistors left out because they close a loop (Elmore needs a tree)
  double max_wire_delay = 0;      // s, over every sink

  // The wire delay to input `pin` of instance `instance` on `net` (0 if none).
  double wire_delay(int net, int instance, const LibertyPin* pin) const;
};

// Reads `path` (gzip-compressed or plain, streamed) for `netlist`: units from
// *C_UNIT and *R_UNIT, names through *NAME_MAP, escapes (\) removed and the
// file's bus delimiters read as [ ]. The details of each net (*CONN, *CAP,
// *RES) give the Elmore delays; pins are INSTANCE<delimiter>PIN as
// *DELIMITER says (':' by default). Every fault is one neuroppa::Error
// "FILE:LINE: ...": not a SPEF, a unit neuroppa does not know, a *D_NET
// before *C_UNIT, a name-map index never defined, a net the netlist does not
// have, a capacitance or resistance that is not a non-negative number, a
// net given twice, a *D_NET without *END, a pin of an instance the netlist
// does not have. A net whose *CONN names no driver gets no wire delays.
Parasitics read_spef(const std::filesystem::path& path, const Netlist& netlist);

}  // namespace neuroppa::tech
