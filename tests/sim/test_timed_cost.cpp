// Kernel cost with timed activity: the sampled mode lands within its own
// interval of the full replay, and timed power exceeds zero-delay power;
// area and power by block add up to the kernel.
#include <doctest/doctest.h>

#include <cmath>
#include <map>
#include <fmt/format.h>

#include "neuroppa/sim/kernel_cost.hpp"
#include "neuroppa/sim/kernel_models.hpp"
#include "support.hpp"

using namespace neuroppa;

TEST_CASE("timed:0.05 lands within its own 95% interval of full timed, on every built-in kernel") {
  const tech::Library lib = tech::read_liberty(tech::resolve_library("osu018"));
  for (models::KernelKind kind : neuroppa::models::builtin_kernel_kinds()) {
    CAPTURE(models::to_string(kind));
    // Each kind's default arch at K = 9: the kernels `neuroppa kernels` builds (a cold cache pays once).
    const models::KernelParams p{kind, 9, 8, models::default_code_bits(kind, 8), 32, models::default_arch(kind)};
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

TEST_CASE("kernel blocks: instance paths of flattened cells name their block") {
  const models::KernelParams tree{neuroppa::models::kind_named("mac"), 9, 8, 8, 32, models::KernelArch::tree};
  models::KernelParams chain = tree;
  chain.arch = models::KernelArch::chain;
  CHECK(sim::kernel_block("$flatten\\g_reduce.u_reduce.$abc$7761$auto$blifparse.cc:386:parse_blif$7981", tree) ==
        "adders");
  CHECK(sim::kernel_block("$flatten\\u_acc.\\u_acc_q.$abc$7664$auto$blifparse.cc:386:parse_blif$7665", tree) ==
        "accumulator register");
  CHECK(sim::kernel_block("$flatten\\u_acc.$flatten\\u_valid_q.$auto$ff.cc:266:slice$1", tree) == "control");
  CHECK(sim::kernel_block("$flatten\\u_acc.$abc$8120$auto$blifparse.cc:386:parse_blif$8133", tree) ==
        "accumulator adder");
  CHECK(sim::kernel_block("$flatten\\u_out.$abc$8338$auto$blifparse.cc:386:parse_blif$8572", tree) == "output stage");
  CHECK(sim::kernel_block("$flatten\\u_membrane.$abc$1$auto$blifparse.cc:386:parse_blif$2", tree) == "output stage");
  CHECK(sim::kernel_block("$flatten\\u_y_q.$abc$1$auto$blifparse.cc:386:parse_blif$2", tree) == "output register");
  // Top-level cells: the synapse terms (a dot inside "blifparse.cc" is no level).
  CHECK(sim::kernel_block("$abc$8784$auto$blifparse.cc:386:parse_blif$8785", tree) == "synapses");
  CHECK(sim::kernel_block("$abc$8784$auto$blifparse.cc:386:parse_blif$8785", chain) == "synapses + adder chain");
}

TEST_CASE("kernel blocks: threshold and mac by block add up to the kernel, registers where they belong") {
  const tech::Library lib = tech::read_liberty(tech::resolve_library("osu018"));
  for (const models::KernelArch arch : {models::KernelArch::tree, models::KernelArch::chain}) {
    const models::KernelParams p{neuroppa::models::kind_named("threshold"), 9, 8, 9, 32, arch};
    CAPTURE(p.describe());
    sim::CostOptions options;
    options.frequency = 50e6;
    options.beats = 3000;
    options.activity = {true, 0.1};
    options.by_block = true;
    const sim::KernelCost cost = sim::characterise_kernel(p, lib, options, test::model_cache_dir());
    double area = 0, power = 0, zero_delay = 0;
    long cells = 0;
    std::map<std::string, long> flops;
    for (const sim::BlockCost& b : cost.blocks) {
      area += b.area;
      power += b.power.total();
      zero_delay += b.zero_delay_power.total();
      cells += b.cells;
    }
    CHECK(cells == cost.area.cells);
    CHECK(area == doctest::Approx(cost.area.total).epsilon(1e-9));
    CHECK(power == doctest::Approx(cost.power.total.total()).epsilon(1e-9));
    CHECK(zero_delay == doctest::Approx(cost.zero_delay_power.total.total()).epsilon(1e-9));
    // Flip-flops by block, read from the same netlist: AW accumulator bits,
    // XW output bits, the valid flop, and no other.
    const sim::KernelNetlist kernel = sim::synthesize_kernel(p, lib, test::model_cache_dir(), {}, true);
    for (const auto& inst : kernel.netlist.instances)
      if (inst.cell->is_sequential()) ++flops[std::string(sim::kernel_block(inst.name, p))];
    CHECK(flops == std::map<std::string, long>{{"accumulator register", 32}, {"output register", 8}, {"control", 1}});
    const auto block = [&](std::string_view name) {
      for (const sim::BlockCost& b : cost.blocks)
        if (b.name == name) return b;
      FAIL("no block ", name);
      return sim::BlockCost{};
    };
    CHECK(block(arch == models::KernelArch::chain ? "synapses + adder chain" : "synapses").cells > 50);
    if (arch == models::KernelArch::tree) CHECK(block("adders").cells > 50);
    CHECK(block("output stage").cells > 50);
    CHECK(block("input nets").power.total() > 0);
    CHECK(block("input nets").area == 0);
  }
}
