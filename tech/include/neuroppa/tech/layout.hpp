// Place and route of a gate-level netlist as qflow does it on the OSU
// libraries Debian ships with it (qflow-tech-osu018/035/050): graywolf
// places, qrouter routes, and qrouter's own RC output (its delay file: the
// resistance and capacitance of every routed segment, from the LEF's layer
// rules, as a tree from the driver to each load) is written as SPEF against
// the netlist's own net and instance names, so that the power engine, the
// timed replay and OpenSTA price the same wires.
//
// Why qrouter's RC and not magic's extraction: the OSU technologies ship
// LEF abstracts of their cells but no GDS, so magic can extract the routing
// only, with no more than qrouter already knows of it (layer width, pitch,
// sheet resistance, area and edge capacitance from the LEF); qflow itself
// hands qrouter's RC to its timing step (rc2dly). Coupling between wires is
// not extracted by either (counted as grounded in the layer capacitance).
#pragma once

#include <filesystem>
#include <optional>
#include <string>

#include "neuroppa/base/progress.hpp"
#include "neuroppa/tech/liberty.hpp"
#include "neuroppa/tech/netlist.hpp"

namespace neuroppa::tech {

struct LayoutOptions {
  // Cell density graywolf spreads the cells to (qflow's initial_density,
  // decongest.tcl with fill cells), in (0, 1]; none: graywolf packs them as
  // qflow does by default.
  std::optional<double> density;
  // Core height over width (graywolf's TWMC*chip.aspect.ratio); none: the
  // technology's .par file's (0.75 for the OSU libraries).
  std::optional<double> aspect_ratio;
};

struct LayoutResult {
  std::string technology;            // qflow's name for it (osu018, ...)
  std::filesystem::path spef;        // the wires, against the netlist's names
  std::filesystem::path verilog;     // the netlist with the SPEF's names (named_verilog), for OpenSTA
  std::filesystem::path def;         // qrouter's routed DEF
  std::filesystem::path log_dir;     // qflow's place.log and route.log
  double core_area = 0;              // µm², the routed DEF's DIEAREA
  double cell_area = 0;              // µm², the netlist's cells (Liberty areas)
  double wire_length = 0;            // µm, every routed segment
  long vias = 0;
  int routed_nets = 0;
  double seconds = 0;                // to place, route and extract, when it was done (cold)
  bool cached = false;
  std::string key;
  double utilisation() const { return core_area > 0 ? cell_area / core_area : 0; }
};

// The qflow technology whose Liberty file `library` was read from
// (/usr/share/qflow/tech/<name>/), if any: the router needs its LEF and setup.
std::optional<std::string> qflow_technology(const Library& library);

// Places, routes and extracts `netlist` (flat, every cell in `library`),
// cached by content (the netlist, the technology's files, the options, the
// tools' versions) under cache_root/layout/. Throws neuroppa::Error naming
// the step that failed and its log: a library qflow has no technology for, a
// tool missing, placement or routing failing (nets left unrouted).
LayoutResult place_and_route(const Netlist& netlist, const Library& library, const LayoutOptions& options,
                             const std::filesystem::path& cache_root, const ProgressFn& progress = {});

// The parts, for tests and fuzzing.

// The netlist as BLIF for qflow's blif2cel: every net named n<id>, constant
// pins tied to vdd or gnd, floating pins left out.
std::string layout_blif(const Netlist& netlist);

// qrouter's delay file (`qrouter -d`, one net a line: NAME 1 DRIVER LOADS
// then the tree "( R C [PIN] [, subtree]... )", R in ohms, C in pF) as SPEF
// for `netlist` (a segment qrouter marks ERROR, ending at no pin with nothing
// beyond, is kept as a stub of wire), whose BLIF layout_blif wrote: blif2cel named the k-th
// instance of cell C in that order C_k, and every net n<id>. Throws
// neuroppa::Error "FILE:LINE: ..." for a line it cannot read, an instance
// or net the netlist does not have, or a pin that is not on the net it says.
std::string qrouter_rc_to_spef(const std::string& rc_text, const std::string& rc_name, const Netlist& netlist);

// Area, wire length and vias of a routed DEF.
struct DefSummary {
  double die_area = 0;       // µm²
  double wire_length = 0;    // µm
  long vias = 0;
  int routed_nets = 0;
};
DefSummary summarise_def(const std::string& def_text, const std::string& def_name);

}  // namespace neuroppa::tech
