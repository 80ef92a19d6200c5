// neuroppa power: price a gate-level netlist with activity another
// simulator recorded (VCD or SAIF).
#include <algorithm>
#include <cstdio>
#include <fmt/format.h>

#include "commands.hpp"
#include "neuroppa/models/error.hpp"
#include "neuroppa/reports/table.hpp"
#include "neuroppa/tech/activity_file.hpp"
#include "neuroppa/tech/model_build.hpp"
#include "neuroppa/tech/power.hpp"
#include "neuroppa/tech/synthesis.hpp"
#include "options.hpp"

namespace neuroppa::cli {
namespace {

struct PowerCommandOptions {
  std::string lib, netlist, top, vcd, saif, scope, clock = "clk", period, format = "md";
  bool opensta = false;
  bool allow_partial = false;
  bool by_cell = false;
};

reports::Table power_table(const tech::PowerReport& r) {
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

int run_power(const PowerCommandOptions& o, const GlobalOptions& global) {
  if (o.vcd.empty() == o.saif.empty()) throw Error("give exactly one activity file: --vcd FILE or --saif FILE");
  const reports::Format format = reports::parse_format(o.format);
  double period = o.period.empty() ? 0 : parse_period(o.period);  // checked before any work
  const tech::Library library = tech::read_liberty(tech::resolve_library(o.lib));
  const auto cache_dir = global.cache_dir.empty() ? tech::default_cache_dir() : global.cache_dir;
  const auto progress = [&](std::string_view s) {
    if (!global.quiet) fmt::print(stderr, "{}", s);
  };
  const auto json = tech::netlist_json_from_verilog(o.netlist, o.top, library.path, cache_dir, progress);
  const tech::Netlist netlist = tech::read_yosys_json(json, o.top, library);
  if (!netlist.find_port(o.clock))
    throw Error(fmt::format("--clock {}: {} has no such port", o.clock, o.top));
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
  const tech::Activity activity = tech::annotate(netlist, file, scope, o.clock, period, o.allow_partial, annotation);
  tech::PowerOptions options;
  options.frequency = 1 / period;
  options.opensta_2019_compatible = o.opensta;
  const tech::PowerReport report = tech::estimate_power(netlist, library, activity, options);

  reports::Table table = power_table(report);
  table.notes = {
      fmt::format("Activity: {} scope '{}', {:.6g} s = {:.1f} cycles of {:.6g} ns. Annotated {} of {} instance pins "
                  "({} tied to constants, {} not found in the file); {} of {} nets.",
                  file.path.string(), annotation.scope, file.duration, annotation.cycles, period * 1e9,
                  annotation.pins_annotated, annotation.pins, annotation.pins_constant,
                  annotation.pins - annotation.pins_annotated - annotation.pins_constant, annotation.nets_annotated,
                  annotation.nets),
      fmt::format("Library {} at {} V; {} cells, {:.6g} µm²{}. Rules: {}.", library.name, library.nominal_voltage,
                  netlist.instances.size(), tech::area_of(netlist).total, physical_only_note(netlist),
                  o.opensta ? "as Debian OpenSTA 2019 prices activity" : "neuroppa's (see README)"),
      "Switching uses pin capacitances and the library's wire load, not the design's parasitics; the recorded "
      "activity is zero-delay unless the simulator that wrote it modelled delays.",
      "Command: " + global.command_line};
  fmt::print("{}", reports::write(table, format));
  if (format == reports::Format::markdown || format == reports::Format::latex || o.by_cell)
    fmt::print("\n{}", reports::write(cell_table(report), format));
  return 0;
}

}  // namespace

Runner add_power_command(CLI::App& app, const GlobalOptions& global) {
  auto o = std::make_shared<PowerCommandOptions>();
  CLI::App* cmd = app.add_subcommand(
      "power", "Price any gate-level netlist with activity recorded by another simulator (VCD or SAIF).");
  cmd->add_option("--lib", o->lib, "osu018, osu035, osu050 or a Liberty file (.lib or .lib.gz)")->required();
  cmd->add_option("--netlist", o->netlist, "Structural Verilog netlist of the library's cells")->required();
  cmd->add_option("--top", o->top, "Top module")->required();
  cmd->add_option("--vcd", o->vcd, "Value-change dump (plain or .gz)");
  cmd->add_option("--saif", o->saif, "SAIF file (plain or .gz)");
  cmd->add_option("--scope", o->scope,
                  "Instance path of the design in the file, e.g. tb/dut (default: the scope naming the most nets)");
  cmd->add_option("--clock", o->clock, "Clock port")->capture_default_str();
  cmd->add_option("--period", o->period, "Clock period, e.g. 5ns (default: from the recorded clock)");
  cmd->add_option("--format", o->format, "md, csv, json or tex")->capture_default_str();
  cmd->add_flag("--by-cell", o->by_cell, "Also print power by cell type (always in md and tex)");
  cmd->add_flag("--allow-partial", o->allow_partial,
                "Price nets the activity file does not name as idle instead of stopping");
  cmd->add_flag("--opensta-compatible", o->opensta, "Price as Debian's OpenSTA 2019 does (for cross-checks)");
  return [o, &global] { return run_power(*o, global); };
}

}  // namespace neuroppa::cli
