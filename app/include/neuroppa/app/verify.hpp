// neuroppa verify: kernels (RTL, or their synthesised netlists) against the
// golden models, cycle by cycle.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "neuroppa/app/context.hpp"
#include "neuroppa/models/kernel.hpp"
#include "neuroppa/sim/kernel_regression.hpp"

namespace neuroppa::app {

struct VerifyRequest {
  std::vector<models::KernelKind> kinds;
  std::vector<models::KernelArch> archs;  // empty: each kind's default (models::default_arch)
  models::ResetStyle reset = models::ResetStyle::async;
  unsigned pipeline = 0;  // models::KernelParams::pipeline
  unsigned K = 9, AW = 32;
  std::optional<unsigned> XW;  // default: each kind's own (models::default_xw)
  std::optional<unsigned> WW;  // default: per kind (models::default_ww)
  // A package's own parameters by name (--param); each kind takes those it has.
  std::vector<std::pair<std::string, unsigned>> own_parameters;
  std::uint64_t beats = 100000;
  std::uint64_t seed = 1;
  bool gate_level = false;
  std::string lib = "osu018";  // for gate level
};

struct KernelVerification {
  models::KernelParams params;
  bool gate_level = false;
  sim::RegressionResult result;
  bool model_cached = false;
  double model_seconds = 0;
  // One line: beats, cycles, outputs, mismatches, speed, model built or cached;
  // then the first mismatch in full, if any.
  std::string describe() const;
};

struct VerifyResult {
  std::vector<KernelVerification> kernels;
  std::uint64_t seed = 0;
  std::size_t failed() const;
  std::string summary() const;  // "PASS: 4 of 4 kernels match the golden models (seed 1)"
};

// The kernels' parameters, every one validated (throws neuroppa::Error).
std::vector<models::KernelParams> verify_params(const VerifyRequest& request);

// Regresses every kernel in turn; `on_kernel` sees each result as it is
// done, `beats_done` the progress within a kernel.
VerifyResult verify(const VerifyRequest& request, const Context& context,
                    const std::function<void(const KernelVerification&)>& on_kernel = {},
                    const std::function<void(const models::KernelParams&, std::uint64_t done, std::uint64_t total)>& beats_done = {});

}  // namespace neuroppa::app
