// Standard Delay Format (IEEE 1497) for the timed activity engine: the
// IOPATH delays of every instance, read from any STA (e.g. OpenSTA
// write_sdf) or written by neuroppa from Liberty NLDM (for simulators that
// bring their own cell models, such as Icarus with $sdf_annotate).
#pragma once

#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "neuroppa/tech/netlist.hpp"

namespace neuroppa::tech {

// Fixed delays of an instance's timing arcs: an output's rise and fall
// after a change on an input (or a clock edge), in seconds.
struct ArcDelay {
  std::string from, to;  // input (or clock) pin, output pin
  double rise = 0, fall = 0;
};

struct ArcDelays {
  std::vector<std::vector<ArcDelay>> per_instance;  // by netlist instance index
  std::size_t interconnects_ignored = 0;             // INTERCONNECT entries (wires have no delay here)
};

// How instances are named in the SDF file: the netlist's names by default.
using InstanceNamer = std::function<std::string(std::size_t index)>;

// Reads the IOPATH delays of `netlist`'s instances (typ of min:typ:max).
// Throws neuroppa::Error naming file:line for malformed text, an instance or
// pin the netlist does not have; instances it does not name get no entry.
ArcDelays read_sdf(const std::filesystem::path& path, const Netlist& netlist, const InstanceNamer& names = {});
ArcDelays parse_sdf(const std::string& text, const std::string& source, const Netlist& netlist,
                    const InstanceNamer& names = {});

// SDF text of `delays` (times in ns with `decimals` decimals).
std::string write_sdf(const ArcDelays& delays, const Netlist& netlist, const InstanceNamer& names = {},
                      int decimals = 3);

}  // namespace neuroppa::tech
