// The vendor's own gate delays: the path delays in the specify blocks of a
// cell library's Verilog models (what Icarus uses with -gspecify), as fixed
// per-arc delays for the timed activity engine (TimedOptions::fixed). They
// do not depend on a gate's load or its input's transition, unlike Liberty's
// NLDM tables: a second, independent delay model for the same netlist.
#pragma once

#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "neuroppa/tech/netlist.hpp"
#include "neuroppa/tech/sdf.hpp"

namespace neuroppa::tech {

struct SpecifyDelays {
  std::filesystem::path path;
  // Per cell (module name): its arcs, input (or clock) pin to output pin,
  // rise and fall in seconds (the typical of min:typ:max, rounded to the
  // `timescale precision as a Verilog simulator rounds it). A path given more
  // than once (conditional paths: if (...), ifnone) keeps the largest rise
  // and the largest fall.
  std::map<std::string, std::vector<ArcDelay>> cells;
};

// Reads the `specify` blocks of every module of a Verilog cell library
// (gzip-compressed or plain): specparams, simple and full paths ("=>", "*>",
// with polarity, an edge and "(Q : D)" data destinations), conditions, the
// `timescale in force. Timing checks ($setup, $hold, $width, ...) are
// skipped. Errors are neuroppa::Error "FILE:LINE: ...": a path delay naming
// a specparam the module does not define, a value that is not a number, a
// malformed path, a specify block never closed.
SpecifyDelays read_specify(const std::filesystem::path& path);
SpecifyDelays parse_specify(const std::string& text, const std::string& source);

// The delays of `netlist`'s instances, by their cells' names. A cell the file
// has no module for is an error naming it and the file (the file is another
// library's) unless `allow_missing`; its instances then get no delays.
ArcDelays specify_arc_delays(const Netlist& netlist, const SpecifyDelays& delays, bool allow_missing = false);

}  // namespace neuroppa::tech
