#include "neuroppa/tech/netlist.hpp"

#include <fmt/format.h>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>

#include "neuroppa/base/error.hpp"
#include "neuroppa/base/file.hpp"

namespace neuroppa::tech {
namespace fs = std::filesystem;
using json = nlohmann::json;

const Netlist::Port* Netlist::find_port(std::string_view port_name) const {
  for (const Port& p : ports)
    if (p.name == port_name) return &p;
  return nullptr;
}

namespace {

// Maps yosys bit ids (integers from 2) to dense net ids; "0"/"1"/"x"/"z" to constants.
class NetIds {
 public:
  int id(const json& bit) {
    if (bit.is_string()) {
      const std::string s = bit.get<std::string>();
      return s == "0" ? Netlist::kConst0 : s == "1" ? Netlist::kConst1 : Netlist::kFloating;
    }
    const long yosys_bit = bit.get<long>();
    auto [it, inserted] = ids_.emplace(yosys_bit, static_cast<int>(names_.size()));
    if (inserted) {
      names_.push_back(fmt::format("_net{}_", yosys_bit));
      rank_.push_back(0);
    }
    return it->second;
  }
  // Names a net after a wire: a public name (hide_name 0) beats an internal
  // one, which beats the generated "_netN_".
  void name(int net, const std::string& wire_name, bool hidden) {
    if (net < 0) return;
    const int rank = hidden ? 1 : 2;
    if (rank > rank_[net]) {
      names_[net] = wire_name;
      rank_[net] = rank;
    }
  }
  std::vector<std::string> take_names() { return std::move(names_); }

 private:
  std::map<long, int> ids_;
  std::vector<std::string> names_;
  std::vector<int> rank_;
};

}  // namespace

Netlist read_yosys_json(const fs::path& path, const std::string& top, const Library& library) {
  base::check_input_file(path);
  std::ifstream in(path);
  if (!in) throw Error(fmt::format("{}: cannot open", path.string()));
  json doc;
  try {
    doc = json::parse(in);
  } catch (const json::exception& e) {
    throw Error(fmt::format("{}: not a yosys JSON netlist: {}", path.string(), e.what()));
  }
  const json* module = nullptr;
  if (doc.contains("modules") && doc["modules"].contains(top)) module = &doc["modules"][top];
  if (!module) throw Error(fmt::format("{}: no module '{}'", path.string(), top));

  Netlist n;
  n.top = top;
  NetIds ids;
  try {
    // .at, never const operator[]: a missing key there is undefined behaviour
    // in nlohmann::json (fuzzing found it reading freed memory).
    for (const auto& [name, port] : module->at("ports").items()) {
      Netlist::Port p;
      p.name = name;
      p.output = port.at("direction").get<std::string>() == "output";
      for (const auto& bit : port.at("bits")) p.bits.push_back(ids.id(bit));
      n.ports.push_back(std::move(p));
    }
    for (const auto& [name, cell] : module->at("cells").items()) {
      const std::string type = cell.at("type").get<std::string>();
      Netlist::Instance inst;
      inst.name = name;
      inst.cell = library.find_cell(type);
      if (!inst.cell && cell.at("connections").empty()) {
        ++n.physical_only[type];
        continue;
      }
      if (!inst.cell)
        throw Error(fmt::format("{}: instance '{}' uses cell '{}', which library {} does not have", path.string(),
                                name, type, library.name));
      for (const auto& [pin_name, bits] : cell.at("connections").items()) {
        const LibertyPin* pin = inst.cell->find_pin(pin_name);
        if (!pin)
          throw Error(fmt::format("{}: instance '{}' connects pin '{}', which cell {} does not have", path.string(),
                                  name, pin_name, type));
        if (bits.size() != 1)
          throw Error(fmt::format("{}: instance '{}' pin '{}' has {} bits, expected 1", path.string(), name,
                                  pin_name, bits.size()));
        inst.connections.push_back({pin, ids.id(bits[0])});
      }
      n.instances.push_back(std::move(inst));
    }
    static const json no_netnames = json::object();
    const json& netnames = module->contains("netnames") ? module->at("netnames") : no_netnames;
    for (const auto& [name, wire] : netnames.items()) {
      const bool hidden = wire.value("hide_name", 0) != 0;
      const auto& bits = wire.at("bits");
      const long offset = wire.value("offset", 0L);
      const bool upto = wire.value("upto", 0) != 0;
      for (std::size_t i = 0; i < bits.size(); ++i) {
        const int net = ids.id(bits[i]);
        const long index = upto ? offset + long(bits.size() - 1 - i) : offset + long(i);
        const std::string bit_name = bits.size() == 1 && offset == 0 ? name : fmt::format("{}[{}]", name, index);
        ids.name(net, bit_name, hidden);
        if (net >= 0) n.net_by_name.emplace(bit_name, net);
      }
    }
  } catch (const json::exception& e) {
    throw Error(fmt::format("{}: malformed yosys netlist: {}", path.string(), e.what()));
  }
  n.net_names = ids.take_names();
  return n;
}

std::string structural_verilog(const Netlist& netlist) {
  const auto ref = [](int net) {
    return net == Netlist::kConst1 ? std::string("1'b1") : net < 0 ? std::string("1'b0") : fmt::format("n{}", net);
  };
  std::string out = fmt::format("module {} (", netlist.top);
  for (std::size_t i = 0; i < netlist.ports.size(); ++i) out += (i ? ", " : "") + netlist.ports[i].name;
  out += ");\n";
  for (const auto& p : netlist.ports)
    out += fmt::format("  {} [{}:0] {};\n", p.output ? "output" : "input", p.bits.size() - 1, p.name);
  for (int net = 0; net < netlist.net_count(); ++net) out += fmt::format("  wire n{};\n", net);
  for (const auto& p : netlist.ports)
    for (std::size_t b = 0; b < p.bits.size(); ++b) {
      if (p.output) out += fmt::format("  assign {}[{}] = {};\n", p.name, b, ref(p.bits[b]));
      else if (p.bits[b] >= 0) out += fmt::format("  assign n{} = {}[{}];\n", p.bits[b], p.name, b);
    }
  for (std::size_t i = 0; i < netlist.instances.size(); ++i) {
    const auto& inst = netlist.instances[i];
    out += fmt::format("  {} u{} (", inst.cell->name, i);
    for (std::size_t c = 0; c < inst.connections.size(); ++c)
      out += fmt::format("{}.{}({})", c ? ", " : "", inst.connections[c].pin->name, ref(inst.connections[c].net));
    out += ");\n";
  }
  return out + "endmodule\n";
}

namespace {

// `name` as a Verilog identifier: as it is if it is a plain one, else escaped.
std::string verilog_identifier(const std::string& name) {
  bool plain = !name.empty() && (std::isalpha(static_cast<unsigned char>(name[0])) || name[0] == '_');
  for (const char c : name) plain = plain && (std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '$');
  return plain ? name : "\\" + name + " ";
}

}  // namespace

std::string named_verilog(const Netlist& netlist) {
  std::vector<std::string> ref(netlist.net_count());
  std::string out = fmt::format("module {} (", verilog_identifier(netlist.top));
  std::string declarations, assigns;
  for (std::size_t i = 0; i < netlist.ports.size(); ++i) {
    const auto& p = netlist.ports[i];
    const std::string id = verilog_identifier(p.name);
    out += (i ? ", " : "") + id;
    const std::string range = p.bits.size() > 1 ? fmt::format(" [{}:0]", p.bits.size() - 1) : "";
    declarations += fmt::format("  {}{} {};\n", p.output ? "output" : "input", range, id);
  }
  out += ");\n" + declarations;
  const auto constant = [](int net) { return net == Netlist::kConst1 ? "1'b1" : "1'b0"; };
  for (const auto& p : netlist.ports)
    for (std::size_t b = 0; b < p.bits.size(); ++b) {
      const std::string bit = verilog_identifier(p.name) + (p.bits.size() > 1 ? fmt::format("[{}]", b) : "");
      const int net = p.bits[b];
      if (net >= 0 && ref[net].empty()) ref[net] = bit;
      else if (p.output) assigns += fmt::format("  assign {} = {};\n", bit, net >= 0 ? ref[net] : constant(net));
    }
  for (int net = 0; net < netlist.net_count(); ++net)
    if (ref[net].empty()) {
      ref[net] = verilog_identifier(netlist.net_names[net]);
      out += fmt::format("  wire {};\n", ref[net]);
    }
  out += assigns;
  for (const auto& inst : netlist.instances) {
    out += fmt::format("  {} {} (", inst.cell->name, verilog_identifier(inst.name));
    bool first = true;
    for (const auto& c : inst.connections) {
      if (c.net == Netlist::kFloating) continue;
      out += fmt::format("{}.{}({})", first ? "" : ", ", c.pin->name, c.net >= 0 ? ref[c.net] : constant(c.net));
      first = false;
    }
    out += ");\n";
  }
  return out + "endmodule\n";
}

AreaReport area_of(const Netlist& netlist) {
  AreaReport r;
  std::map<std::string, AreaReport::PerCell> per_cell;
  for (const auto& inst : netlist.instances) {
    const LibertyCell& c = *inst.cell;
    r.total += c.area;
    ++r.cells;
    if (c.is_sequential()) {
      r.sequential += c.area;
      ++r.sequential_cells;
    } else {
      r.combinational += c.area;
    }
    auto& entry = per_cell[c.name];
    entry.cell = c.name;
    ++entry.count;
    entry.area += c.area;
  }
  for (auto& [name, entry] : per_cell) r.per_cell.push_back(entry);
  return r;
}

}  // namespace neuroppa::tech
