// neuroppa run: a model file through the SystemC platform on the
// Fashion-MNIST test set: accuracy, cycles, latency, throughput and, at gate
// level, energy per inference by layer and component.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "neuroppa/app/context.hpp"
#include "neuroppa/models/dataset.hpp"
#include "neuroppa/reports/table.hpp"
#include "neuroppa/sim/datapath.hpp"
#include "neuroppa/sim/memories.hpp"

namespace neuroppa::app {

struct RunRequest {
  std::string model;  // model file, or the name of a bundled model
  // rtl: no energy; gate: lanes priced from gate-level toggles; macro: RTL
  // lanes priced by each kernel's macro-model (app/macro.hpp).
  sim::Level level = sim::Level::rtl;
  std::size_t images = 0;  // 0: the level's default (all at rtl and macro, 1,000 at gate level)
  std::string lib = "osu018";  // gate and macro level
  double frequency = 50e6;
  unsigned lanes = 16, K = 16;
  unsigned threads = 1;
  bool check = false;  // compare every image with the reference inference
  sim::MemoryEnergy memory;  // given per access (--mem-energy): used instead of the memory model
  // Gate level, without --mem-energy: "regfile" prices the memories as
  // register-file banks on the kernels' library (sim/memory_cost.hpp);
  // "none" counts their accesses only; FILE.json prices them from a table.
  std::string memory_model = "regfile";
  // The accelerator's memories (sim::parse_memory_config): "standard" sizes
  // them for the network's lanes and K; "ideal" reproduces the datapath's
  // schedule exactly.
  std::string memories = "standard";
  // Gate level: how activity is counted; none: automatic, the cheapest
  // timed:F whose 95% interval on the lanes' energy is within ±3% (F starts at
  // 0.02 and grows at checkpoints every tenth of the images).
  std::optional<tech::ActivityMode> activity;
  std::filesystem::path data = models::kFashionMnistDir;
};

struct RunResult {
  std::size_t images = 0;
  std::string activity;  // how it was counted, e.g. "timed:0.05 (automatic: ±1.8%)"
  double accuracy = 0;
  std::size_t mismatches = 0, first_mismatch = 0;  // with check
  // Macro level: the models that priced the lanes, and those whose validation
  // error exceeds sim::kMacroErrorBound (the run still prices them).
  std::vector<std::shared_ptr<const sim::MacroModel>> macro_models;
  std::vector<std::string> macro_out_of_bound;
  std::optional<sim::EnergyReport> energy;
  std::vector<reports::Table> tables;  // summary, per layer, and at gate level energy by component
};

// The memories a designer would give P lanes of K synapses for this network.
sim::MemoryConfig standard_memories(const models::Network& network, unsigned lanes, unsigned K);

// `images_done` sees the number of images done after each one.
RunResult run_network(const RunRequest& request, const Context& context, const CountProgressFn& images_done = {});

}  // namespace neuroppa::app
