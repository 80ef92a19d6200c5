#include "neuroppa/app/power.hpp"
#include "neuroppa/tech/spef.hpp"

#include <algorithm>
#include <optional>
#include <fmt/format.h>

#include "neuroppa/base/error.hpp"
#include "neuroppa/tech/activity_file.hpp"
#include "neuroppa/tech/synthesis.hpp"

namespace neuroppa::app {
namespace {

reports::Table power_table(const tech::PowerReport& r, bool input_nets) {
  reports::Table t;
  t.title = "Power";
  t.columns = {{"group", ""}, {"internal", "µW", 4}, {"switching", "µW", 4}, {"leakage", "µW", 4}, {"total", "µW", 4}};
  const auto row = [&](const char* name, const tech::PowerParts& p) {
    t.rows.push_back({std::string(name), p.internal * 1e6, p.switching * 1e6, p.leakage * 1e6, p.total() * 1e6});
  };
  row("sequential", r.sequential);
  row("combinational", r.combinational);
  row("clock", r.clock);
  row("total", r.total);
  if (input_nets) row("of which nets driven by top-level inputs", r.input_nets);
  return t;
}

std::string physical_only_note(const tech::Netlist& netlist) {
  std::string note;
  for (const auto& [cell, count] : netlist.physical_only)
    note += fmt::format("{}{} {}", note.empty() ? "; left out, not in the library and unconnected: " : ", ", count, cell);
  return note;
}

// Power by cell type, largest first.
reports::Table cell_table(const tech::PowerReport& r) {
  reports::Table t;
  t.title = "Power by cell type";
  t.columns = {{"cell", ""}, {"internal", "µW", 4}, {"switching", "µW", 4}, {"leakage", "µW", 4}, {"total", "µW", 4},
               {"share", "%", 3}};
  std::vector<std::pair<std::string, tech::PowerParts>> cells(r.per_cell.begin(), r.per_cell.end());
  std::sort(cells.begin(), cells.end(), [](const auto& a, const auto& b) { return a.second.total() > b.second.total(); });
  for (const auto& [cell, p] : cells)
    t.rows.push_back({cell, p.internal * 1e6, p.switching * 1e6, p.leakage * 1e6, p.total() * 1e6,
                      100 * p.total() / r.total.total()});
  return t;
}

// What the SPEF added: nets annotated, wire capacitance, its share of the nets' load.
std::string wires_note(const tech::Parasitics& p, const tech::Netlist& netlist, const tech::Library& library,
                       const tech::PowerOptions& options) {
  double load = 0;
  for (const double c : tech::net_loads(netlist, library, options.wire_load, options.opensta_2019_compatible, &p))
    load += c;
  return fmt::format("Wires: {} annotates {} of {} nets with {:.6g} pF of wire capacitance ({:.1f}% of the nets' load, "
                     "pins included; coupling counted as grounded), in place of the library's wire load on those nets. "
                     "The recorded activity is zero-delay unless the simulator that wrote it modelled delays.",
                     p.path.string(), p.nets, netlist.net_count(), p.total * 1e12, load > 0 ? 100 * p.total / load : 0);
}

}  // namespace

PowerResult price_activity(const PowerRequest& o, const Context& context) {
  if (o.vcd.empty() == o.saif.empty()) throw Error("give exactly one activity file: --vcd FILE or --saif FILE");
  double period = o.period;
  const tech::Library library = read_library(o.lib, context);
  const auto json = tech::netlist_json_from_verilog(o.netlist, o.top, library.path, context.cache_dir, context.tools);
  const tech::Netlist netlist = tech::read_yosys_json(json, o.top, library);
  if (!netlist.find_port(o.clock))
    throw Error(fmt::format("--clock {}: {} has no such port", o.clock, o.top));
  // Parasitics first: a SPEF of another design is refused before the activity is read.
  const std::optional<tech::Parasitics> parasitics =
      o.spef.empty() ? std::nullopt : std::optional(tech::read_spef(o.spef, netlist));
  const tech::ActivityFile file = o.vcd.empty() ? tech::read_saif(o.saif) : tech::read_vcd(o.vcd);

  const std::string scope = tech::choose_scope(netlist, file, o.scope);
  if (period == 0) {
    // The clock's own toggles give the period.
    const auto& signals = file.scopes.at(scope);
    const auto clk = signals.find(o.clock);
    if (clk != signals.end() && clk->second.toggles >= 2) period = file.duration / (clk->second.toggles / 2.0);
    if (!(period > 0))
      throw Error(fmt::format("cannot tell the clock period: {} scope '{}' does not record clock '{}' toggling; "
                              "give --period", file.path.string(), scope, o.clock));
  }
  tech::Annotation annotation;
  const tech::Activity activity = tech::annotate(netlist, file, scope, o.clock, period, o.allow_partial, annotation,
                                                  o.x_transitions);
  tech::PowerOptions options;
  options.frequency = 1 / period;
  options.opensta_2019_compatible = o.opensta_compatible;
  options.input_nets = o.input_nets;
  if (parasitics) options.parasitics = &*parasitics;
  const tech::PowerReport report = tech::estimate_power(netlist, library, activity, options);

  reports::Table table = power_table(report, o.input_nets && !o.opensta_compatible);
  table.notes = {
      fmt::format("Activity: {} scope '{}', {:.6g} s = {:.1f} cycles of {:.6g} ns. Annotated {} of {} instance pins "
                  "({} tied to constants, {} not found in the file); {} of {} nets.",
                  file.path.string(), annotation.scope, file.duration, annotation.cycles, period * 1e9,
                  annotation.pins_annotated, annotation.pins, annotation.pins_constant,
                  annotation.pins - annotation.pins_annotated - annotation.pins_constant, annotation.nets_annotated,
                  annotation.nets),
      fmt::format("Library {} at {} V; {} cells, {:.6g} µm²{}. Rules: {}.", library.name, library.nominal_voltage,
                  netlist.instances.size(), tech::area_of(netlist).total, physical_only_note(netlist),
                  o.opensta_compatible ? "as Debian OpenSTA 2019 prices activity" : "neuroppa's (see README)"),
      parasitics ? wires_note(*parasitics, netlist, library, options)
                 : "Switching uses pin capacitances and the library's wire load, not the design's parasitics (give "
                   "--spef FILE); the recorded activity is zero-delay unless the simulator that wrote it modelled "
                   "delays.",
      fmt::format("Nets driven by top-level inputs (clock port included): {}; x/z -> 0/1 in the file: {}.",
                  o.input_nets && !o.opensta_compatible ? "priced (--input-nets exclude leaves them out, as OpenSTA does)"
                                                        : "left out, as OpenSTA does",
                  o.x_transitions == tech::XTransitions::half ? "half a transition each, as OpenSTA counts"
                                                              : "no transition (--x-transitions half counts half, as OpenSTA)"),
      "Command: " + context.command_line};
  return {report, std::move(table), cell_table(report)};
}

}  // namespace neuroppa::app
