// Cross-checks with OpenSTA (Debian `opensta`, the `sta` command): power
// with one global activity (set_power_activity -global) and the critical
// path of a gate-level netlist. One sta process per call.
#pragma once

#include <filesystem>
#include <string>

#include "neuroppa/tech/liberty.hpp"
#include "neuroppa/tech/power.hpp"

namespace neuroppa::tech {

struct StaDesign {
  const Library* library = nullptr;  // its path is given to sta
  std::filesystem::path netlist_verilog;  // structural Verilog (yosys write_verilog)
  std::string top;
  std::string clock;                 // clock input port
  double period = 10e-9;             // s
  std::filesystem::path spef;        // extracted parasitics (read_spef), if any
};

struct StaPowerReport {
  PowerParts sequential, combinational, total;  // W, as report_power prints them
};

struct StaTimingReport {
  double slack = 0;        // s, worst setup slack of the clock's path group
  double min_period = 0;   // s: period - slack
  double fmax() const { return min_period > 0 ? 1 / min_period : 0; }
  std::string startpoint, endpoint;
};

// report_power with every non-clock pin at `activity` transitions per
// cycle and `duty`, inputs delayed on the clock (so that every cell is in
// the clock's domain). Throws neuroppa::Error naming the log if sta fails.
StaPowerReport opensta_power(const StaDesign& design, double activity, double duty,
                             const std::filesystem::path& work_dir);

// report_checks: the worst setup path of the clock's group, inputs and
// outputs constrained at the clock edge with no external delay.
StaTimingReport opensta_timing(const StaDesign& design, const std::filesystem::path& work_dir);

}  // namespace neuroppa::tech
