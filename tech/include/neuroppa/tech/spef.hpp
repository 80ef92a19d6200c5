// Extracted parasitics (SPEF, IEEE 1481) of a gate-level netlist: the wire
// capacitance of each net, which the power engine adds to the pins' load.
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
};

// Reads `path` (gzip-compressed or plain, streamed) for `netlist`: units from
// *C_UNIT, names through *NAME_MAP, escapes (\) removed and the file's bus
// delimiters read as [ ]; the details of each net (*CONN, *CAP, *RES) are
// skipped. Every fault is one neuroppa::Error "FILE:LINE: ...": not a SPEF,
// a unit neuroppa does not know, a *D_NET before *C_UNIT, a name-map index
// never defined, a net the netlist does not have, a capacitance that is not
// a non-negative number, a net given twice, a *D_NET without *END.
Parasitics read_spef(const std::filesystem::path& path, const Netlist& netlist);

}  // namespace neuroppa::tech
