#include <cmath>
#include "neuroppa/tech/liberty.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <fmt/format.h>

#include "neuroppa/base/error.hpp"
#include "neuroppa/base/file.hpp"

namespace neuroppa::tech {

using liberty::Attribute;
using liberty::Group;

const LibertyPin* LibertyCell::find_pin(std::string_view pin_name) const {
  for (const LibertyPin& p : pins)
    if (p.name == pin_name) return &p;
  return nullptr;
}

const LibertyCell* Library::find_cell(std::string_view cell_name) const {
  const auto it = cell_index.find(cell_name);
  return it == cell_index.end() ? nullptr : &cells[it->second];
}

const WireLoad* Library::default_wire_load_model() const {
  for (const WireLoad& w : wire_loads)
    if (w.name == default_wire_load) return &w;
  return nullptr;
}

double WireLoad::capacitance(int fanout) const {
  if (fanout <= 0) return 0;
  double length = 0;
  if (fanout_length.empty()) {
    length = slope * fanout;
  } else if (fanout > fanout_length.back().first) {
    // Beyond the table: extend from its last point with the slope.
    length = fanout_length.back().second + slope * (fanout - fanout_length.back().first);
  } else {
    // Exact entry, else interpolate between neighbours.
    for (std::size_t i = 0; i < fanout_length.size(); ++i) {
      const auto [f, l] = fanout_length[i];
      if (f == fanout) { length = l; break; }
      if (f > fanout) {
        const auto [f0, l0] = i ? fanout_length[i - 1] : std::pair<int, double>{0, 0.0};
        length = l0 + (l - l0) * (fanout - f0) / (f - f0);
        break;
      }
    }
  }
  return length * capacitance_per_length;
}

namespace {

double axis_coordinate(const Table::Axis& axis, double slew, double load, double constrained) {
  switch (axis.variable) {
    case TableVariable::input_slew: return slew;
    case TableVariable::constrained_slew: return constrained;
    case TableVariable::output_load:
    case TableVariable::related_output_load: return load;
    default: return axis.index.front();
  }
}

}  // namespace

double Table::lookup(double slew, double load) const { return lookup_at(slew, load, slew); }

double Table::lookup_constraint(double related_slew, double constrained_slew) const {
  return lookup_at(related_slew, 0, constrained_slew);
}

double Table::lookup_at(double slew, double load, double constrained) const {
  if (values.empty()) return 0;
  // For each axis: the grid segment [i, i+1] and position t in it (t outside
  // [0, 1] extrapolates linearly from the edge segment).
  std::size_t base[3] = {0, 0, 0};
  double t[3] = {0, 0, 0};
  bool single[3] = {true, true, true};
  for (std::size_t a = 0; a < axes.size(); ++a) {
    const auto& idx = axes[a].index;
    if (idx.size() < 2) continue;
    const double x = axis_coordinate(axes[a], slew, load, constrained);
    std::size_t i = std::upper_bound(idx.begin(), idx.end(), x) - idx.begin();
    i = std::clamp<std::size_t>(i, 1, idx.size() - 1) - 1;
    base[a] = i;
    single[a] = false;
    t[a] = (x - idx[i]) / (idx[i + 1] - idx[i]);
  }
  // Multilinear blend of the 2^d corners.
  double result = 0;
  const std::size_t d = axes.size();
  for (unsigned corner = 0; corner < (1u << d); ++corner) {
    double weight = 1;
    std::size_t offset = 0;
    bool skip = false;
    for (std::size_t a = 0; a < d; ++a) {
      const bool upper = (corner >> a) & 1;
      if (single[a] && upper) { skip = true; break; }
      weight *= single[a] ? 1 : (upper ? t[a] : 1 - t[a]);
      offset = offset * axes[a].index.size() + base[a] + (upper ? 1 : 0);
    }
    if (!skip) result += weight * values[offset];
  }
  return result;
}

namespace {

struct Template {
  std::vector<TableVariable> variables;
  std::vector<std::vector<double>> indices;
};

TableVariable variable_of(std::string_view name) {
  if (name == "input_net_transition" || name == "input_transition_time" || name == "related_pin_transition")
    return TableVariable::input_slew;
  if (name == "total_output_net_capacitance") return TableVariable::output_load;
  if (name == "related_out_total_output_net_capacitance") return TableVariable::related_output_load;
  if (name == "constrained_pin_transition") return TableVariable::constrained_slew;
  return TableVariable::other;
}

class Builder {
 public:
  explicit Builder(std::string source) : source_(std::move(source)) {}

  Library build(const Group& root) {
    if (root.type != "library")
      throw error(root.line, fmt::format("expected a 'library' group, found '{}'", root.type));
    Library lib;
    lib.name = root.name();
    read_units(root, lib.units);
    units_ = lib.units;
    for (const Attribute& a : root.attributes) {
      if (a.name == "nom_voltage") lib.nominal_voltage = number(a, 0) * units_.voltage;
      if (a.name == "default_wire_load") lib.default_wire_load = text(a, 0);
      // As OpenSTA: a fanout load of 0 makes every max_fanout check vacuous.
      if (a.name == "default_fanout_load" && number(a, 0) == 0) warn(a.line, "default_fanout_load is 0.0");
    }
    for (const Group& g : root.groups) {
      if (g.type == "lu_table_template" || g.type == "power_lut_template") read_template(g);
      else if (g.type == "type") read_bus_type(g);
      else if (g.type == "wire_load") lib.wire_loads.push_back(read_wire_load(g));
      else if (g.type == "operating_conditions" && lib.nominal_voltage == 0) {
        if (const Attribute* v = g.find("voltage")) lib.nominal_voltage = number(*v, 0) * units_.voltage;
      }
    }
    for (const Group& g : root.groups) {
      if (g.type != "cell") continue;
      LibertyCell cell = read_cell(g);
      if (lib.cell_index.count(cell.name)) throw error(g.line, fmt::format("cell '{}' is defined twice", cell.name));
      lib.cell_index.emplace(cell.name, lib.cells.size());
      lib.cells.push_back(std::move(cell));
    }
    lib.warnings = std::move(warnings_);
    return lib;
  }

 private:
  Error error(int line, const std::string& what) const { return Error(fmt::format("{}:{}: {}", source_, line, what)); }
  void warn(int line, const std::string& what) const { warnings_.push_back(fmt::format("{}:{}: {}", source_, line, what)); }

  const std::string& text(const Attribute& a, std::size_t i) const {
    if (i >= a.values.size()) throw error(a.line, fmt::format("'{}' needs at least {} value(s)", a.name, i + 1));
    return a.values[i].text;
  }

  double parse_number(std::string_view s, int line, std::string_view what) const {
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
    if (!s.empty() && s.front() == '+') s.remove_prefix(1);
    double v = 0;
    const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc() || end != s.data() + s.size() || s.empty())
      throw error(line, fmt::format("'{}' is not a number (in {})", s, what));
    return v;
  }

  double number(const Attribute& a, std::size_t i) const { return parse_number(text(a, i), a.line, a.name); }

  // "1ns" -> 1e-9 for unit suffixes of one dimension.
  double scaled_unit(const Attribute& a, const std::vector<std::pair<std::string_view, double>>& suffixes) const {
    const std::string& s = text(a, 0);
    std::size_t split = 0;
    while (split < s.size() && (std::isdigit(static_cast<unsigned char>(s[split])) || s[split] == '.' ||
                                s[split] == 'e' || s[split] == '-' || s[split] == '+'))
      ++split;
    // "1e" could swallow nothing meaningful; back off so the suffix keeps its letters.
    while (split > 0 && s[split - 1] == 'e') --split;
    const double scale = split ? parse_number(std::string_view(s).substr(0, split), a.line, a.name) : 1.0;
    std::string suffix = s.substr(split);
    for (auto& c : suffix) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    for (const auto& [name, factor] : suffixes)
      if (suffix == name) return scale * factor;
    throw error(a.line, fmt::format("unknown unit '{}' in {}", s, a.name));
  }

  void read_units(const Group& root, LibertyUnits& u) const {
    for (const Attribute& a : root.attributes) {
      if (a.name == "time_unit")
        u.time = scaled_unit(a, {{"s", 1}, {"ms", 1e-3}, {"us", 1e-6}, {"ns", 1e-9}, {"ps", 1e-12}, {"fs", 1e-15}});
      else if (a.name == "voltage_unit")
        u.voltage = scaled_unit(a, {{"v", 1}, {"mv", 1e-3}, {"kv", 1e3}});
      else if (a.name == "current_unit")
        u.current = scaled_unit(a, {{"a", 1}, {"ma", 1e-3}, {"ua", 1e-6}, {"na", 1e-9}, {"pa", 1e-12}});
      else if (a.name == "leakage_power_unit")
        u.leakage_power =
            scaled_unit(a, {{"w", 1}, {"mw", 1e-3}, {"uw", 1e-6}, {"nw", 1e-9}, {"pw", 1e-12}, {"fw", 1e-15}});
      else if (a.name == "pulling_resistance_unit")
        u.resistance = scaled_unit(a, {{"ohm", 1}, {"kohm", 1e3}, {"mohm", 1e6}});
      else if (a.name == "capacitive_load_unit")
        u.capacitance = capacitance_unit(a);
    }
  }

  double capacitance_unit(const Attribute& a) const {
    const double scale = number(a, 0);
    std::string unit = text(a, 1);
    for (auto& c : unit) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    static const std::pair<std::string_view, double> units[] = {
        {"f", 1}, {"mf", 1e-3}, {"uf", 1e-6}, {"nf", 1e-9}, {"pf", 1e-12}, {"ff", 1e-15}};
    for (const auto& [name, factor] : units)
      if (unit == name) return scale * factor;
    throw error(a.line, fmt::format("unknown unit '{}' in capacitive_load_unit", text(a, 1)));
  }

  // "0.1, 0.2 0.3" (one or several values) -> numbers.
  std::vector<double> number_list(const Attribute& a) const {
    std::vector<double> out;
    for (const auto& v : a.values) {
      std::string_view s = v.text;
      while (!s.empty()) {
        const std::size_t start = s.find_first_not_of(" \t\r\n,");
        if (start == std::string_view::npos) break;
        s.remove_prefix(start);
        const std::size_t end = std::min(s.find_first_of(" \t\r\n,"), s.size());
        out.push_back(parse_number(s.substr(0, end), a.line, a.name));
        s.remove_prefix(end);
      }
    }
    return out;
  }

  void read_template(const Group& g) {
    Template t;
    for (int i = 1; i <= 3; ++i) {
      const Attribute* var = g.find(fmt::format("variable_{}", i));
      if (!var) break;
      t.variables.push_back(variable_of(text(*var, 0)));
      const Attribute* index = g.find(fmt::format("index_{}", i));
      t.indices.push_back(index ? number_list(*index) : std::vector<double>{});
    }
    templates_[g.name()] = std::move(t);
  }

  double axis_scale(TableVariable v) const {
    switch (v) {
      case TableVariable::input_slew:
      case TableVariable::constrained_slew: return units_.time;
      case TableVariable::output_load:
      case TableVariable::related_output_load: return units_.capacitance;
      default: return 1;
    }
  }

  Table read_table(const Group& g, double value_scale) const {
    Table table;
    const std::string& template_name = g.name();
    const Template* tmpl = nullptr;
    if (template_name != "scalar" && !template_name.empty()) {
      const auto it = templates_.find(template_name);
      if (it == templates_.end())
        throw error(g.line, fmt::format("table '{}' uses undefined template '{}'", g.type, template_name));
      tmpl = &it->second;
    }
    std::size_t expected = 1;
    if (tmpl) {
      for (std::size_t a = 0; a < tmpl->variables.size(); ++a) {
        Table::Axis axis;
        axis.variable = tmpl->variables[a];
        const Attribute* own = g.find(fmt::format("index_{}", a + 1));
        axis.index = own ? number_list(*own) : tmpl->indices[a];
        if (axis.index.empty())
          throw error(g.line, fmt::format("table '{}' has no index_{} (template '{}')", g.type, a + 1, template_name));
        for (double& x : axis.index) x *= axis_scale(axis.variable);
        expected *= axis.index.size();
        table.axes.push_back(std::move(axis));
      }
    }
    const Attribute* values = g.find("values");
    if (!values) throw error(g.line, fmt::format("table '{}' has no values", g.type));
    table.values = number_list(*values);
    if (table.values.size() != expected) {
      std::string shape;
      for (const auto& axis : table.axes) {
        if (!shape.empty()) shape += 'x';
        shape += std::to_string(axis.index.size());
      }
      throw error(values->line, fmt::format("table '{}' has {} values; its template '{}' needs {}{}", g.type,
                                            table.values.size(), template_name, expected,
                                            shape.empty() ? "" : " (" + shape + ")"));
    }
    for (double& v : table.values) v *= value_scale;
    return table;
  }

  WireLoad read_wire_load(const Group& g) const {
    WireLoad w;
    w.name = g.name();
    for (const Attribute& a : g.attributes) {
      if (a.name == "capacitance") w.capacitance_per_length = number(a, 0) * units_.capacitance;
      else if (a.name == "slope") w.slope = number(a, 0);
      else if (a.name == "fanout_length")
        w.fanout_length.emplace_back(static_cast<int>(number(a, 0)), number(a, 1));
    }
    std::sort(w.fanout_length.begin(), w.fanout_length.end());
    return w;
  }

  TimingArc read_timing(const Group& g) const {
    TimingArc arc;
    arc.line = g.line;
    for (const Attribute& a : g.attributes) {
      if (a.name == "related_pin") arc.related_pin = text(a, 0);
      else if (a.name == "timing_type") arc.timing_type = text(a, 0);
      else if (a.name == "timing_sense") arc.timing_sense = text(a, 0);
    }
    for (const Group& t : g.groups) {
      if (t.type == "cell_rise") arc.cell_rise = read_table(t, units_.time);
      else if (t.type == "cell_fall") arc.cell_fall = read_table(t, units_.time);
      else if (t.type == "rise_transition") arc.rise_transition = read_table(t, units_.time);
      else if (t.type == "fall_transition") arc.fall_transition = read_table(t, units_.time);
      else if (t.type == "rise_constraint") arc.rise_constraint = read_table(t, units_.time);
      else if (t.type == "fall_constraint") arc.fall_constraint = read_table(t, units_.time);
    }
    return arc;
  }

  InternalPower read_internal_power(const Group& g) const {
    InternalPower p;
    for (const Attribute& a : g.attributes) {
      if (a.name == "related_pin") p.related_pin = text(a, 0);
      else if (a.name == "when") p.when = text(a, 0);
    }
    for (const Group& t : g.groups) {
      if (t.type == "rise_power") p.rise = read_table(t, units_.energy());
      else if (t.type == "fall_power") p.fall = read_table(t, units_.energy());
      else if (t.type == "power") p.rise = p.fall = read_table(t, units_.energy());
    }
    return p;
  }

  PinDirection direction(const Attribute& a) const {
    const std::string& d = text(a, 0);
    if (d == "input") return PinDirection::input;
    if (d == "output") return PinDirection::output;
    if (d == "inout") return PinDirection::inout;
    if (d == "internal") return PinDirection::internal;
    throw error(a.line, fmt::format("unknown pin direction '{}'", d));
  }

  struct BusType {
    long from = 0, to = 0;
    long width() const { return std::labs(from - to) + 1; }
    bool contains(long bit) const { return std::min(from, to) <= bit && bit <= std::max(from, to); }
  };
  // A library-level `type (name) { bit_from : 9; bit_to : 0; ... }`: the
  // bits of the buses that name it.
  // Like OpenSTA, a type without its range is skipped with a warning (a bus
  // naming it is then skipped too).
  void read_bus_type(const Group& g) {
    BusType t;
    bool from = false, to = false;
    const Attribute* width = nullptr;
    for (const Attribute& a : g.attributes) {
      if (a.name == "bit_from") t.from = bit_index(a), from = true;
      else if (a.name == "bit_to") t.to = bit_index(a), to = true;
      else if (a.name == "bit_width") width = &a;
    }
    if (!from || !to) {
      warn(g.line, fmt::format("bus type '{}' has no {}; buses of this type are skipped", g.name(),
                               from ? "bit_to" : "bit_from"));
      return;
    }
    if (width && number(*width, 0) != double(t.width()))
      warn(width->line, fmt::format("bus type '{}': bit_width {} but bit_from {} .. bit_to {} is {} bits", g.name(),
                                    text(*width, 0), t.from, t.to, t.width()));
    bus_types_[g.name()] = t;
  }
  long bit_index(const Attribute& a) const {
    const double v = number(a, 0);
    if (!(v >= 0 && v < kMaxBusBits) || v != std::floor(v))
      throw error(a.line, fmt::format("'{}' {} is not a bit index (0..{})", a.name, text(a, 0), kMaxBusBits - 1));
    return static_cast<long>(v);
  }
  static constexpr long kMaxBusBits = 1 << 16;

  // The bit pins a pin or bus name stands for: "A[9:0]" -> A[9] .. A[0],
  // "A[3]" -> itself, a bus group's own name -> the bits of its bus_type.
  std::vector<std::string> bit_names(const std::string& name, const Group& g, const BusType* type) const {
    const std::size_t open = name.find('[');
    const std::size_t colon = name.find(':', open == std::string::npos ? name.size() : open);
    std::string base = name;
    BusType range;
    if (open != std::string::npos && colon != std::string::npos && name.back() == ']') {
      base = name.substr(0, open);
      try {
        range.from = std::stol(name.substr(open + 1, colon - open - 1));
        range.to = std::stol(name.substr(colon + 1, name.size() - colon - 2));
      } catch (const std::exception&) {
        throw error(g.line, fmt::format("pin '{}': the bit range is not two numbers", name));
      }
      if (range.from < 0 || range.to < 0 || std::labs(range.from - range.to) >= kMaxBusBits)
        throw error(g.line, fmt::format("pin '{}': bit range out of bounds (0..{})", name, kMaxBusBits - 1));
    } else if (g.type == "bus" && type) {
      range = *type;
    } else {
      return {name};
    }
    std::vector<std::string> bits;
    for (long i = range.from;; i += range.from > range.to ? -1 : 1) {
      bits.push_back(fmt::format("{}[{}]", base, i));
      if (i == range.to) break;
    }
    return bits;
  }

  // One pin group; `defaults` carries what an enclosing bus group set.
  void read_pins(const Group& g, const LibertyPin& defaults, std::vector<LibertyPin>& out) const {
    LibertyPin pin = defaults;
    bool rise_given = false, fall_given = false;
    for (const Attribute& a : g.attributes) {
      if (a.name == "direction") pin.direction = direction(a);
      else if (a.name == "capacitance") pin.capacitance = number(a, 0) * units_.capacitance;
      else if (a.name == "rise_capacitance") { pin.rise_capacitance = number(a, 0) * units_.capacitance; rise_given = true; }
      else if (a.name == "fall_capacitance") { pin.fall_capacitance = number(a, 0) * units_.capacitance; fall_given = true; }
      else if (a.name == "function") pin.function = text(a, 0);
      else if (a.name == "three_state") pin.three_state = text(a, 0);
      else if (a.name == "clock") pin.clock = text(a, 0) == "true";
    }
    if (!rise_given) pin.rise_capacitance = pin.capacitance;
    if (!fall_given) pin.fall_capacitance = pin.capacitance;
    if (pin.capacitance == 0 && (rise_given || fall_given))
      pin.capacitance = std::max(pin.rise_capacitance, pin.fall_capacitance);
    for (const Group& sub : g.groups) {
      if (sub.type == "timing") pin.timing.push_back(read_timing(sub));
      else if (sub.type == "internal_power") pin.internal_power.push_back(read_internal_power(sub));
    }
    const BusType* type = nullptr;
    if (g.type == "bus") {
      const Attribute* bus_type = g.find("bus_type");
      if (!bus_type) throw error(g.line, fmt::format("bus '{}' has no bus_type", g.name()));
      const auto found = bus_types_.find(text(*bus_type, 0));
      if (found == bus_types_.end()) {
        warn(bus_type->line, fmt::format("bus '{}': bus_type '{}' is not defined (or has no range); the bus is skipped",
                                         g.name(), text(*bus_type, 0)));
        return;
      }
      type = &found->second;
    }
    if (g.type == "bus" || g.type == "bundle") {
      bool has_members = false;
      for (const Group& sub : g.groups) {
        if (sub.type == "pin") {
          const std::size_t first = out.size();
          read_pins(sub, pin, out);
          if (type) check_bus_members(g, sub, *type, first, out);
          has_members = true;
        }
      }
      if (has_members) return;
    }
    if (g.args.empty()) throw error(g.line, fmt::format("{} group without a name", g.type));
    for (const auto& name : g.args)  // pin (A, B) { ... } declares both
      for (std::string& bit : bit_names(name.text, g, type)) {
        pin.name = std::move(bit);
        out.push_back(pin);
      }
  }

  // The bit pins a bus's member pin group declared (out[first..]) must be
  // bits of the bus, inside its type's range.
  void check_bus_members(const Group& bus, const Group& member, const BusType& type, std::size_t first,
                         const std::vector<LibertyPin>& out) const {
    const std::string prefix = bus.name() + "[";
    for (std::size_t i = first; i < out.size(); ++i) {
      const std::string& name = out[i].name;
      long bit = -1;
      if (name.rfind(prefix, 0) == 0 && name.back() == ']') {
        try {
          bit = std::stol(name.substr(prefix.size(), name.size() - prefix.size() - 1));
        } catch (const std::exception&) {
        }
      }
      if (bit < 0 || !type.contains(bit)) {
        warn(member.line, fmt::format("bus '{}' ({} bits, {}..{}): member pin '{}' is not one of its bits", bus.name(),
                                      type.width(), type.from, type.to, name));
        return;  // once per member group
      }
    }
  }

  // As OpenSTA: an arc from an output pin is unusual (ASAP7's adders have
  // them on purpose); say so, keep it.
  void check_related_pins(const LibertyCell& cell) const {
    for (const LibertyPin& pin : cell.pins)
      for (const TimingArc& arc : pin.timing) {
        std::size_t at = 0;
        while (at < arc.related_pin.size()) {  // "A B" names two pins
          const std::size_t end = std::min(arc.related_pin.find(' ', at), arc.related_pin.size());
          const std::string name = arc.related_pin.substr(at, end - at);
          at = end + 1;
          if (name.empty()) continue;
          const LibertyPin* from = cell.find_pin(name);
          if (!from) from = cell.find_pin(name + "[0]");  // a bus named whole: its bits share a direction
          if (from && from->direction == PinDirection::output)
            warn(arc.line, fmt::format("cell '{}' pin '{}': timing group from output pin '{}'", cell.name, pin.name, name));
        }
      }
  }

  Sequential read_sequential(const Group& g) const {
    Sequential s;
    s.latch = g.type == "latch";
    if (g.args.size() >= 1) s.state = g.args[0].text;
    if (g.args.size() >= 2) s.state_inverted = g.args[1].text;
    for (const Attribute& a : g.attributes) {
      const std::string& v = text(a, 0);
      if (a.name == "clocked_on") s.clocked_on = v;
      else if (a.name == "next_state") s.next_state = v;
      else if (a.name == "enable") s.enable = v;
      else if (a.name == "data_in") s.data_in = v;
      else if (a.name == "clear") s.clear = v;
      else if (a.name == "preset") s.preset = v;
      else if (a.name == "clear_preset_var1") s.clear_preset_var1 = v;
      else if (a.name == "clear_preset_var2") s.clear_preset_var2 = v;
    }
    return s;
  }

  LibertyCell read_cell(const Group& g) const {
    LibertyCell cell;
    cell.name = g.name();
    if (cell.name.empty()) throw error(g.line, "cell group without a name");
    for (const Attribute& a : g.attributes) {
      if (a.name == "area") cell.area = number(a, 0);
      else if (a.name == "cell_leakage_power") cell.cell_leakage_power = number(a, 0) * units_.leakage_power;
      else if (a.name == "dont_use") cell.dont_use = text(a, 0) == "true";
    }
    for (const Group& sub : g.groups) {
      if (sub.type == "pin" || sub.type == "bus" || sub.type == "bundle") {
        read_pins(sub, LibertyPin{}, cell.pins);
      } else if (sub.type == "leakage_power") {
        LeakageState state;
        for (const Attribute& a : sub.attributes) {
          if (a.name == "value") state.power = number(a, 0) * units_.leakage_power;
          else if (a.name == "when") state.when = text(a, 0);
        }
        cell.leakage_power.push_back(state);
      } else if (sub.type == "ff" || sub.type == "latch") {
        cell.sequential = read_sequential(sub);
      } else if (sub.type == "statetable" || sub.type == "ff_bank" || sub.type == "latch_bank") {
        cell.has_statetable = true;
      }
    }
    check_related_pins(cell);
    return cell;
  }

  std::string source_;
  LibertyUnits units_;
  std::map<std::string, Template, std::less<>> templates_;
  std::map<std::string, BusType, std::less<>> bus_types_;
  mutable std::vector<std::string> warnings_;
};

}  // namespace

std::filesystem::path resolve_library(const std::string& name_or_path) {
  namespace fs = std::filesystem;
  static const std::pair<std::string_view, std::string_view> kDebian[] = {
      {"osu018", "/usr/share/qflow/tech/osu018/osu018_stdcells.lib"},
      {"osu035", "/usr/share/qflow/tech/osu035/osu035_stdcells.lib"},
      {"osu050", "/usr/share/qflow/tech/osu050/osu05_stdcells.lib"}};
  for (const auto& [name, path] : kDebian) {
    if (name_or_path != name) continue;
    if (!fs::exists(path))
      throw Error(fmt::format("library {} ({}) is not installed: install the Debian package qflow-tech-{}",
                              name, path, name));
    return path;
  }
  if (!fs::exists(name_or_path))
    throw Error(fmt::format("library '{}' not found: give osu018, osu035, osu050 or a Liberty file", name_or_path));
  return name_or_path;
}

Library read_liberty_text(std::string_view text, const std::string& source) {
  Library lib = Builder(source).build(liberty::parse(text, source));
  return lib;
}

Library read_liberty(const std::filesystem::path& path) {
  Library lib = read_liberty_text(base::read_file(path), path.string());
  lib.path = path;
  return lib;
}

}  // namespace neuroppa::tech
