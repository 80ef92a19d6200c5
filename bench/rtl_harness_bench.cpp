// What the kernel harness costs over driving the Verilated RTL model
// directly, measured side by side on the same pre-generated beats: (a) the
// model's own ports written from pre-packed words, then tick(); (b)
// KernelHarness::step (packing included). Issue 4's platform budget is that
// the platform costs at most 1.5x (a).
//
//   bench/rtl_harness_bench [--kernel mac] [--K 9] [--beats 2000000]
#include <CLI/CLI.hpp>

#include <chrono>
#include <fmt/format.h>

#include "neuroppa/base/error.hpp"
#include "neuroppa/kernels/catalogue.hpp"
#include "neuroppa/models/operands.hpp"
#include "neuroppa/sim/kernel_harness.hpp"
#include "neuroppa/sim/kernel_models.hpp"

using namespace neuroppa;

namespace {

double seconds_since(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Kernel harness overhead over direct Verilated calls"};
  std::string kernel = "mac";
  unsigned K = 9;
  std::uint64_t beats = 2000000;
  app.add_option("--kind", kernel, "mac, shift, threshold or spike");
  app.add_option("--K", K);
  app.add_option("--beats", beats);
  CLI11_PARSE(app, argc, argv);
  try {
    const models::KernelKind kind = kernels::parse_kinds(kernel, "--kind").front();
    const models::KernelParams p{kind, K, 8, models::default_code_bits(kind, 8), 32};
    vmodel::ModelCache cache(vmodel::default_cache_dir(), [](std::string_view s) { fmt::print(stderr, "{}", s); });
    const auto model = cache.load(sim::kernel_rtl_spec(p));

    // A few thousand distinct beats, replayed: generation stays out of the timing.
    models::OperandStream operands(p, {}, 1);
    std::vector<models::Beat> stimulus;
    for (int i = 0; i < 4096; ++i) stimulus.push_back(operands.next());

    // (a) direct: words packed in advance, ports written, tick.
    vmodel::ModelInstance direct(model);
    const auto x = direct.port("x_i"), w = direct.port("w_i"), valid = direct.port("valid_i"),
               first = direct.port("first_i"), last = direct.port("last_i"), rst = direct.port("rst_ni");
    std::vector<std::vector<std::uint32_t>> xw, ww;
    for (const auto& b : stimulus) {
      xw.emplace_back(x.words() + 1);
      ww.emplace_back(w.words() + 1);
      sim::pack_bits(b.x, p.activation_bits(), xw.back());
      sim::pack_bits(b.w, p.code_bits(), ww.back());
    }
    rst.set(1);
    direct.eval();
    auto start = std::chrono::steady_clock::now();
    for (std::uint64_t i = 0; i < beats; ++i) {
      const std::size_t s = i % stimulus.size();
      valid.set(1);
      first.set(stimulus[s].first);
      last.set(stimulus[s].last);
      x.set_words(xw[s].data());
      w.set_words(ww[s].data());
      direct.tick();
    }
    const double a = beats / seconds_since(start);

    // (b) the harness.
    sim::KernelHarness harness(model, p);
    start = std::chrono::steady_clock::now();
    std::uint64_t outputs = 0;
    for (std::uint64_t i = 0; i < beats; ++i) outputs += harness.step(stimulus[i % stimulus.size()]).valid;
    const double b = beats / seconds_since(start);

    fmt::print("{}: {} beats ({} outputs)\n", p.describe(), beats, outputs);
    fmt::print("  (a) Verilated model, ports written directly  {:10.3g} beats/s\n", a);
    fmt::print("  (b) KernelHarness::step                      {:10.3g} beats/s   a/b {:.2f}\n", b, a / b);
    return 0;
  } catch (const Error& e) {
    fmt::print(stderr, "rtl_harness_bench: error: {}\n", e.what());
    return 2;
  }
}
