// neuroppa paper: the paper's tables (T1 kernels, T2 networks, T3 energy
// breakdown) in Markdown, CSV, JSON and LaTeX, and its SVG plots, from one
// call. Every file carries its provenance; two runs with the same inputs
// give the same bytes apart from the "generated:" line.
#pragma once

#include <algorithm>
#include <filesystem>
#include <string>
#include <vector>

#include "neuroppa/app/context.hpp"
#include "neuroppa/models/kernel.hpp"
#include "neuroppa/reports/table.hpp"
#include "neuroppa/tech/timed_activity.hpp"

namespace neuroppa::app {

struct PaperRequest {
  std::filesystem::path out = "paper";            // folder to write
  std::vector<std::string> libs = {"osu018", "osu035"};  // T1; the first also prices T2/T3
  std::vector<unsigned> Ks = {9, 25, 49};         // T1
  // T1's kinds (mac, the baseline, is always priced, first); empty: the built-ins.
  std::vector<models::KernelKind> kinds;
  std::vector<std::string> models;                // T2/T3; default: every bundled model
  std::size_t images = 10000;                     // T2/T3, at macro level
  std::size_t check_images = 200;                 // T2's check: the first ones also at gate level
  double kernel_frequency = 25e6;                 // T1 clock
  double frequency = 50e6;                        // T2/T3 platform clock
  std::uint64_t beats = 5000;                     // T1
  std::uint64_t seed = 1;                         // T1
  unsigned lanes = 16, net_K = 16;                // T2/T3
  tech::ActivityMode activity{true, 1};           // T1: every cycle replayed with gate delays
  bool layout = false;  // T1: also each kernel placed and routed (qflow) and priced with its wires (OSU libraries)
  tech::ActivityMode network_activity{true, 0.05};  // T2's gate-level check: a sampled fraction
  std::size_t checked_images() const { return std::min(check_images, images); }
};

struct PaperResult {
  // t1_kernels, t2_networks, t3a_energy_by_cell_group, t3b_energy_by_layer,
  // each with its provenance, as written in every format.
  std::vector<std::pair<std::string, reports::Table>> tables;
  std::vector<std::filesystem::path> files;  // every file written
};

// Every option is checked before the first (long) step.
PaperResult write_paper(const PaperRequest& request, const Context& context);

}  // namespace neuroppa::app
