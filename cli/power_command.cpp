// neuroppa power: options of app::price_activity.
#include <fmt/format.h>

#include "commands.hpp"
#include "neuroppa/app/power.hpp"
#include "options.hpp"

namespace neuroppa::cli {
namespace {

struct PowerOptions {
  app::PowerRequest request;
  std::string vcd, saif, period, format = "md", input_nets = "include", x_transitions = "none";
  bool by_cell = false;
};

int run_power(PowerOptions o, const GlobalOptions& global) {
  const reports::Format format = reports::parse_format(o.format);
  if (!o.period.empty()) o.request.period = parse_period(o.period);  // checked before any work
  o.request.vcd = o.vcd;
  o.request.input_nets = o.input_nets == "include";
  o.request.x_transitions = o.x_transitions == "half" ? tech::XTransitions::half : tech::XTransitions::none;
  o.request.saif = o.saif;
  const app::PowerResult result = app::price_activity(o.request, global.context());
  fmt::print("{}", reports::write(result.power, format));
  if (format == reports::Format::markdown || format == reports::Format::latex || o.by_cell)
    fmt::print("\n{}", reports::write(result.by_cell, format));
  return 0;
}

}  // namespace

Runner add_power_command(CLI::App& app, const GlobalOptions& global) {
  auto o = std::make_shared<PowerOptions>();
  app::PowerRequest& r = o->request;
  CLI::App* cmd = app.add_subcommand(
      "power", "Price any gate-level netlist with activity recorded by another simulator (VCD or SAIF).");
  cmd->add_option("--lib", r.lib, "osu018, osu035, osu050 or a Liberty file (.lib or .lib.gz)")->required();
  cmd->add_option("--netlist", r.netlist, "Structural Verilog netlist of the library's cells")->required();
  cmd->add_option("--top", r.top, "Top module")->required();
  cmd->add_option("--vcd", o->vcd, "Value-change dump (plain or .gz)");
  cmd->add_option("--saif", o->saif, "SAIF file (plain or .gz)");
  cmd->add_option("--spef", r.spef,
                  "Extracted parasitics (SPEF, plain or .gz): each annotated net's wire capacitance joins its load "
                  "(switching and internal power, slews) in place of the library's wire load");
  cmd->add_option("--scope", r.scope,
                  "Instance path of the design in the file, e.g. tb/dut (default: the scope naming the most nets)");
  cmd->add_option("--clock", r.clock, "Clock port")->capture_default_str();
  cmd->add_option("--period", o->period, "Clock period, e.g. 5ns (default: from the recorded clock)");
  cmd->add_option("--format", o->format, "md, csv, json or tex")->capture_default_str();
  cmd->add_flag("--by-cell", o->by_cell, "Also print power by cell type (always in md and tex)");
  cmd->add_flag("--allow-partial", r.allow_partial,
                "Price nets the activity file does not name as idle instead of stopping");
  cmd->add_option("--input-nets", o->input_nets,
                  "Nets driven by top-level inputs (clock port included): include (priced, its own line) or exclude "
                  "(as OpenSTA)")
      ->check(one_of("--input-nets", {"include", "exclude"}))
      ->capture_default_str();
  cmd->add_option("--x-transitions", o->x_transitions,
                  "VCD changes from x/z to 0/1: none (no transition) or half (as OpenSTA's VCD reader)")
      ->check(one_of("--x-transitions", {"none", "half"}))
      ->capture_default_str();
  cmd->add_flag("--opensta-compatible", r.opensta_compatible,
                "Price as Debian's OpenSTA 2019 does (for cross-checks)");
  return [o, &global] { return run_power(*o, global); };
}

}  // namespace neuroppa::cli
