#include "neuroppa/tech/spef.hpp"

#include <charconv>
#include <cmath>
#include <fmt/format.h>
#include <unordered_map>

#include "neuroppa/base/error.hpp"
#include "words.hpp"

namespace neuroppa::tech {

namespace fs = std::filesystem;

namespace {

bool is_index(const std::string& word) {  // "*123": a name-map index
  if (word.size() < 2 || word[0] != '*') return false;
  for (std::size_t i = 1; i < word.size(); ++i)
    if (!std::isdigit(static_cast<unsigned char>(word[i]))) return false;
  return true;
}

// Ohms per unit of *R_UNIT.
double resistance_unit(const std::string& unit) {
  static const std::pair<const char*, double> units[] = {{"OHM", 1}, {"KOHM", 1e3}, {"MOHM", 1e6}};
  std::string upper;
  for (const char c : unit) upper += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  for (const auto& [name, scale] : units)
    if (upper == name) return scale;
  return 0;
}

// Farads per unit of *C_UNIT.
double capacitance_unit(const std::string& unit) {
  static const std::pair<const char*, double> units[] = {{"F", 1}, {"MF", 1e-3}, {"UF", 1e-6},
                                                         {"NF", 1e-9}, {"PF", 1e-12}, {"FF", 1e-15}};
  std::string upper;
  for (const char c : unit) upper += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  for (const auto& [name, scale] : units)
    if (upper == name) return scale;
  return 0;
}

class SpefReader {
 public:
  SpefReader(const fs::path& path, const Netlist& netlist) : path_(path), netlist_(netlist), words_(path) {}

  Parasitics read() {
    Parasitics p;
    p.path = path_;
    p.wire_capacitance.assign(netlist_.net_count(), 0);
    p.annotated.assign(netlist_.net_count(), false);
    p.sink_delays.resize(netlist_.net_count());
    std::string w;
    if (!next(w) || w != "*SPEF") throw error("not a SPEF file: it does not begin with *SPEF");
    while (next(w)) {
      if (w == "*C_UNIT") read_c_unit();
      else if (w == "*R_UNIT") read_r_unit();
      else if (w == "*DELIMITER") pin_delimiter_ = expect("the pin delimiter")[0];
      else if (w == "*BUS_DELIMITER") read_bus_delimiter();
      else if (w == "*NAME_MAP") read_name_map();
      else if (w == "*D_NET" || w == "*R_NET") read_net(p, w);
      else if (w == "*END") throw error("*END without a *D_NET or *R_NET it closes");
      // Anything else (the header's other fields, *PORTS, *POWER_NETS, ...) says nothing of wire capacitance.
    }
    if (p.nets == 0) throw error("no *D_NET or *R_NET: the file annotates no net");
    return p;
  }

 private:
  Error error(const std::string& what) const {
    return Error(fmt::format("{}:{}: {}", path_.string(), words_.line(), what));
  }
  bool next(std::string& w) {
    if (!pushed_.empty()) {
      w = std::move(pushed_);
      pushed_.clear();
      return true;
    }
    return words_.next(w);
  }
  std::string expect(const char* what) {
    std::string w;
    if (!next(w)) throw error(fmt::format("the file ends where {} should be", what));
    return w;
  }
  double number(const std::string& w, const char* what) {
    double v = 0;
    const auto [end, ec] = std::from_chars(w.data(), w.data() + w.size(), v);
    if (ec != std::errc() || end != w.data() + w.size() || !std::isfinite(v))
      throw error(fmt::format("{} '{}' is not a number", what, w));
    return v;
  }

  void read_c_unit() {
    const double value = number(expect("the *C_UNIT value"), "*C_UNIT value");
    const std::string unit = expect("the *C_UNIT unit");
    const double scale = capacitance_unit(unit);
    if (scale == 0) throw error(fmt::format("*C_UNIT unit '{}': give F, MF, UF, NF, PF or FF", unit));
    if (value <= 0) throw error(fmt::format("*C_UNIT value {} must be positive", value));
    c_unit_ = value * scale;
  }

  void read_r_unit() {
    const double value = number(expect("the *R_UNIT value"), "*R_UNIT value");
    const std::string unit = expect("the *R_UNIT unit");
    const double scale = resistance_unit(unit);
    if (scale == 0) throw error(fmt::format("*R_UNIT unit '{}': give OHM, KOHM or MOHM", unit));
    if (value <= 0) throw error(fmt::format("*R_UNIT value {} must be positive", value));
    r_unit_ = value * scale;
  }

  void read_bus_delimiter() {
    const std::string first = expect("the bus delimiters");
    bus_open_ = first[0];
    if (first.size() >= 2) {
      bus_close_ = first[1];
    } else {
      const std::string second = expect("the closing bus delimiter");
      if (second.size() == 1 && second[0] != '*') bus_close_ = second[0];
      else pushed_ = second;  // only an opening delimiter given
    }
  }

  void read_name_map() {
    std::string w;
    while (next(w)) {
      if (!is_index(w)) {
        pushed_ = std::move(w);
        return;
      }
      names_[w] = expect("a name-map entry's name");
    }
  }

  // The netlist's name of a SPEF net name: the name map applied, escapes
  // removed, the bus delimiters made [ ].
  std::string netlist_name(const std::string& spef_name) const {
    std::string name = spef_name;
    if (is_index(spef_name)) {
      const auto it = names_.find(spef_name);
      if (it == names_.end()) throw error(fmt::format("{} is not in the *NAME_MAP", spef_name));
      name = it->second;
    }
    std::string out;
    for (std::size_t i = 0; i < name.size(); ++i) {
      char c = name[i];
      if (c == '\\' && i + 1 < name.size()) {
        out += name[++i];
        continue;
      }
      if (c == bus_open_) c = '[';
      else if (c == bus_close_) c = ']';
      out += c;
    }
    return out;
  }

  void read_net(Parasitics& p, const std::string& keyword) {
    if (c_unit_ == 0) throw error(fmt::format("{} before *C_UNIT: its capacitance has no unit", keyword));
    const std::string spef_name = expect("the net's name");
    const std::string name = netlist_name(spef_name);
    const double total = number(expect("the net's total capacitance"), "total capacitance");
    if (total < 0) throw error(fmt::format("net {}: total capacitance {} is negative", name, total));
    const auto it = netlist_.net_by_name.find(name);
    if (it == netlist_.net_by_name.end())
      throw error(fmt::format("net '{}' is not in the netlist (top {}); is this SPEF of another design?", name,
                              netlist_.top));
    const int net = it->second;
    if (p.annotated[net]) throw error(fmt::format("net '{}' is annotated twice", name));
    p.annotated[net] = true;
    p.wire_capacitance[net] = total * c_unit_;
    p.total += total * c_unit_;
    ++p.nets;
    const std::int64_t start = words_.line();
    RcNet rc;
    std::string w;
    enum class Section { none, conn, cap, res } section = Section::none;
    while (next(w)) {
      if (w == "*END") {
        elmore(p, net, rc);
        return;
      }
      if (w == "*D_NET" || w == "*R_NET")
        throw error(fmt::format("{} inside net '{}' (from line {}): its *END is missing", w, name, start));
      if (w == "*CONN") section = Section::conn;
      else if (w == "*CAP") section = Section::cap;
      else if (w == "*RES") section = Section::res;
      else if (w == "*INDUC") section = Section::none;  // inductance: not modelled
      else if (section == Section::conn && (w == "*I" || w == "*P")) read_connection(rc, w == "*I", name);
      else if (section == Section::cap && !w.empty() && w[0] != '*') read_cap(rc, name);
      else if (section == Section::res && !w.empty() && w[0] != '*') read_res(rc, name);
      // Anything else (*C coordinates, *L, *S, *D of a connection, *V, ...) says nothing of R or C.
    }
    throw error(fmt::format("net '{}' (from line {}) has no *END", name, start));
  }

  // One net's RC network as the file gives it.
  struct RcNet {
    std::unordered_map<std::string, int> node_by_name;
    std::vector<double> cap;  // F per node (grounded, coupling counted as grounded, pins' own added)
    struct Resistor {
      int a, b;
      double ohms;
    };
    std::vector<Resistor> resistors;
    int driver = -1;
    struct Sink {
      int node, instance;
      const LibertyPin* pin;
    };
    std::vector<Sink> sinks;
    int node(const std::string& name) {
      const auto [it, fresh] = node_by_name.try_emplace(name, static_cast<int>(cap.size()));
      if (fresh) cap.push_back(0);
      return it->second;
    }
  };

  // A node's name as the netlist spells it: the name map on its instance
  // (or port) part, escapes removed.
  std::string node_name(const std::string& spef_name) const {
    // The last delimiter not escaped (pin names have none; instance names may, escaped).
    std::size_t colon = spef_name.rfind(pin_delimiter_);
    while (colon != std::string::npos && colon > 0 && spef_name[colon - 1] == '\\')
      colon = colon > 1 ? spef_name.rfind(pin_delimiter_, colon - 2) : std::string::npos;
    if (colon == std::string::npos || (colon == 0 && spef_name[0] != '*')) return netlist_name(spef_name);
    return netlist_name(spef_name.substr(0, colon)) + ':' + spef_name.substr(colon + 1);
  }

  void read_connection(RcNet& rc, bool instance_pin, const std::string& net) {
    const std::string spef_name = expect("a connection's name");
    const std::string direction = expect("a connection's direction");
    const std::string name = node_name(spef_name);
    const int node = rc.node(name);
    if (!instance_pin) {  // a port: an input port drives the net
      if (direction == "I" && rc.driver < 0) rc.driver = node;
      return;
    }
    const auto colon = name.rfind(':');
    if (colon == std::string::npos)
      throw error(fmt::format("net '{}': *I {} is not INSTANCE{}PIN", net, spef_name, pin_delimiter_));
    const std::string instance = name.substr(0, colon), pin = name.substr(colon + 1);
    const auto it = instances().find(instance);
    if (it == instances_.end())
      throw error(fmt::format("net '{}': instance '{}' is not in the netlist (top {})", net, instance, netlist_.top));
    const Netlist::Instance& inst = netlist_.instances[it->second];
    const LibertyPin* lib_pin = inst.cell->find_pin(pin);
    if (!lib_pin) throw error(fmt::format("net '{}': cell {} of instance '{}' has no pin {}", net, inst.cell->name, instance, pin));
    if (lib_pin->direction == PinDirection::output) {
      if (rc.driver < 0) rc.driver = node;
    } else if (lib_pin->direction == PinDirection::input) {
      rc.cap[node] += (lib_pin->rise_capacitance + lib_pin->fall_capacitance) / 2;
      rc.sinks.push_back({node, it->second, lib_pin});
    }
  }

  void read_cap(RcNet& rc, const std::string& net) {
    const std::string first = expect("a capacitor's first node");
    const std::string second = expect("a capacitor's value or second node");
    std::string value = second;
    int second_node = -1;
    if (!looks_numeric(second)) {
      second_node = rc.node(node_name(second));
      value = expect("a coupling capacitor's value");
    }
    const double c = number(value, "capacitance");
    if (c < 0) throw error(fmt::format("net '{}': capacitance {} is negative", net, c));
    // A coupling capacitor counts as grounded at the node of this net (the other may be another net's).
    const int a = rc.node(node_name(first));
    rc.cap[a] += c * c_unit_;
    (void)second_node;
  }

  void read_res(RcNet& rc, const std::string& net) {
    const int a = rc.node(node_name(expect("a resistor's first node")));
    const int b = rc.node(node_name(expect("a resistor's second node")));
    const double r = number(expect("a resistor's value"), "resistance");
    if (r < 0) throw error(fmt::format("net '{}': resistance {} is negative", net, r));
    rc.resistors.push_back({a, b, r * r_unit_});
  }

  static bool looks_numeric(const std::string& w) {
    return !w.empty() && (std::isdigit(static_cast<unsigned char>(w[0])) || w[0] == '.' || w[0] == '-' || w[0] == '+');
  }

  // Elmore delays over a spanning tree of the resistors from the driver.
  void elmore(Parasitics& p, int net, const RcNet& rc) {
    if (rc.resistors.empty() || rc.driver < 0 || rc.sinks.empty()) return;
    const std::size_t n = rc.cap.size();
    std::vector<std::vector<std::pair<int, double>>> adjacent(n);
    for (const auto& r : rc.resistors) {
      adjacent[r.a].push_back({r.b, r.ohms});
      adjacent[r.b].push_back({r.a, r.ohms});
    }
    std::vector<int> parent(n, -2), order;
    std::vector<double> to_parent(n, 0);
    parent[rc.driver] = -1;
    order.push_back(rc.driver);
    std::size_t tree_edges = 0;
    for (std::size_t i = 0; i < order.size(); ++i)
      for (const auto& [next, ohms] : adjacent[order[i]])
        if (parent[next] == -2) {
          parent[next] = order[i];
          to_parent[next] = ohms;
          order.push_back(next);
          ++tree_edges;
        }
    // Each resistor is listed from both ends; those beyond the tree close loops (or lie apart from the driver).
    std::size_t reached = 0;
    for (const auto& r : rc.resistors) reached += parent[r.a] != -2 && parent[r.b] != -2;
    p.resistor_loops += static_cast<int>(reached - tree_edges);
    std::vector<double> downstream(n, 0);
    for (std::size_t i = order.size(); i-- > 0;) {
      const int v = order[i];
      downstream[v] += rc.cap[v];
      if (parent[v] >= 0) downstream[parent[v]] += downstream[v];
    }
    std::vector<double> delay(n, 0);
    for (std::size_t i = 1; i < order.size(); ++i) {
      const int v = order[i];
      delay[v] = delay[parent[v]] + to_parent[v] * downstream[v];
    }
    auto& sinks = p.sink_delays[net];
    for (const auto& s : rc.sinks) {
      const double d = parent[s.node] == -2 ? 0 : delay[s.node];
      sinks.push_back({s.instance, s.pin, d});
      p.max_wire_delay = std::max(p.max_wire_delay, d);
    }
    ++p.nets_with_resistance;
  }

  const std::unordered_map<std::string, int>& instances() {
    if (instances_.empty())
      for (std::size_t i = 0; i < netlist_.instances.size(); ++i)
        instances_.emplace(netlist_.instances[i].name, static_cast<int>(i));
    return instances_;
  }

  fs::path path_;
  const Netlist& netlist_;
  Words words_;
  std::string pushed_;  // a word read ahead
  double c_unit_ = 0;   // F
  double r_unit_ = 1;   // ohm (the standard's default unit when *R_UNIT is missing)
  char pin_delimiter_ = ':';
  std::unordered_map<std::string, int> instances_;  // by name, built at the first instance pin
  char bus_open_ = '[', bus_close_ = ']';
  std::unordered_map<std::string, std::string> names_;
};

}  // namespace

double Parasitics::wire_delay(int net, int instance, const LibertyPin* pin) const {
  if (net < 0 || net >= static_cast<int>(sink_delays.size())) return 0;
  for (const SinkDelay& s : sink_delays[net])
    if (s.instance == instance && s.pin == pin) return s.seconds;
  return 0;
}

Parasitics read_spef(const fs::path& path, const Netlist& netlist) {
  base::check_input_file(path, "--spef");
  return SpefReader(path, netlist).read();
}

}  // namespace neuroppa::tech
