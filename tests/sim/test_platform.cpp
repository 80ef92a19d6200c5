// The SystemC platform: network images in system memory, memory
// configurations, the controller's timing against the datapath's schedule,
// a bandwidth-bound run, and several runs in one process.
#include <doctest/doctest.h>

#include <fstream>

#include "neuroppa/app/bundled_models.hpp"
#include "neuroppa/app/run.hpp"
#include "neuroppa/base/error.hpp"
#include "neuroppa/models/dataset.hpp"
#include "neuroppa/sim/network_image.hpp"
#include "neuroppa/sim/memory_cost.hpp"
#include "neuroppa/sim/platform.hpp"
#include "neuroppa/tech/liberty.hpp"
#include "network_fixtures.hpp"
#include "support.hpp"

using namespace neuroppa;
using models::KernelKind;
namespace fs = std::filesystem;

namespace {

const models::ImageSet& fashion_test() {
  static const models::LabelledImages set = models::load_fashion_mnist(false);
  return set.images;
}

sim::DatapathConfig rtl(unsigned lanes, unsigned K) {
  sim::DatapathConfig c;
  c.lanes = lanes;
  c.K = K;
  return c;
}

void check_same_network(const models::Network& a, const models::Network& b) {
  REQUIRE(a.layers.size() == b.layers.size());
  CHECK(a.XW == b.XW);
  CHECK(a.AW == b.AW);
  CHECK(a.timesteps == b.timesteps);
  CHECK(a.input == b.input);
  for (std::size_t i = 0; i < a.layers.size(); ++i) {
    CAPTURE(i);
    const models::Layer &x = a.layers[i], &y = b.layers[i];
    CHECK(x.type == y.type);
    CHECK(x.in == y.in);
    CHECK(x.out == y.out);
    CHECK(x.codes == y.codes);
    CHECK(x.bias == y.bias);
    CHECK(x.shift == y.shift);
    CHECK(x.vth == y.vth);
    CHECK(x.pad == y.pad);
    CHECK(x.residual == y.residual);
    CHECK(x.residual_in == y.residual_in);
    if (x.computes()) CHECK(x.kind == y.kind);
  }
}

std::string error_of(const std::function<void()>& fn) {
  try {
    fn();
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST_CASE("network images: every bundled model round-trips; damaged images are refused with the field") {
  for (const std::string& name : app::bundled_model_names()) {
    CAPTURE(name);
    const models::Network net = models::read_network(app::resolve_model(name));
    const std::vector<std::uint8_t> bytes = sim::encode_network(net);
    check_same_network(sim::decode_network(bytes), net);
    CHECK(sim::table_bytes(bytes) == sim::kNetworkHeaderBytes + net.layers.size() * sim::kLayerRecordBytes);
  }
  const models::Network residual = test::random_network(neuroppa::models::kind_named("mac"), "c4k3p1,c4k3p1,d10", 3, {{1, 1}});
  check_same_network(sim::decode_network(sim::encode_network(residual)), residual);
  const models::Network net = test::random_network(neuroppa::models::kind_named("mac"), "c4k3,p2,d10", 3);
  const std::vector<std::uint8_t> good = sim::encode_network(net);
  auto bad = good;
  bad[0] ^= 1;
  CHECK(error_of([&] { sim::decode_network(bad); }).find("wrong magic") != std::string::npos);
  bad = good;
  bad.resize(good.size() - 1);  // the last layer's biases run past the end
  CHECK(error_of([&] { sim::decode_network(bad); }).find("lies outside") != std::string::npos);
  bad = good;
  bad[8] = 0;  // no layers
  CHECK(error_of([&] { sim::decode_network(bad); }).find("0 layers") != std::string::npos);
  bad = good;
  bad[sim::kNetworkHeaderBytes + 4] = 250;  // kind of layer 1 (no package registers so many kinds)
  CHECK(error_of([&] { sim::decode_network(bad); }).find("layer 1: kernel kind 250 unknown") != std::string::npos);
  bad = good;
  bad[sim::kNetworkHeaderBytes + 64] ^= 1;  // codes bytes of layer 1
  CHECK(error_of([&] { sim::decode_network(bad); }).find("bytes of codes") != std::string::npos);

  const sim::JobDescriptor job{4096, good.size(), 8192, 3, 784, 16384, 64};
  const sim::JobDescriptor back = sim::decode_job(sim::encode_job(job));
  CHECK(back.network_address == 4096);
  CHECK(back.image_count == 3);
  CHECK(back.result_stride == 64);
  auto descriptor = sim::encode_job(job);
  descriptor[4] = 3;  // the version before residual layers
  CHECK(error_of([&] { sim::decode_job(descriptor); }).find("format version 3 (this accelerator reads 4)") != std::string::npos);
}

TEST_CASE("memory configurations: keys, units and errors") {
  const sim::MemoryConfig standard = sim::MemoryConfig::standard(16, 16, 8, 8, 32);
  CHECK(standard.weights.word_bits == 128);
  CHECK(standard.weights.banks == 16);
  const sim::MemoryConfig c = sim::parse_memory_config(
      "standard,weights.width=64,weights.capacity=32KiB,system.bandwidth=200MB/s,system.latency=50ns", standard);
  CHECK(c.weights.word_bits == 64);
  CHECK(c.weights.capacity_bytes == 32768);
  CHECK(c.system.bandwidth == doctest::Approx(200e6));
  CHECK(c.system.latency == doctest::Approx(50e-9));
  CHECK(sim::parse_memory_config("ideal", standard).weights.word_bits == 0);
  CHECK(error_of([&] { sim::parse_memory_config("weights.colour=3", standard); }).find("unknown key") != std::string::npos);
  CHECK(error_of([&] { sim::parse_memory_config("weights.banks=0", standard); }).find("1..4096") != std::string::npos);
  CHECK(error_of([&] { sim::parse_memory_config("system.bandwidth=3 furlongs", standard); }).find("unit") != std::string::npos);
  CHECK(error_of([&] { sim::parse_memory_config("weights.width=64,ideal", standard); }).find("must come first") != std::string::npos);

  // A memory too small for a layer: the layer and the size it needs.
  const models::Network mlp = models::read_network(app::resolve_model("mac-mlp"));
  const std::string small = error_of([&] {
    sim::plan_memories(mlp, sim::parse_memory_config("weights.capacity=16KiB", standard), 16, 16);
  });
  CHECK(small.find("weight memory of 16384 bytes is too small: layer 2 (dense mac 784 -> 128)") != std::string::npos);
  CHECK(small.find("needs 25088 bytes") != std::string::npos);
  CHECK(error_of([&] { sim::plan_memories(mlp, sim::parse_memory_config("activations.capacity=1000", standard), 16, 16); })
            .find("activation buffers of 1000 bytes is too small") != std::string::npos);
  const sim::WeightPlan streamed = sim::plan_memories(mlp, sim::parse_memory_config("weights.capacity=32KiB", standard), 16, 16);
  CHECK_FALSE(streamed.resident);
  CHECK(streamed.segments.size() == 8 + 1);  // layer 2 by groups of 16 lanes, layer 3 whole
  CHECK(sim::plan_memories(mlp, standard, 16, 16).resident);

  // A residual's source stays in a buffer of its own until the layer that adds it: conv 1's 4x28x28
  // output (3,136 B) beside the two largest buffers (4x28x28 each) and the staged image (784 B).
  const models::Network residual =
      test::random_network(neuroppa::models::kind_named("mac"), "c4k3p1,c4k3p1,c4k3p1,d10", 3, {{2, 1}});
  CHECK(sim::plan_memories(residual, standard, 16, 16).activation_bytes == 2 * 3136 + 784 + 3136);
  const models::Network plain = test::random_network(neuroppa::models::kind_named("mac"), "c4k3p1,c4k3p1,c4k3p1,d10", 3);
  CHECK(sim::plan_memories(plain, standard, 16, 16).activation_bytes == 2 * 3136 + 784);
  CHECK(error_of([&] { sim::plan_memories(residual, sim::parse_memory_config("activations.capacity=7056", standard), 16, 16); })
            .find("and 3136 B of residual sources kept") != std::string::npos);
}

TEST_CASE("platform with ideal memories: the datapath's cycles per layer exactly, outputs equal the reference") {
  // Three networks, one after another in this process: the platform is reused.
  for (const KernelKind kind : {neuroppa::models::kind_named("mac"), neuroppa::models::kind_named("threshold"),
                                neuroppa::models::kind_named("spike"), neuroppa::models::kind_named("sigma-delta")}) {
    CAPTURE(models::to_string(kind));
    const models::Network net = test::random_network(kind, "c4k3,p2,c3k3s2,d12,d10", 8);
    constexpr std::size_t kImages = 6;
    sim::Datapath alone(net, rtl(5, 8), test::model_cache_dir());
    for (std::size_t i = 0; i < kImages; ++i) alone.run(fashion_test().image(i));
    sim::Datapath platform(net, rtl(5, 8), test::model_cache_dir());
    const sim::PlatformRun run = sim::run_platform(platform, fashion_test(), kImages, 50e6, sim::MemoryConfig::ideal());
    REQUIRE(run.results.size() == kImages);
    for (std::size_t i = 0; i < kImages; ++i) CHECK(run.results[i] == models::infer(net, fashion_test().image(i)));
    for (std::size_t l = 0; l < net.layers.size(); ++l) {
      CAPTURE(l);
      CHECK(platform.stats().layers[l].cycles == alone.stats().layers[l].cycles);
      CHECK(platform.stats().layers[l].stall_cycles == 0);
    }
    CHECK(run.cycles == alone.stats().total().cycles);
    CHECK(run.stall_cycles == 0);
    CHECK(run.simulated_seconds == doctest::Approx(double(run.cycles) / 50e6));
  }
}

TEST_CASE("platform: narrow memories stall, a weight-bound run takes its bytes over the bandwidth") {
  const models::Network mlp = models::read_network(app::resolve_model("mac-mlp"));
  const sim::MemoryConfig standard = app::standard_memories(mlp, 16, 16);
  constexpr std::size_t kImages = 20;

  // Half-width weight memory: every beat of 16 lanes needs two cycles.
  sim::Datapath narrow(mlp, rtl(16, 16), test::model_cache_dir());
  const sim::PlatformRun n = sim::run_platform(narrow, fashion_test(), kImages, 50e6,
                                               sim::parse_memory_config("weights.width=64", standard));
  const sim::LayerStats& l2 = narrow.stats().layers[1];
  CHECK(l2.stall_cycles >= l2.beats);  // one extra cycle a beat at least
  CHECK(n.stall_cycles > 0);
  for (std::size_t i = 0; i < kImages; ++i) CHECK(n.results[i] == models::infer(mlp, fashion_test().image(i)));

  // Weights streamed from a 200 MB/s system memory: the image takes the time
  // its system traffic needs at that bandwidth, and layer 2 its weights'.
  sim::Datapath slow(mlp, rtl(16, 16), test::model_cache_dir());
  const double bandwidth = 200e6, f = 50e6;
  const sim::PlatformRun s = sim::run_platform(
      slow, fashion_test(), kImages, f, sim::parse_memory_config("weights.capacity=32KiB,system.bandwidth=200MB/s", standard));
  CHECK_FALSE(s.weights.resident);
  const double bound = double(s.system_bytes_read + s.system_bytes_written) / bandwidth * f;
  CHECK(double(s.cycles) == doctest::Approx(bound).epsilon(0.01));
  const sim::LayerStats& w2 = slow.stats().layers[1];
  CHECK(double(w2.cycles) == doctest::Approx(double(w2.weight_fetch_bytes) / bandwidth * f).epsilon(0.015));
  for (std::size_t i = 0; i < kImages; ++i) CHECK(s.results[i] == models::infer(mlp, fashion_test().image(i)));

  // Too small for a layer: refused before simulating.
  sim::Datapath tiny(mlp, rtl(16, 16), test::model_cache_dir());
  CHECK(error_of([&] {
          sim::run_platform(tiny, fashion_test(), 1, f, sim::parse_memory_config("membrane.capacity=1,weights.capacity=1KiB", standard));
        }).find("weight memory of 1024 bytes is too small") != std::string::npos);
  CHECK(tiny.stats().images == 0);
}

TEST_CASE("memories priced as register-file banks characterised at gate level") {
  const tech::Library lib = tech::read_liberty(tech::resolve_library("osu018"));
  const sim::BankCost big = sim::characterise_regfile(lib, 32, 32, 50e6, test::model_cache_dir(), {}, 500);
  const sim::BankCost small = sim::characterise_regfile(lib, 32, 8, 50e6, test::model_cache_dir(), {}, 500);
  CHECK(big.area == doctest::Approx(big.yosys_area).epsilon(1e-6));  // against yosys stat
  CHECK(big.cells > 32 * 32);                                          // a flop a bit, and the read mux
  CHECK(big.leakage > 0);
  CHECK(big.idle_energy > 0);
  CHECK(big.read_energy > big.write_energy);  // the 32:1 read mux against one word's enable
  CHECK(big.write_energy > 0);
  CHECK(small.area < big.area / 3);
  CHECK(small.read_energy < big.read_energy);
  CHECK(small.idle_energy < big.idle_energy / 3);  // idle clocking scales with the flops
  CHECK(error_of([&] { sim::characterise_regfile(lib, 32, 24, 50e6, test::model_cache_dir()); }).find("power of two") !=
        std::string::npos);
  CHECK(error_of([&] { sim::characterise_regfile(lib, 0, 32, 50e6, test::model_cache_dir()); }).find("1..64") !=
        std::string::npos);

  // mac-mlp on 16 lanes of K = 16, standard memories: tiles and per-access prices.
  const models::Network mlp = models::read_network(app::resolve_model("mac-mlp"));
  const sim::MemoryConfig standard = app::standard_memories(mlp, 16, 16);
  const sim::MemoriesCost cost = sim::price_memories(big, mlp, standard, 16, 16);
  const std::uint64_t weight_bytes = (784 * 128 * 8 + 128 * 10 * 8) / 8;
  CHECK(cost.weights.capacity_bytes == weight_bytes);
  CHECK(cost.weights.tiles == (weight_bytes * 8 + 1023) / 1024);
  CHECK(cost.weights.area == doctest::Approx(double(cost.weights.tiles) * big.area));
  CHECK(cost.energy.weight_read == doctest::Approx(4 * big.read_energy));  // 16 codes x 8 bits over 32-bit banks
  CHECK(cost.energy.activation_write == doctest::Approx(big.write_energy));
  CHECK(cost.membrane.tiles == 0);  // not a spiking network
  CHECK(cost.energy.weight_leakage == doctest::Approx(cost.weights.leakage));

  // Priced energy of a run: accesses times prices plus leakage over the run's time.
  sim::LayerStats s;
  s.weights.reads = 10;
  s.activations.reads = 3;
  s.activations.writes = 2;
  CHECK(cost.energy.total(s, 1e-6) ==
        doctest::Approx(10 * cost.energy.weight_read + 3 * cost.energy.activation_read +
                        2 * cost.energy.activation_write +
                        1e-6 * (cost.energy.weight_leakage + cost.energy.activation_leakage)));
}

TEST_CASE("platform: images on independent datapaths give the same results and counts whatever the threads") {
  for (const KernelKind kind : {neuroppa::models::kind_named("mac"), neuroppa::models::kind_named("spike")}) {
    CAPTURE(models::to_string(kind));
    const models::Network net = test::random_network(kind, "c4k3,p2,d12,d10", 11);
    const sim::MemoryConfig memory = app::standard_memories(net, 4, 8);
    constexpr std::size_t kImages = 21;  // not a multiple of the workers' chunks
    sim::Datapath one(net, rtl(4, 8), test::model_cache_dir()), three(net, rtl(4, 8), test::model_cache_dir());
    const sim::PlatformRun a = sim::run_platform(one, fashion_test(), kImages, 50e6, memory, {}, 1);
    const sim::PlatformRun b = sim::run_platform(three, fashion_test(), kImages, 50e6, memory, {}, 3);
    CHECK(a.results == b.results);
    CHECK(a.cycles == b.cycles);
    CHECK(a.stall_cycles == b.stall_cycles);
    CHECK(one.stats().images == kImages);
    CHECK(three.stats().images == kImages);
    for (std::size_t l = 0; l < net.layers.size(); ++l) {
      CAPTURE(l);
      const sim::LayerStats &x = one.stats().layers[l], &y = three.stats().layers[l];
      CHECK(x.cycles == y.cycles);
      CHECK(x.beats == y.beats);
      CHECK(x.skipped_beats == y.skipped_beats);
      CHECK(x.weights.reads == y.weights.reads);
      CHECK(x.activations.reads == y.activations.reads);
      CHECK(x.spikes == y.spikes);
      CHECK(x.stall_cycles == y.stall_cycles);
    }
  }
}

TEST_CASE("memories priced from a user's table: per access, per bit, leakage, area; faults named") {
  const models::Network mlp = models::read_network(app::resolve_model("mac-mlp"));
  const sim::MemoryConfig standard = app::standard_memories(mlp, 16, 16);
  const fs::path dir = test::temp_dir("memory-table");
  const auto write = [&](const std::string& name, const std::string& text) {
    std::ofstream(dir / name) << text;
    return dir / name;
  };
  const fs::path good = write("good.json", R"({"name": "datasheet",
    "weights": {"read": {"per_access_pJ": 5, "per_bit_pJ": 0.1}, "leakage_uW": 20, "area_um2": 400000},
    "activations": {"read": {"per_bit_pJ": 0.1}, "write": {"per_access_pJ": 1, "per_bit_pJ": 0.2}}})");
  const sim::MemoriesCost cost = sim::price_memories_from_table(good, mlp, standard, 16, 16);
  CHECK(cost.model == "datasheet");
  CHECK(cost.energy.weight_read == doctest::Approx((5 + 0.1 * 128) * 1e-12));  // 16 codes x 8 bits
  CHECK(cost.energy.activation_read == doctest::Approx(0.1 * 128 * 1e-12));
  CHECK(cost.energy.activation_write == doctest::Approx((1 + 0.2 * 8) * 1e-12));
  CHECK(cost.energy.weight_leakage == doctest::Approx(20e-6));
  CHECK(cost.weights.area == doctest::Approx(400000));
  const auto fault = [&](const std::string& text) {
    return error_of([&] { sim::price_memories_from_table(write("bad.json", text), mlp, standard, 16, 16); });
  };
  CHECK(fault(R"({"weights": {"reed": {}}, "activations": {}})").find("weights: unknown key 'reed'") != std::string::npos);
  CHECK(fault(R"({"weights": {"leakage_uW": -1}, "activations": {}})").find("weights.leakage_uW: give a number") !=
        std::string::npos);
  CHECK(fault(R"({"weights": {}})").find("no entry for the activation buffers") != std::string::npos);
  CHECK(fault("{").find("bad.json: not JSON") != std::string::npos);
  CHECK(fault(R"({"weights": {"read": {"per_access_pJ": "5"}}, "activations": {}})")
            .find("weights.read.per_access_pJ: give a number") != std::string::npos);
}

TEST_SUITE("shared") {
  TEST_CASE("memories priced as SRAM macros from their Liberty models") {
    struct Expect {
      const char* file;
      unsigned width, depth;
    };
    for (const Expect e : {Expect{"sky130_sram_1kbyte_1rw1r_32x256_8_TT_1p8V_25C.lib.gz", 32, 256},
                           Expect{"sky130_sram_1kbyte_1rw1r_8x1024_8_TT_1p8V_25C.lib.gz", 8, 1024},
                           Expect{"sky130_sram_2kbyte_1rw1r_32x512_8_TT_1p8V_25C.lib.gz", 32, 512}}) {
      CAPTURE(e.file);
      const tech::Library lib = tech::read_liberty(test::shared_dir() / "libs/sram" / e.file);
      const sim::BankCost bank = sim::sram_macro_bank(lib);
      MESSAGE(bank.describe() << ": read " << bank.read_energy * 1e12 << " pJ, leakage " << bank.leakage * 1e6 << " µW");
      CHECK(bank.width == e.width);
      CHECK(bank.depth == e.depth);
      CHECK(bank.area == doctest::Approx(lib.cells.front().area));
      CHECK(bank.leakage == doctest::Approx(*lib.cells.front().cell_leakage_power));
      CHECK(bank.read_energy > 0);
      // OpenRAM's figures: one energy for every kind of cycle, and the price says so (the macros' README).
      CHECK(bank.read_energy == bank.write_energy);
      CHECK(bank.describe().find("not calibrated") != std::string::npos);
    }
    const tech::Library kb = tech::read_liberty(test::shared_dir() /
                                                "libs/sram/sky130_sram_1kbyte_1rw1r_32x256_8_TT_1p8V_25C.lib.gz");
    const sim::BankCost macro = sim::sram_macro_bank(kb);
    CHECK(macro.read_energy == doctest::Approx(2 * 9.589466e-12));  // a rise and a fall of clk0, 9.589466 pJ each
    const models::Network mlp = models::read_network(app::resolve_model("mac-mlp"));
    const sim::MemoriesCost cost = sim::price_memories(macro, mlp, app::standard_memories(mlp, 16, 16), 16, 16);
    CHECK(cost.weights.tiles == (100352 + 1280 + 1023) / 1024);  // 1 KB macros for 101,632 bytes of codes
    CHECK(cost.energy.weight_read == doctest::Approx(4 * macro.read_energy));  // 128 bits over 32-bit macros
    CHECK(cost.model.find("SRAM macros sky130_sram_1kbyte_1rw1r_32x256_8") != std::string::npos);
    // The flop library is not a macro.
    CHECK(error_of([] { sim::sram_macro_bank(tech::read_liberty(tech::resolve_library("osu018"))); })
              .find("no dout") != std::string::npos);
  }
}
