// neuroppa verify: RTL kernels against the golden models, cycle by cycle.
#include <cstdio>
#include <fmt/format.h>

#include "commands.hpp"
#include "neuroppa/models/error.hpp"
#include "neuroppa/sim/kernel_regression.hpp"
#include "neuroppa/tech/gate_model.hpp"
#include "neuroppa/tech/kernel_rtl.hpp"
#include "neuroppa/tech/liberty.hpp"
#include "neuroppa/tech/netlist.hpp"

namespace neuroppa::cli {
namespace {

using models::KernelKind;
using models::KernelParams;

struct VerifyOptions {
  std::string kernel = "all";
  unsigned K = 9, XW = 8, AW = 32;
  std::optional<unsigned> WW;  // default: per kind (models::default_code_bits)
  std::uint64_t beats = 100000;
  std::uint64_t seed = 1;
  std::string level = "rtl";
  std::string lib = "osu018";
};

std::vector<KernelParams> requested_kernels(const VerifyOptions& o) {
  std::vector<KernelKind> kinds;
  if (o.kernel == "all") {
    kinds.assign(std::begin(models::kAllKernelKinds), std::end(models::kAllKernelKinds));
  } else if (auto kind = models::parse_kernel_kind(o.kernel)) {
    kinds.push_back(*kind);
  } else {
    throw Error(fmt::format("--kernel {}: unknown kernel; choose mac, shift, threshold, spike or all", o.kernel));
  }
  std::vector<KernelParams> out;
  for (KernelKind kind : kinds) {
    KernelParams p{kind, o.K, o.XW, o.WW.value_or(models::default_code_bits(kind, o.XW)), o.AW};
    if (auto error = models::validate(p)) throw Error(*error);
    out.push_back(p);
  }
  return out;
}

// The model to regress: the RTL, or the netlist synthesised onto `library`
// with cell behaviour from its Liberty (continuous assignments).
std::shared_ptr<const tech::LoadedModel> load_model(const KernelParams& params, const tech::Library* library,
                                                    tech::ModelCache& cache, tech::BuildReport& build,
                                                    const tech::ProgressFn& progress) {
  if (!library) return cache.load(tech::kernel_rtl_spec(params), &build);
  return cache.load(tech::kernel_gate_spec(tech::synthesize_kernel(params, *library, cache.root(), progress), false),
                    &build);
}

int run_verify(const VerifyOptions& o, const GlobalOptions& global) {
  const std::vector<KernelParams> kernels = requested_kernels(o);  // validate all before building any
  if (o.beats == 0) throw Error("--beats 0: give at least one beat");
  if (o.level != "rtl" && o.level != "gate") throw Error(fmt::format("--level {}: choose rtl or gate", o.level));
  std::optional<tech::Library> library;
  if (o.level == "gate") library = tech::read_liberty(tech::resolve_library(o.lib));
  const auto progress = [&](std::string_view line) {
    if (!global.quiet) fmt::print(stderr, "{}", line);
  };
  tech::ModelCache cache(global.cache_dir.empty() ? tech::default_cache_dir() : global.cache_dir, progress);

  int failed = 0;
  for (const KernelParams& params : kernels) {
    tech::BuildReport build;
    auto model = load_model(params, library ? &*library : nullptr, cache, build, progress);
    sim::KernelHarness dut(model, params);
    models::KernelGolden golden(params);
    models::BeatStream stream(params, o.seed);
    const auto r = sim::run_regression(dut, golden, stream, o.beats, [&](std::uint64_t done) {
      if (!global.quiet) fmt::print(stderr, "  {}: {} / {} beats\r", params.describe(), done, o.beats);
    });
    fmt::print("{}{:<34} beats {:>10}  cycles {:>10}  outputs {:>9}  mismatches {:>6}  {:.3g} beats/s  model {} ({:.2f} s)\n",
               library ? "gate " : "", params.describe(), r.beats, r.cycles, r.outputs, r.mismatches, r.beats_per_second(),
               build.cached ? "cached" : "built", build.seconds);
    if (r.first) {
      fmt::print("{}\n", sim::describe(*r.first, params));
      ++failed;
    }
    std::fflush(stdout);
  }
  fmt::print("{}: {} of {} kernels match the golden models (seed {})\n", failed ? "FAIL" : "PASS",
             kernels.size() - failed, kernels.size(), o.seed);
  return failed ? 1 : 0;
}

}  // namespace

Runner add_verify_command(CLI::App& app, const GlobalOptions& global) {
  auto options = std::make_shared<VerifyOptions>();
  CLI::App* cmd = app.add_subcommand(
      "verify", "Regress the kernels (RTL, or with --level gate their synthesised netlists) against the C++ golden models, cycle by cycle, on random and "
                "corner-case beats. Exit status 1 on any mismatch.");
  cmd->add_option("--kernel", options->kernel, "mac, shift, threshold, spike or all")->capture_default_str();
  cmd->add_option("--K", options->K, "Synapses per beat")->capture_default_str();
  cmd->add_option("--XW", options->XW, "Activation bits (spike: unused)")->capture_default_str();
  cmd->add_option("--WW", options->WW,
                  "Weight-code bits (default: 8 for mac and spike, 4 for shift; threshold codes are XW+1 bits)");
  cmd->add_option("--AW", options->AW, "Accumulator bits")->capture_default_str();
  cmd->add_option("--beats", options->beats, "Valid beats per kernel")->capture_default_str();
  cmd->add_option("--seed", options->seed, "Stimulus seed")->capture_default_str();
  cmd->add_option("--level", options->level, "rtl, or gate: the netlist synthesised onto --lib")->capture_default_str();
  cmd->add_option("--lib", options->lib, "Library for --level gate: osu018, osu035, osu050 or a Liberty file")
      ->capture_default_str();
  return [options, &global] { return run_verify(*options, global); };
}

}  // namespace neuroppa::cli
