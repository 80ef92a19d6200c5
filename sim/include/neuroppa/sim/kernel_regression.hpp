// RTL (or gate level) against the golden model, cycle by cycle.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "neuroppa/base/progress.hpp"
#include "neuroppa/models/kernel.hpp"
#include "neuroppa/models/stimulus.hpp"
#include "neuroppa/sim/kernel_harness.hpp"

namespace neuroppa::sim {

struct Mismatch {
  std::uint64_t cycle = 0;  // clock cycle after reset, from 0
  std::uint64_t beat = 0;   // valid beats before this cycle's
  models::Scenario scenario = models::Scenario::random;
  models::Beat inputs;
  models::KernelOutputs expected;
  models::KernelOutputs got;
};

struct RegressionResult {
  std::uint64_t beats = 0;   // valid beats driven
  std::uint64_t cycles = 0;  // clock cycles driven (beats + idle cycles)
  std::uint64_t outputs = 0; // neuron outputs (valid_o pulses) compared
  std::uint64_t mismatches = 0;  // cycles whose outputs differ
  std::optional<Mismatch> first;
  double seconds = 0;
  double beats_per_second() const { return seconds > 0 ? beats / seconds : 0; }
};

// Drives `beats` valid beats from `stream` into the harness and the golden
// model, comparing every output after every clock edge. `progress`, if set,
// is called now and then with the beats done so far.
RegressionResult run_regression(KernelHarness& dut, models::KernelGolden& golden,
                                models::BeatStream& stream, std::uint64_t beats,
                                const CountProgressFn& progress = {});

// Multi-line description of a mismatch: the failing cycle's inputs in full,
// expected and received outputs.
std::string describe(const Mismatch& m, const models::KernelParams& params);

}  // namespace neuroppa::sim
