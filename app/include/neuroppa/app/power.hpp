// neuroppa power: price any gate-level netlist with activity another
// simulator recorded (VCD or SAIF).
#pragma once

#include <filesystem>
#include <string>

#include "neuroppa/app/context.hpp"
#include "neuroppa/reports/table.hpp"
#include "neuroppa/tech/activity_file.hpp"
#include "neuroppa/tech/power.hpp"

namespace neuroppa::app {

struct PowerRequest {
  std::string lib;                      // name or Liberty file
  std::filesystem::path netlist;        // structural Verilog
  std::string top;
  std::filesystem::path vcd, saif;      // exactly one
  std::filesystem::path spef;           // extracted parasitics, if any
  std::string scope;                    // empty: the scope naming the most nets
  std::string clock = "clk";
  double period = 0;                    // s; 0: from the recorded clock
  bool opensta_compatible = false;
  bool allow_partial = false;
  bool input_nets = true;  // price nets driven by top-level inputs (OpenSTA does not)
  tech::XTransitions x_transitions = tech::XTransitions::none;  // VCD x/z -> 0/1 (OpenSTA: half)
};

struct PowerResult {
  tech::PowerReport report;
  reports::Table power;    // by cell group, with the notes
  reports::Table by_cell;  // by cell type, largest first
};

PowerResult price_activity(const PowerRequest& request, const Context& context);

}  // namespace neuroppa::app
