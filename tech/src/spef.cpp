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
    std::string w;
    if (!next(w) || w != "*SPEF") throw error("not a SPEF file: it does not begin with *SPEF");
    while (next(w)) {
      if (w == "*C_UNIT") read_c_unit();
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
    std::string w;
    while (next(w))
      if (w == "*END") return;
      else if (w == "*D_NET" || w == "*R_NET")
        throw error(fmt::format("{} inside net '{}' (from line {}): its *END is missing", w, name, start));
    throw error(fmt::format("net '{}' (from line {}) has no *END", name, start));
  }

  fs::path path_;
  const Netlist& netlist_;
  Words words_;
  std::string pushed_;  // a word read ahead
  double c_unit_ = 0;   // F
  char bus_open_ = '[', bus_close_ = ']';
  std::unordered_map<std::string, std::string> names_;
};

}  // namespace

Parasitics read_spef(const fs::path& path, const Netlist& netlist) {
  base::check_input_file(path, "--spef");
  return SpefReader(path, netlist).read();
}

}  // namespace neuroppa::tech
