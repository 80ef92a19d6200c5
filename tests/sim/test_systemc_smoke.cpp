// Each kernel inside an SC_MODULE, clocked by an sc_clock, checked against
// the golden model every cycle. One simulation per process (SystemC rule),
// so every kernel shares it.
#include <doctest/doctest.h>

#include <systemc>

#include "neuroppa/models/stimulus.hpp"
#include "neuroppa/sim/kernel_module.hpp"
#include "neuroppa/sim/kernel_models.hpp"
#include "regression_sets.hpp"
#include "support.hpp"

using namespace neuroppa;

namespace {

struct Checked {
  models::KernelParams params;
  models::BeatStream stream;
  models::KernelGolden golden;
  std::uint64_t compared = 0, outputs = 0, mismatches = 0;
  explicit Checked(const models::KernelParams& p) : params(p), stream(p, 3), golden(p) {}
};

}  // namespace

TEST_CASE("SystemC: every built-in kernel clocked by sc_clock match the golden models") {
  constexpr std::uint64_t kCycles = 20000;
  vmodel::ModelCache cache(test::model_cache_dir());
  sc_core::sc_clock clk("clk", 10, sc_core::SC_NS);
  std::vector<std::unique_ptr<Checked>> checks;
  std::vector<std::unique_ptr<sim::KernelModule>> modules;
  for (models::KernelKind kind : neuroppa::models::builtin_kernel_kinds()) {
    auto& c = *checks.emplace_back(std::make_unique<Checked>(test::regression_sets(kind)[1]));
    auto model = cache.load(sim::kernel_rtl_spec(c.params));
    auto& m = *modules.emplace_back(std::make_unique<sim::KernelModule>(
        std::string(models::to_string(kind)).c_str(), model, c.params,
        [&c]() -> const models::Beat& { return c.stream.next(); },
        [&c](const models::Beat& beat, const models::KernelOutputs& got) {
          const auto& expected = c.golden.step(beat);
          ++c.compared;
          c.outputs += expected.valid;
          c.mismatches += !(expected == got);
        }));
    m.clk(clk);
  }
  sc_core::sc_start(sc_core::sc_time(static_cast<double>(kCycles) * 10, sc_core::SC_NS));
  for (std::size_t i = 0; i < checks.size(); ++i) {
    CAPTURE(checks[i]->params.describe());
    CHECK(modules[i]->cycles() == kCycles);
    CHECK(checks[i]->compared == kCycles);
    CHECK(checks[i]->outputs > 1000);
    CHECK(checks[i]->mismatches == 0);
  }
}
