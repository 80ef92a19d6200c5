// Activity recorded by another simulator: VCD (value changes) and SAIF
// (toggle counts and time high), plain or gzip-compressed, turned into the
// per-net Activity the power engine prices.
#pragma once

#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "neuroppa/tech/activity.hpp"
#include "neuroppa/tech/netlist.hpp"

namespace neuroppa::tech {

struct SignalActivity {
  std::uint64_t toggles = 0;        // 0<->1 transitions
  std::uint64_t x_transitions = 0;  // from x or z to 0 or 1 (VCD; not toggles)
  double high_time = 0;             // s at 1
};

// How a change from x/z to 0/1 counts: not at all (neuroppa's convention: it
// is no transition of a real signal) or as half a transition (OpenSTA's VCD
// reader), for like-for-like comparisons.
enum class XTransitions { none, half };

// Per scope ("tb/dut", divider '/'), per bit ("w" or "w[3]"): what a file
// recorded over `duration` seconds.
struct ActivityFile {
  std::filesystem::path path;
  double duration = 0;  // s
  std::map<std::string, std::map<std::string, SignalActivity>> scopes;
};

// Throw neuroppa::Error naming the file and line on malformed input.
ActivityFile read_vcd(const std::filesystem::path& path);
ActivityFile read_saif(const std::filesystem::path& path);

struct Annotation {
  std::string scope;        // the scope that was used
  long pins = 0;            // instance pins of the netlist
  long pins_annotated = 0;  // ... whose net the file gave activity for
  long pins_constant = 0;   // ... tied to a constant (nothing to annotate)
  long nets = 0, nets_annotated = 0;
  double cycles = 0;        // duration / period
};

// The scope to read: `scope` if the file has it, or with an empty `scope`
// the one scope that names the most nets of the netlist. Throws
// neuroppa::Error listing the file's scopes otherwise.
std::string choose_scope(const Netlist& netlist, const ActivityFile& file, const std::string& scope);

// Activity of the netlist's nets from the file's `scope`; with an empty
// scope, the one scope that names the most nets (an error if two tie). A
// scope the file lacks, or one that leaves a pin unannotated, is an error
// listing the scopes worth trying; with `allow_partial`, nets the file does
// not name keep zero activity and are counted in the Annotation. `clock`
// names the clock port.
// With XTransitions::half the activity counts half-cycles (cycles, toggles
// and high cycles doubled, x transitions added once), which keeps rates and
// duties exact in whole numbers.
Activity annotate(const Netlist& netlist, const ActivityFile& file, const std::string& scope, const std::string& clock,
                  double period, bool allow_partial, Annotation& annotation,
                  XTransitions x_transitions = XTransitions::none);

}  // namespace neuroppa::tech
