// The accelerator against the reference inference, its cycle and memory
// accounting, and gate-level energy.
#include <doctest/doctest.h>

#include "neuroppa/models/dataset.hpp"
#include "neuroppa/base/error.hpp"
#include "neuroppa/models/random.hpp"
#include "neuroppa/sim/datapath.hpp"
#include "neuroppa/tech/liberty.hpp"
#include "network_fixtures.hpp"
#include "support.hpp"

using namespace neuroppa;
using models::KernelKind;

namespace {

std::vector<std::vector<std::uint8_t>> test_images(std::size_t count, std::uint64_t seed) {
  static const models::LabelledImages fashion = models::load_fashion_mnist(false);
  std::vector<std::vector<std::uint8_t>> images;
  models::Rng rng(seed);
  images.emplace_back(784, 0);  // black: no input at all
  for (std::size_t i = 0; images.size() < count; ++i) {
    if (i % 2) {
      std::vector<std::uint8_t> noise(784);
      for (auto& p : noise) p = static_cast<std::uint8_t>(rng.below(256));
      images.push_back(noise);
    } else {
      images.emplace_back(fashion.images.image(i), fashion.images.image(i) + 784);
    }
  }
  return images;
}

sim::DatapathConfig rtl_config(unsigned lanes, unsigned threads) {
  sim::DatapathConfig c;
  c.lanes = lanes;
  c.K = 16;
  c.threads = threads;
  return c;
}

}  // namespace

TEST_CASE("the accelerator equals the reference inference for every kind, padded conv, pool and dense") {
  for (const KernelKind kind : neuroppa::models::builtin_kernel_kinds()) {
    CAPTURE(models::to_string(kind));
    // Padding (model format 2) on both convs, one of them strided; unpadded convs: the tests below.
    const models::Network net = test::random_network(kind, "c4k3p1,p2,c3k3s2p1,d12,d10", 21);
    sim::Datapath one_thread(net, rtl_config(5, 1), test::model_cache_dir());
    sim::Datapath two_threads(net, rtl_config(5, 2), test::model_cache_dir());
    for (const auto& image : test_images(12, 4)) {
      const models::Inference expected = models::infer(net, image.data());
      CHECK(one_thread.run(image.data()) == expected);
      CHECK(two_threads.run(image.data()) == expected);
    }
    // The simulated hardware does not depend on the simulation threads.
    CHECK(one_thread.stats().total().cycles == two_threads.stats().total().cycles);
    CHECK(one_thread.stats().total().skipped_beats == two_threads.stats().total().skipped_beats);
  }
}

TEST_CASE("residual layers (model format 2): the platform equals the reference inference for every kind") {
  // A conv adding a pooled map (its channels at each position) and a dense layer adding an earlier
  // dense layer's outputs (all of them, 12 into 10: a shortcut need not be the identity).
  const std::vector<std::pair<std::size_t, unsigned>> residuals{{3, 2}, {7, 6}};
  for (const KernelKind kind : neuroppa::models::builtin_kernel_kinds()) {
    CAPTURE(models::to_string(kind));
    const models::Network net = test::random_network(kind, "c4k3p1,p2,c4k3p1,c4k3p1,p2,d12,d12,d10", 9, residuals);
    REQUIRE(net.layers[3].residual == 2);
    CHECK(net.layers[3].fan_in() == 4 * 9 + 4);
    REQUIRE(net.layers[8].residual == 7);  // the flatten layout inserts moves the numbers on by one
    CHECK(net.layers[8].fan_in() == 12 + 12);
    sim::Datapath accelerator(net, rtl_config(3, 2), test::model_cache_dir());
    for (const auto& image : test_images(6, 5)) CHECK(accelerator.run(image.data()) == models::infer(net, image.data()));
  }
}

TEST_CASE("mixed networks run each layer on the lanes of its kind") {
  const models::Network net = test::random_network(neuroppa::models::kind_named("threshold"), "c4k3@mac,p2,d12,d10@mac", 5);
  CHECK(net.kinds() == std::vector<KernelKind>{neuroppa::models::kind_named("mac"), neuroppa::models::kind_named("threshold")});
  sim::Datapath accelerator(net, rtl_config(4, 2), test::model_cache_dir());
  for (const auto& image : test_images(6, 8)) CHECK(accelerator.run(image.data()) == models::infer(net, image.data()));
}

TEST_CASE("cycles and memory accesses follow the output-stationary schedule") {
  const models::Network net = test::random_network(neuroppa::models::kind_named("mac"), "d12,d10", 3);
  sim::Datapath accelerator(net, rtl_config(4, 1), test::model_cache_dir());
  const auto images = test_images(2, 1);
  accelerator.run(images[1].data());
  const sim::LayerStats& dense = accelerator.stats().layers[1];  // 784 -> 12 on 4 lanes
  CHECK(dense.beats == 3 * 49);           // 3 groups of 4 outputs, 49 beats of 16 synapses each
  CHECK(dense.cycles == 3 * 49 + 1);      // + the drain of the output register
  CHECK(dense.lane_beats == 12 * 49);
  CHECK(dense.weights.reads == 12 * 49);  // one K-code word per lane per beat
  CHECK(dense.activations.reads == 3 * 49);
  CHECK(dense.activations.writes == 12);
  const sim::LayerStats& out = accelerator.stats().layers[2];  // 12 -> 10: 1 beat, 3 groups (4, 4, 2 lanes)
  CHECK(out.cycles == 3 + 1);
  CHECK(out.lane_beats == 10);
  CHECK(accelerator.stats().total().cycles == 148 + 4);
}

TEST_CASE("spiking layers skip beats without spikes and count membrane traffic") {
  const models::Network net = test::random_network(neuroppa::models::kind_named("spike"), "d12,d10", 3);
  sim::Datapath accelerator(net, rtl_config(4, 1), test::model_cache_dir());
  const std::vector<std::uint8_t> black(784, 0);
  const models::Inference r = accelerator.run(black.data());
  CHECK(r == models::infer(net, black.data()));
  CHECK(r.input_spikes == 0);
  const sim::LayerStats& first = accelerator.stats().layers[1];
  // No input spike: each neuron still gets one (empty) beat per timestep.
  CHECK(first.skipped_beats == 8 * 3 * 49);
  CHECK(first.beats == 8 * 3);
  CHECK(first.membrane.reads == 8 * 12);
  CHECK(first.membrane.writes == 8 * 12);

  std::vector<std::uint8_t> half(784, 0);
  for (std::size_t i = 0; i < 392; ++i) half[i] = 255;  // spikes only in the first 392 inputs
  sim::Datapath fresh(net, rtl_config(4, 1), test::model_cache_dir());
  CHECK(fresh.run(half.data()) == models::infer(net, half.data()));
  CHECK(fresh.stats().layers[1].skipped_beats == 8 * 3 * (49 - 25));  // inputs 0..391 fill 25 beats
}

TEST_CASE("sigma-delta layers skip beats without events, keep three state words a neuron, pool with state") {
  const models::Network net = test::random_network(neuroppa::models::kind_named("sigma-delta"), "c2k3,p2,d10", 3);
  const std::vector<std::uint8_t> black(784, 0);
  sim::Datapath accelerator(net, rtl_config(4, 1), test::model_cache_dir());
  const models::Inference r = accelerator.run(black.data());
  CHECK(r == models::infer(net, black.data()));
  CHECK(r.input_spikes == 0);
  const sim::LayerStats& conv = accelerator.stats().layers[0];
  // No input event. The first timestep updates every neuron with one empty beat (bias and
  // threshold apply; K = 16 > 9 synapses: one beat a neuron, one group of two lanes a position);
  // later, a neuron whose residue would send nothing is quiet: no beat, no state traffic.
  CHECK(conv.beats >= 26 * 26);
  CHECK(conv.beats < 6 * 26 * 26);
  CHECK(conv.skipped_beats == 6 * 26 * 26);
  CHECK(conv.membrane.reads == 3 * conv.lane_beats);
  CHECK(conv.membrane.writes == conv.membrane.reads);
  // The pool: the sums of the inputs with a spike, the maxima of the outputs they reach.
  const sim::LayerStats& pool = accelerator.stats().layers[1];
  CHECK(pool.membrane.reads > 0);
  CHECK(pool.membrane.reads < 6u * (2 * 26 * 26 + 2 * 13 * 13));
  CHECK(pool.membrane.writes == pool.membrane.reads);
  // Every neuron-timestep is an activity, updated or quiet.
  CHECK(accelerator.stats().total().graded.activities == 6u * (2 * 26 * 26 + 10));
  CHECK(accelerator.stats().total().graded == r.graded);

  sim::Datapath busy(net, rtl_config(4, 2), test::model_cache_dir());
  for (const auto& image : test_images(4, 7)) {
    const models::Inference expected = models::infer(net, image.data());
    CHECK(busy.run(image.data()) == expected);
    CHECK(expected.graded.events > 0);
  }
  CHECK(busy.stats().layers[0].skipped_beats > 0);  // later timesteps: pixels already sent
}

TEST_CASE("sigma-delta: a state leaving its headroom stops the platform with the layer and neuron") {
  const models::Network net = test::overflowing_sigma_delta_network();
  sim::Datapath accelerator(net, rtl_config(2, 1), test::model_cache_dir());
  const std::vector<std::uint8_t> white(784, 255);
  CHECK_THROWS_WITH_AS(accelerator.run(white.data()),
                       doctest::Contains("layer 1 (conv 1x1/1 sigma-delta 1x28x28 -> 2x28x28), neuron 0, timestep 5: sigma = "),
                       Error);
}

TEST_CASE("gate level: outputs equal the reference; energy adds up by layer and component") {
  const tech::Library library = tech::read_liberty(test::osu_library("osu018"));
  models::Network net = test::random_network(neuroppa::models::kind_named("spike"), "d6,d4", 9);
  net.timesteps = 2;
  sim::DatapathConfig config;
  config.lanes = 3;
  config.K = 4;
  config.threads = 2;
  config.level = sim::Level::gate;
  config.library = &library;
  sim::Datapath accelerator(net, config, test::model_cache_dir());
  for (const auto& image : test_images(3, 2)) CHECK(accelerator.run(image.data()) == models::infer(net, image.data()));
  sim::MemoryEnergy memory;
  memory.weight_read = 1e-12;
  memory.membrane_read = memory.membrane_write = 0.5e-12;
  const sim::EnergyReport energy = accelerator.energy(50e6, memory);
  double layers = 0, components = 0;
  for (const auto& l : energy.layers) layers += l.total();
  for (const auto& [name, joules] : energy.components) components += joules;
  CHECK(energy.total.kernels.internal > 0);
  CHECK(energy.total.kernels.switching > 0);
  CHECK(energy.total.kernels.leakage > 0);
  CHECK(layers == doctest::Approx(energy.total.total()).epsilon(1e-9));
  CHECK(components == doctest::Approx(energy.total.total()).epsilon(1e-9));
  const sim::LayerStats all = accelerator.stats().total();
  CHECK(energy.total.memory ==
        doctest::Approx(1e-12 * double(all.weights.reads) + 0.5e-12 * double(all.membrane.reads + all.membrane.writes)));
  // Cell groups partition the lanes' energy.
  CHECK(energy.total.sequential.total() + energy.total.combinational.total() + energy.total.clock.total() ==
        doctest::Approx(energy.total.kernels.total()).epsilon(1e-9));
  sim::Datapath rtl(net, rtl_config(3, 1), test::model_cache_dir());
  CHECK_THROWS_AS(rtl.energy(50e6, memory), Error);
}

// The sigma-delta kernel the default gate-level tests build (csa, K = 9, 8-bit spikes): whole
// networks on its netlist equal the reference, state in and out through the gates.
TEST_CASE("gate level: a sigma-delta network equals the reference; its state memory is priced") {
  const tech::Library library = tech::read_liberty(test::osu_library("osu018"));
  models::Network net = test::random_network(neuroppa::models::kind_named("sigma-delta"), "d6,d4", 9);
  net.XW = 8;
  net.timesteps = 3;
  net.input_shift = 0;  // a pixel takes up to three steps to send (127 a step)
  net.input_vth = 1;
  models::validate(net, net.name);
  sim::DatapathConfig config;
  config.lanes = 3;
  config.K = 9;
  config.threads = 2;
  config.level = sim::Level::gate;
  config.library = &library;
  sim::Datapath accelerator(net, config, test::model_cache_dir());
  for (const auto& image : test_images(3, 5)) CHECK(accelerator.run(image.data()) == models::infer(net, image.data()));
  sim::MemoryEnergy memory;
  memory.membrane_read = memory.membrane_write = 1e-12;
  const sim::EnergyReport energy = accelerator.energy(50e6, memory);
  const sim::LayerStats all = accelerator.stats().total();
  // Three words an update: every neuron at the first timestep, some after (the pixels take up to three).
  CHECK(all.membrane.reads % 3 == 0);
  CHECK(all.membrane.reads > 3u * 3 * 10);
  CHECK(all.membrane.reads <= 3u * 3 * 3 * 10);
  CHECK(energy.total.memory == doctest::Approx(1e-12 * double(all.membrane.reads + all.membrane.writes)));
  CHECK(energy.total.kernels.switching > 0);
}
