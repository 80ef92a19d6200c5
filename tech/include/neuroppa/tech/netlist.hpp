// A flat gate-level netlist of Liberty cells, read from yosys write_json.
#pragma once

#include <filesystem>
#include <map>
#include <string>
#include <unordered_map>
#include <vector>

#include "neuroppa/tech/liberty.hpp"

namespace neuroppa::tech {

struct Netlist {
  // Net ids are dense, 0..net_count()-1; constants have negative ids.
  static constexpr int kConst0 = -1;
  static constexpr int kConst1 = -2;
  static constexpr int kFloating = -3;  // x or z

  struct Port {
    std::string name;
    bool output = false;
    std::vector<int> bits;  // least significant bit first
  };
  struct Connection {
    const LibertyPin* pin = nullptr;
    int net = kFloating;
  };
  struct Instance {
    std::string name;
    const LibertyCell* cell = nullptr;
    std::vector<Connection> connections;
  };

  std::string top;
  std::vector<Port> ports;
  std::vector<Instance> instances;
  std::vector<std::string> net_names;  // a readable name per net (public names preferred)
  // Every name of every net bit: "w" for a 1-bit wire, "w[i]" for bit i of a
  // vector (its declared index), ports included. Escaped Verilog names
  // appear without their backslash, as yosys keeps them.
  std::unordered_map<std::string, int> net_by_name;
  // Instances of cells the library lacks that connect nothing (taps,
  // fillers): left out, counted per cell type.
  std::map<std::string, long> physical_only;

  int net_count() const { return static_cast<int>(net_names.size()); }
  const Port* find_port(std::string_view name) const;
};

// Reads module `top` of a yosys JSON netlist whose cells are all in
// `library` (but for physical-only cells with no connections).
// Throws neuroppa::Error naming the file and the cell or pin that is wrong.
Netlist read_yosys_json(const std::filesystem::path& path, const std::string& top, const Library& library);

// The netlist as structural Verilog instantiating the library's cells by
// name, every net a wire n<id>: for simulators that bring their own cell
// models (Icarus with the vendor's Verilog library, in the cross-check).
std::string structural_verilog(const Netlist& netlist);

// The netlist as structural Verilog with its own names: a port's bits as
// the port's, every other net and every instance by its name in the netlist
// (an escaped identifier where it is not a plain one). What OpenSTA reads
// beside a SPEF neuroppa wrote (the layout's), whose names are these.
std::string named_verilog(const Netlist& netlist);

struct AreaReport {
  double total = 0;          // µm²
  double sequential = 0;
  double combinational = 0;
  long cells = 0;
  long sequential_cells = 0;
  struct PerCell {
    std::string cell;
    long count = 0;
    double area = 0;  // count x cell area
  };
  std::vector<PerCell> per_cell;  // by cell name
};

AreaReport area_of(const Netlist& netlist);

}  // namespace neuroppa::tech
