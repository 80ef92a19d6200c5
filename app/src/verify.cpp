#include "neuroppa/app/verify.hpp"

#include <fmt/format.h>

#include "neuroppa/base/error.hpp"
#include "neuroppa/kernels/catalogue.hpp"
#include "neuroppa/kernels/package.hpp"
#include "neuroppa/sim/kernel_models.hpp"
#include "neuroppa/tech/liberty.hpp"

namespace neuroppa::app {
namespace {

using models::KernelParams;

// The model to regress: the RTL, or the netlist synthesised onto `library`
// with cell behaviour from its Liberty (continuous assignments).
std::shared_ptr<const vmodel::LoadedModel> load_model(const KernelParams& params, const tech::Library* library,
                                                      vmodel::ModelCache& cache, vmodel::BuildReport& build,
                                                      const ProgressFn& progress) {
  if (!library) return cache.load(sim::kernel_rtl_spec(params), &build);
  return cache.load(sim::kernel_gate_spec(sim::synthesize_kernel(params, *library, cache.root(), progress), false),
                    &build);
}

}  // namespace

std::string KernelVerification::describe() const {
  const auto& r = result;
  std::string text =
      fmt::format("{}{:<34} beats {:>10}  cycles {:>10}  outputs {:>9}  mismatches {:>6}  {:.3g} beats/s  model {} ({:.2f} s)\n",
                  gate_level ? "gate " : "", params.describe(), r.beats, r.cycles, r.outputs, r.mismatches,
                  r.beats_per_second(), model_cached ? "cached" : "built", model_seconds);
  if (r.first) text += sim::describe(*r.first, params) + "\n";
  return text;
}

std::size_t VerifyResult::failed() const {
  std::size_t n = 0;
  for (const auto& k : kernels) n += k.result.first.has_value();
  return n;
}

std::string VerifyResult::summary() const {
  return fmt::format("{}: {} of {} kernels match the golden models (seed {})\n", failed() ? "FAIL" : "PASS",
                     kernels.size() - failed(), kernels.size(), seed);
}

std::vector<KernelParams> verify_params(const VerifyRequest& r) {
  std::vector<KernelParams> out;
  for (const auto& [arch, kind] : kernels::arch_kind_pairs(r.archs, r.kinds, "--arch")) {
    const unsigned XW = r.XW.value_or(models::default_xw(kind));
    KernelParams p{kind, r.K, XW, r.WW.value_or(models::default_ww(kind, XW)), r.AW, arch, r.reset,
                   r.pipeline};
    kernels::set_own_parameters(p, r.own_parameters);
    if (auto error = models::validate(p)) throw Error(*error);
    out.push_back(p);
  }
  return out;
}

VerifyResult verify(const VerifyRequest& r, const Context& context,
                    const std::function<void(const KernelVerification&)>& on_kernel,
                    const std::function<void(const KernelParams&, std::uint64_t, std::uint64_t)>& beats_done) {
  const std::vector<KernelParams> kernels = verify_params(r);  // validate all before building any
  if (r.beats == 0) throw Error("--beats 0: give at least one beat");
  std::optional<tech::Library> library;
  if (r.gate_level) library = read_library(r.lib, context);
  vmodel::ModelCache cache(context.cache_dir);  // quiet: the builds below said what they did

  // Every model side by side first (the loop below then loads them from the
  // cache); the build reports say which this run built.
  std::vector<sim::KernelBuild> builds;
  for (const KernelParams& params : kernels) builds.push_back({params, library ? &*library : nullptr, false});
  const std::vector<vmodel::BuildReport> built = sim::build_kernel_models(builds, context.cache_dir, context.tools);

  VerifyResult out;
  out.seed = r.seed;
  for (std::size_t k = 0; k < kernels.size(); ++k) {
    const KernelParams& params = kernels[k];
    vmodel::BuildReport build;
    auto model = load_model(params, library ? &*library : nullptr, cache, build, {});
    build.cached = built[k].cached;
    build.seconds = built[k].seconds;
    sim::KernelHarness dut(model, params);
    models::KernelGolden golden(params);
    models::BeatStream stream(params, r.seed);
    KernelVerification v{params, r.gate_level, {}, false, 0};
    v.result = sim::run_regression(dut, golden, stream, r.beats, [&](std::uint64_t done, std::uint64_t total) {
      if (beats_done) beats_done(params, done, total);
    });
    v.model_cached = build.cached;
    v.model_seconds = build.seconds;
    if (on_kernel) on_kernel(v);
    out.kernels.push_back(std::move(v));
  }
  return out;
}

}  // namespace neuroppa::app
