// Kernel cost with timed activity: the sampled mode lands within its own
// interval of the full replay, and timed power exceeds zero-delay power.
#include <doctest/doctest.h>

#include <cmath>
#include <fmt/format.h>

#include "neuroppa/sim/kernel_cost.hpp"
#include "support.hpp"

using namespace neuroppa;

TEST_CASE("timed:0.05 lands within its own 95% interval of full timed, on all four kernels") {
  const tech::Library lib = tech::read_liberty(tech::resolve_library("osu018"));
  for (models::KernelKind kind : models::kAllKernelKinds) {
    CAPTURE(models::to_string(kind));
    const models::KernelParams p{kind, 9, 8, models::default_code_bits(kind, 8), 32};
    sim::CostOptions options;
    options.frequency = 50e6;
    options.beats = 6000;
    options.activity = {true, 1};
    const sim::KernelCost full = sim::characterise_kernel(p, lib, options, test::model_cache_dir());
    options.activity = {true, 0.05};
    const sim::KernelCost sampled = sim::characterise_kernel(p, lib, options, test::model_cache_dir());
    const double exact = full.power.total.total(), estimate = sampled.power.total.total();
    MESSAGE(fmt::format("{}: timed {:.1f} µW, timed:0.05 {:.1f} ± {:.1f} µW; zero-delay {:.1f} µW, glitch share {:.2f}",
                        models::to_string(kind), exact * 1e6, estimate * 1e6, sampled.power_half_width * 1e6,
                        full.zero_delay_power.total.total() * 1e6, full.glitch_share));
    CHECK(full.power_half_width == 0);  // every cycle replayed: exact
    CHECK(sampled.power_half_width > 0);
    CHECK(sampled.power_half_width < 0.1 * estimate);
    CHECK(std::abs(estimate - exact) <= sampled.power_half_width);
    // Same run, same zero-delay activity: the zero-delay power does not depend on the mode.
    CHECK(sampled.zero_delay_power.total.total() == doctest::Approx(full.zero_delay_power.total.total()));
    CHECK(exact > 1.5 * full.zero_delay_power.total.total());
    CHECK(full.glitch_share > 1.5);
  }
}
