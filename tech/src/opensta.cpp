#include "neuroppa/tech/opensta.hpp"

#include <fmt/format.h>
#include <fstream>
#include <sstream>

#include "neuroppa/base/error.hpp"
#include "neuroppa/base/file.hpp"
#include "neuroppa/tech/liberty_syntax.hpp"
#include "neuroppa/base/process.hpp"

namespace neuroppa::tech {
namespace fs = std::filesystem;

namespace {

// A file as sta can read it (uncompressed).
fs::path plain_file(const fs::path& path, const fs::path& work_dir) {
  if (path.extension() != ".gz") return path;
  const fs::path out = work_dir / path.stem();
  base::write_file(out, base::read_file(path));
  return out;
}

// Runs sta on a script that first reads and constrains the design.
std::string run_sta(const StaDesign& d, const std::string& commands, const fs::path& work_dir,
                    const std::string& name) {
  base::require_tool("sta", "opensta");
  fs::create_directories(work_dir);
  const double period = d.period / d.library->units.time;  // in the library's time unit
  const std::string script = fmt::format(
      "read_liberty {{{}}}\n"
      "read_verilog {{{}}}\n"
      "link_design {}\n"
      "create_clock -name clk -period {} [get_ports {{{}}}]\n"
      "set_input_delay 0 -clock clk [delete_from_list [all_inputs] [get_ports {{{}}}]]\n"
      "set_output_delay 0 -clock clk [all_outputs]\n"
      "{}{}",
      plain_file(d.library->path, work_dir).string(), fs::absolute(d.netlist_verilog).string(), d.top, period,
      d.clock, d.clock,
      d.spef.empty() ? "" : fmt::format("read_spef {{{}}}\n", fs::absolute(plain_file(d.spef, work_dir)).string()),
      commands);
  const fs::path tcl = work_dir / (name + ".tcl"), log = work_dir / (name + ".log");
  base::write_file(tcl, script);
  fs::remove(log);
  const int rc = base::run_logged({"sta", "-no_splash", "-exit", tcl.string()}, log, work_dir);
  const std::string out = base::read_file(log);
  if (rc != 0 || out.find("Error") != std::string::npos)
    throw Error(fmt::format("OpenSTA failed on {} (exit status {}); log: {}\n{}", d.top, rc, log.string(),
                            base::tail_of_file(log, 6)));
  return out;
}

PowerParts power_row(const std::string& out, const std::string& label) {
  const std::size_t at = out.find("\n" + label);
  if (at == std::string::npos) throw Error("OpenSTA report_power has no '" + label + "' row");
  std::istringstream row(out.substr(at + 1 + label.size()));
  PowerParts p;
  double total = 0;
  row >> p.internal >> p.switching >> p.leakage >> total;
  if (!row) throw Error("cannot read OpenSTA report_power row '" + label + "'");
  return p;
}

}  // namespace

StaPowerReport opensta_power(const StaDesign& d, double activity, double duty, const fs::path& work_dir) {
  const std::string out = run_sta(
      d, fmt::format("set_power_activity -global -activity {} -duty {}\nreport_power -digits 8\n", activity, duty),
      work_dir, "power");
  return {power_row(out, "Sequential"), power_row(out, "Combinational"), power_row(out, "Total")};
}

StaTimingReport opensta_timing(const StaDesign& d, const fs::path& work_dir) {
  const std::string out =
      run_sta(d, "report_checks -path_delay max -path_group clk -digits 6\n", work_dir, "timing");
  StaTimingReport t;
  const auto field = [&](const std::string& key) {
    const std::size_t at = out.find(key);
    if (at == std::string::npos) return std::string();
    const std::size_t start = at + key.size();
    return out.substr(start, out.find('\n', start) - start);
  };
  t.startpoint = field("Startpoint: ");
  t.endpoint = field("Endpoint: ");
  const std::size_t slack_at = out.rfind("slack (");
  if (slack_at == std::string::npos || t.startpoint.empty())
    throw Error(fmt::format("OpenSTA found no constrained path in {} (is '{}' the clock?)", d.top, d.clock));
  const std::size_t line_start = out.rfind('\n', slack_at) + 1;
  t.slack = std::stod(out.substr(line_start, slack_at - line_start)) * d.library->units.time;
  t.min_period = d.period - t.slack;
  return t;
}

}  // namespace neuroppa::tech
