// Networks: architecture specs, model files (round trip and malformed
// input), and the reference inference against the kernel golden models.
#include <doctest/doctest.h>
#include <functional>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "neuroppa/base/error.hpp"
#include "neuroppa/base/file.hpp"
#include "neuroppa/models/network.hpp"
#include "neuroppa/models/random.hpp"
#include "network_fixtures.hpp"
#include "support.hpp"

using namespace neuroppa;
using namespace neuroppa::models;
using neuroppa::base::read_file;

namespace {

std::string error_of(const std::function<void()>& fn) {
  try {
    fn();
  } catch (const Error& e) {
    return e.what();
  }
  return "(no error)";
}

}  // namespace

TEST_CASE("architecture specs lay out the layers with their shapes") {
  const auto layers = layout(parse_arch("c8k3,p2,c16k3,p2,d10"), {1, 28, 28}, neuroppa::models::kind_named("mac"), 8);
  REQUIRE(layers.size() == 6);  // a flatten is inserted before the dense layer
  CHECK(layers[0].out == Shape{8, 26, 26});
  CHECK(layers[0].fan_in() == 9);
  CHECK(layers[1].out == Shape{8, 13, 13});
  CHECK(layers[2].out == Shape{16, 11, 11});
  CHECK(layers[2].fan_in() == 72);
  CHECK(layers[3].out == Shape{16, 5, 5});
  CHECK(layers[4].type == LayerType::flatten);
  CHECK(layers[4].out == Shape{400, 1, 1});
  CHECK(layers[5].out == Shape{10, 1, 1});
  CHECK(layers[5].code_bits == 8);

  const auto mixed = layout(parse_arch("c4k5s2@mac,d10"), {1, 28, 28}, neuroppa::models::kind_named("threshold"), 8);
  CHECK(mixed[0].kind == neuroppa::models::kind_named("mac"));
  CHECK(mixed[0].out == Shape{4, 12, 12});
  CHECK(mixed[2].kind == neuroppa::models::kind_named("threshold"));
  CHECK(mixed[2].code_bits == 9);

  CHECK(error_of([] { parse_arch("d128,x3"); }).find("'x3': unknown layer type") != std::string::npos);
  CHECK(error_of([] { parse_arch("d0"); }).find("at least 1") != std::string::npos);
  CHECK(error_of([] { parse_arch("c8,d10"); }).find("expected k<size>") != std::string::npos);
  CHECK(error_of([] { parse_arch("d10@mult"); }).find("unknown kind 'mult'") != std::string::npos);
  CHECK(error_of([] { parse_arch("p2@mac,d10"); }).find("only dense and conv") != std::string::npos);
  CHECK(error_of([] { layout(parse_arch("c8k30,d10"), {1, 28, 28}, neuroppa::models::kind_named("mac"), 8); })
            .find("does not fit the 1x28x28 input") != std::string::npos);
  CHECK(error_of([] { layout(parse_arch("d10,f"), {1, 28, 28}, neuroppa::models::kind_named("mac"), 8); })
            .find("last layer must be dense or conv") != std::string::npos);
}

TEST_CASE("model files round-trip and the reference inference is unchanged") {
  for (const KernelKind kind : neuroppa::models::builtin_kernel_kinds()) {
    CAPTURE(to_string(kind));
    const Network net = test::random_network(kind, "c4k3,p2,d12,d10", 7);
    const auto path = test::temp_dir("network") / fmt::format("{}.json.gz", to_string(kind));
    write_network(net, path);
    const Network back = read_network(path);
    REQUIRE(back.layers.size() == net.layers.size());
    for (std::size_t i = 0; i < net.layers.size(); ++i) {
      CHECK(back.layers[i].codes == net.layers[i].codes);
      CHECK(back.layers[i].bias == net.layers[i].bias);
      CHECK(back.layers[i].shift == net.layers[i].shift);
      CHECK(back.layers[i].vth == net.layers[i].vth);
    }
    Rng rng(3);
    std::vector<std::uint8_t> image(784);
    for (auto& p : image) p = static_cast<std::uint8_t>(rng.below(256));
    CHECK(infer(back, image.data()) == infer(net, image.data()));
  }
}

TEST_CASE("model files: the count of test images behind the recorded accuracies, only when recorded") {
  Network net = test::random_network(neuroppa::models::kind_named("mac"), "d6,d3", 1);
  const auto dir = test::temp_dir("test-images");
  // Not recorded (files made before it was): absent from the file, the content hash unchanged.
  write_network(net, dir / "older.json");
  CHECK(read_file(dir / "older.json").find("test_images") == std::string::npos);
  CHECK(read_network(dir / "older.json").training.test_images == -1);
  const std::string hash = network_hash(net);
  net.training.test_images = 200;
  CHECK(network_hash(net) != hash);
  write_network(net, dir / "recorded.json");
  CHECK(read_network(dir / "recorded.json").training.test_images == 200);
  nlohmann::json j = nlohmann::json::parse(read_file(dir / "recorded.json"));
  j["training"]["test_images"] = -3;
  const auto bad = test::write_temp_file("negative-test-images.json", j.dump());
  const std::string message = error_of([&] { read_network(bad); });
  CAPTURE(message);
  CHECK(message.find("\"test_images\" must be an integer") != std::string::npos);
}

TEST_CASE("malformed model files give one error naming the file and the fault") {
  const Network net = test::random_network(neuroppa::models::kind_named("mac"), "d6,d3", 1);
  const auto dir = test::temp_dir("bad-models");
  write_network(net, dir / "good.json");
  const nlohmann::json good = nlohmann::json::parse(read_file(dir / "good.json"));
  const auto rejects = [&](const std::string& name, const std::function<void(nlohmann::json&)>& edit,
                           const std::string& expected) {
    nlohmann::json j = good;
    edit(j);
    const auto path = test::write_temp_file(name, j.dump());
    const std::string message = error_of([&] { read_network(path); });
    CAPTURE(message);
    CHECK(message.find(path.string()) != std::string::npos);
    CHECK(message.find(expected) != std::string::npos);
  };
  rejects("format.json", [](auto& j) { j["format"] = "onnx"; }, "not a neuroppa model file");
  rejects("version.json", [](auto& j) { j["version"] = 9; }, "model format version 9");
  rejects("kind.json", [](auto& j) { j["layers"][1]["kind"] = "mult"; }, "unknown kind \"mult\"");
  rejects("shape.json", [](auto& j) { j["layers"][2]["in"] = {1, 1, 7}; },
          "input shape 1x1x7 but the previous layer gives 6x1x1");
  rejects("out.json", [](auto& j) { j["layers"][1]["out"] = {6, 2, 1}; }, "does not follow from input");
  rejects("codes.json", [](auto& j) { j["layers"][1]["codes"].erase(0); }, "weight codes, expected 4704");
  rejects("wide.json", [](auto& j) { j["layers"][1]["codes"][3] = 256; }, "does not fit 8 bits");
  rejects("bias.json", [](auto& j) { j["layers"][1]["bias"][0] = 1ll << 40; }, "does not fit AW=32");
  rejects("missing.json", [](auto& j) { j["layers"][1].erase("shift"); }, "missing \"shift\"");
  rejects("type.json", [](auto& j) { j["layers"][1]["bias"] = "none"; }, "\"bias\" must be an array of integers");
  rejects("name.json", [](auto& j) { j["name"] = 5; }, "\"name\" has the wrong type (number)");
  // Integers are read exactly: fuzz_model found a float code (7.8e79) that
  // the JSON library converted to unsigned, which is undefined behaviour.
  rejects("float-code.json", [](auto& j) { j["layers"][1]["codes"][0] = 7.77778e+79; },
          "\"codes\" must be an integer in 0..4294967295, got 7.77778e+79");
  rejects("negative-code.json", [](auto& j) { j["layers"][1]["codes"][0] = -1; }, "\"codes\" must be an integer");
  rejects("float-bias.json", [](auto& j) { j["layers"][1]["bias"][0] = 1.5; }, "\"bias\" must be an integer");
  rejects("big-bias.json", [](auto& j) { j["layers"][1]["bias"][0] = 1ull << 63; },
          "\"bias\" must be an integer in -9223372036854775808..9223372036854775807");
  rejects("spiking.json", [](auto& j) { j["timesteps"] = 4; }, "mac layer in a spiking network");

  const auto truncated = test::write_temp_file("truncated.json", good.dump().substr(0, 200));
  CHECK(error_of([&] { read_network(truncated); }).find("malformed JSON at byte") != std::string::npos);
  CHECK(error_of([&] { read_network(dir / "absent.json.gz"); }).find("absent.json.gz") != std::string::npos);
  // What a mutation run found escaping as exceptions of the JSON library or
  // as a stack overflow: a number beyond double, and deep nesting.
  std::string huge = good.dump();
  huge.replace(huge.find("\"version\":") + 10, 1, "1e400");
  CHECK(error_of([&] { read_network(test::write_temp_file("huge.json", huge)); }).find("not a neuroppa model file") !=
        std::string::npos);
  const std::string deep = "{\"format\": " + std::string(100000, '[') + std::string(100000, ']') + "}";
  CHECK(error_of([&] { read_network(test::write_temp_file("deep.json", deep)); })
            .find("JSON nested more than 64 deep") != std::string::npos);
}

TEST_CASE("model format 2: conv padding in specs, files, patches; version 1 kept when unused") {
  const std::vector<Layer> layers = layout(parse_arch("c4k3p1,c2k3s2p2,d10"), {1, 28, 28}, kind_named("mac"), 8);
  REQUIRE(layers.size() == 4);  // conv, conv, flatten, dense
  CHECK(layers[0].pad == 1);
  CHECK(layers[0].out == Shape{4, 28, 28});
  CHECK(layers[1].out == Shape{2, 15, 15});  // (28 + 4 - 3) / 2 + 1
  CHECK(layers[0].describe() == "conv 3x3/1 pad 1 mac 1x28x28 -> 4x28x28");
  CHECK_THROWS_WITH_AS(layout(parse_arch("c4k3p3,d10"), {1, 28, 28}, kind_named("mac"), 8),
                       doctest::Contains("padding 3 with a 3x3 kernel"), Error);

  // A patch at the corner reads zeros where the window hangs over the border.
  Layer conv = layers[0];
  std::vector<std::uint32_t> in(28 * 28);
  for (std::size_t i = 0; i < in.size(); ++i) in[i] = std::uint32_t(i % 251 + 1);
  std::vector<std::uint32_t> patch(9);
  gather_patch(conv, in, 0, 0, patch.data());
  CHECK(patch == std::vector<std::uint32_t>{0, 0, 0, 0, in[0], in[1], 0, in[28], in[29]});
  gather_patch(conv, in, 27, 27, patch.data());
  CHECK(patch == std::vector<std::uint32_t>{in[26 * 28 + 26], in[26 * 28 + 27], 0, in[27 * 28 + 26],
                                            in[27 * 28 + 27], 0, 0, 0, 0});

  const Network padded = test::random_network(kind_named("mac"), "c4k3p1,p2,d10", 3);
  const auto dir = test::temp_dir("format2");
  write_network(padded, dir / "padded.json");
  CHECK(nlohmann::json::parse(read_file(dir / "padded.json"))["version"] == 2);
  const Network back = read_network(dir / "padded.json");
  CHECK(back.layers[0].pad == 1);
  std::vector<std::uint8_t> image(784);
  for (std::size_t i = 0; i < image.size(); ++i) image[i] = std::uint8_t(i * 7);
  CHECK(infer(back, image.data()) == infer(padded, image.data()));
  const Network plain = test::random_network(kind_named("mac"), "c4k3,p2,d10", 3);
  write_network(plain, dir / "plain.json");
  CHECK(nlohmann::json::parse(read_file(dir / "plain.json"))["version"] == 1);  // older builds read it

  nlohmann::json j = nlohmann::json::parse(read_file(dir / "padded.json"));
  j["version"] = 1;
  base::write_file(dir / "v1-with-pad.json", j.dump());
  CHECK_THROWS_WITH_AS(read_network(dir / "v1-with-pad.json"), doctest::Contains("\"pad\" needs model format version 2"),
                       Error);
  j["version"] = 3;
  base::write_file(dir / "v3.json", j.dump());
  CHECK_THROWS_WITH_AS(read_network(dir / "v3.json"), doctest::Contains("model format version 3; this neuroppa reads versions 1 to 2"),
                       Error);
}

TEST_CASE("model format 2: residual layers in layouts, fan-ins, files; bad residuals refused") {
  std::vector<LayerSpec> spec = parse_arch("c4k3p1,c4k3p1,d10,d10");
  spec[1].residual = 1;  // the second conv adds the first's output
  spec[3].residual = 3;  // the last dense layer adds the first's (number 4 after the inserted flatten)
  const std::vector<Layer> layers = layout(spec, {1, 28, 28}, kind_named("mac"), 8);
  REQUIRE(layers.size() == 5);  // conv, conv, flatten, dense, dense
  CHECK(layers[1].residual == 1);
  CHECK(layers[1].residual_in == Shape{4, 28, 28});
  CHECK(layers[1].fan_in() == 4 * 9 + 4);
  CHECK(layers[1].residual_fan_in() == 4);
  CHECK(layers[4].residual == 4);
  CHECK(layers[4].fan_in() == 20);
  CHECK(layers[1].describe() == "conv 3x3/1 pad 1 mac 4x28x28 + layer 1 -> 4x28x28");

  // The fan-in: the patch, then the residual's channels at the output position.
  std::vector<std::uint32_t> in(4 * 28 * 28), skip(4 * 28 * 28);
  for (std::size_t i = 0; i < in.size(); ++i) in[i] = std::uint32_t(i % 13), skip[i] = std::uint32_t(i % 17 + 100);
  std::vector<std::uint32_t> fan(layers[1].fan_in());
  gather_fan_in(layers[1], in, skip, 5, 7, fan.data());
  std::vector<std::uint32_t> patch(36);
  gather_patch(layers[1], in, 5, 7, patch.data());
  CHECK(std::equal(patch.begin(), patch.end(), fan.begin()));
  for (unsigned c = 0; c < 4; ++c) CHECK(fan[36 + c] == skip[c * 784 + 5 * 28 + 7]);

  const Network net = test::random_network(kind_named("mac"), "c4k3p1,c4k3p1,d10,d10", 3, {{1, 1}, {3, 3}});
  const auto dir = test::temp_dir("format2-residual");
  write_network(net, dir / "residual.json");
  nlohmann::json j = nlohmann::json::parse(read_file(dir / "residual.json"));
  CHECK(j["version"] == 2);
  CHECK(j["layers"][1]["residual"] == 1);
  const Network back = read_network(dir / "residual.json");
  CHECK(back.layers[1].residual_in == Shape{4, 28, 28});
  std::vector<std::uint8_t> image(784);
  for (std::size_t i = 0; i < image.size(); ++i) image[i] = std::uint8_t(i * 5);
  CHECK(infer(back, image.data()) == infer(net, image.data()));
  // Without the residual the sums differ (its synapses count).
  Network cut = net;
  cut.layers[1].residual = 0;
  cut.layers[1].codes.resize(4 * 36);
  CHECK(infer(cut, image.data()).outputs != infer(net, image.data()).outputs);

  const auto refused = [&](const std::function<void(nlohmann::json&)>& edit, const char* file) {
    nlohmann::json k = j;
    edit(k);
    base::write_file(dir / file, k.dump());
    try {
      read_network(dir / file);
    } catch (const Error& e) {
      return std::string(e.what());
    }
    return std::string("(read)");
  };
  CHECK(refused([](nlohmann::json& k) { k["layers"][1]["residual"] = 2; }, "later.json")
            .find("layer 2 (conv): residual 2: it must name an earlier layer (1..1)") != std::string::npos);
  CHECK(refused([](nlohmann::json& k) { k["layers"][3]["residual"] = 1; }, "count.json")
            .find("weight codes, expected") != std::string::npos);  // 4x28x28 more synapses than its codes
  CHECK(refused(
            [](nlohmann::json& k) {
              k["version"] = 1;
              for (auto& layer : k["layers"]) layer.erase("pad");  // read before the shapes are checked
            },
            "v1.json")
            .find("layer 2: \"residual\" needs model format version 2 (the file says 1)") != std::string::npos);
  Network shapes = test::random_network(kind_named("mac"), "c4k3,c4k3,d10", 3);
  shapes.layers[1].residual = 1;  // 4x26x26 onto 24x24 positions
  shapes.layers[1].residual_in = shapes.layers[0].out;
  shapes.layers[1].codes.resize(std::size_t{4} * shapes.layers[1].fan_in());
  CHECK_THROWS_WITH_AS(validate(shapes, "shapes"), doctest::Contains("a conv adds one value a channel at each of its"),
                       Error);
}

TEST_CASE("the reference inference computes each neuron as the kernel golden model does") {
  // Any K: the accumulator wraps modulo 2^AW, so chunking the fan-in into
  // beats does not change the sum. Tight accumulators make wrapping happen.
  for (const KernelKind kind : {neuroppa::models::kind_named("mac"), neuroppa::models::kind_named("shift"), neuroppa::models::kind_named("threshold")}) {
    CAPTURE(to_string(kind));
    Network net = test::random_network(kind, "d5,d4", 11);
    net.AW = 20;
    for (auto& l : net.layers) {
      if (!l.computes()) continue;
      for (auto& b : l.bias) b = wrap_signed(static_cast<std::uint64_t>(b), 20);
      l.shift = 2;
    }
    Rng rng(5);
    std::vector<std::uint8_t> image(784);
    for (auto& p : image) p = static_cast<std::uint8_t>(rng.below(256));
    const Inference result = infer(net, image.data());

    // Layer by layer with KernelGolden, K = 7 synapses a beat.
    std::vector<std::uint32_t> act(image.begin(), image.end());
    for (const Layer& layer : net.layers) {
      if (!layer.computes()) continue;
      const KernelParams p = net.kernel_params(layer, 7);
      std::vector<std::uint32_t> out(layer.out.size());
      for (unsigned o = 0; o < layer.out.channels; ++o) {
        KernelGolden golden(p);
        const unsigned n = layer.fan_in(), beats = (n + 6) / 7;
        for (unsigned b = 0; b < beats; ++b) {
          Beat beat;
          beat.valid = true;
          beat.first = b == 0;
          beat.last = b + 1 == beats;
          beat.bias = layer.bias[o];
          beat.shift = layer.shift;
          for (unsigned k = 0; k < 7; ++k) {
            const unsigned f = b * 7 + k;
            beat.x.push_back(f < n ? act[f] : 0);
            beat.w.push_back(f < n ? layer.codes[std::size_t{o} * n + f] : 0);
          }
          golden.step(beat);
        }
        REQUIRE(golden.outputs().valid);
        out[o] = golden.outputs().y;
      }
      act = out;
    }
    CHECK(act == result.outputs);
  }
}

TEST_CASE("spiking inference: rate-coded input, reset by subtraction, counts and membranes") {
  std::vector<std::uint8_t> image = {0, 64, 128, 255};
  SpikeEncoder encoder(image.data(), image.size(), 8);
  std::vector<unsigned> counts(4, 0);
  for (int t = 0; t < 16; ++t) {
    const auto& s = encoder.next();
    for (int i = 0; i < 4; ++i) counts[i] += s[i];
  }
  // A pixel p fires floor((128 + 16 p) / 256) times in 16 steps.
  CHECK(counts == std::vector<unsigned>{0, 4, 8, 16});

  const Network net = test::random_network(neuroppa::models::kind_named("spike"), "d8,d3", 2);
  Rng rng(9);
  std::vector<std::uint8_t> pixels(784);
  for (auto& p : pixels) p = static_cast<std::uint8_t>(rng.below(256));
  const Inference r = infer(net, pixels.data());
  CHECK(r.outputs.size() == 3);
  CHECK(r.membrane.size() == 3);
  std::uint64_t out_spikes = 0;
  for (auto c : r.outputs) {
    CHECK(c <= net.timesteps);
    out_spikes += c;
  }
  CHECK(r.spikes >= out_spikes);
  CHECK(r.predicted == predict(r.outputs, r.membrane));
  CHECK(predict({3, 5, 5}, {0, 1, 2}) == 2);  // ties broken by the membrane potential
  CHECK(predict({3, 5, 5}, {}) == 1);          // then by the lowest index
}

TEST_CASE("sigma-delta inference: the encoder, the max-pool, the graded spike counts") {
  const KernelKind sd = kind_named("sigma-delta");
  Network net = test::random_network(sd, "d8,d3", 2);
  // A pixel is a sigma-delta neuron: 255 with spike unit 2^5 (B = 4) goes out as 7 (saturated),
  // then the 31 owed as 1 (rounded), then nothing (|-1| < vth 16).
  const std::vector<std::uint8_t> image(784, 255);
  SigmaDeltaEncoder encoder(image.data(), net);
  CHECK(encoder.next()[0] == 7u);
  CHECK(encoder.next()[0] == 1u);
  CHECK(encoder.next()[0] == 0u);

  // Max-pool of graded spikes sends the change of the maximum of the inputs' sums.
  Layer pool;
  pool.type = LayerType::maxpool;
  pool.kernel = 2;
  pool.in = {1, 2, 2};
  pool.out = {1, 1, 1};
  LayerState state;
  const auto code = [](int s) { return static_cast<std::uint32_t>(s) & 0xfu; };
  CHECK(sigma_delta_maxpool(pool, 4, {code(3), code(1), 0, 0}, state) == std::vector<std::uint32_t>{code(3)});
  CHECK(sigma_delta_maxpool(pool, 4, {code(-2), code(3), 0, 0}, state) == std::vector<std::uint32_t>{code(1)});
  CHECK(sigma_delta_maxpool(pool, 4, {code(-8), code(-8), code(-1), 0}, state) == std::vector<std::uint32_t>{code(-4)});

  // Counts: -3 is a sign bit and two magnitude bits, both significant; 4 is 1 + 3 bits, one significant.
  GradedSpikeCounts counts;
  counts.add(code(-3), 4);
  counts.add(0, 4);
  counts.add(code(4), 4);
  CHECK(counts == GradedSpikeCounts{2, 3 + 4, 2 + 1, 3});

  Rng rng(9);
  std::vector<std::uint8_t> pixels(784);
  for (auto& p : pixels) p = static_cast<std::uint8_t>(rng.below(256));
  const Inference r = infer(net, pixels.data());
  CHECK(r.graded.activities == net.timesteps * (8u + 3u));
  CHECK(r.spikes == r.graded.events);
  CHECK(r.input_spikes > 0);
  CHECK(r.membrane.size() == 3);
  CHECK(r.predicted == predict(r.outputs, r.membrane));
}

TEST_CASE("sigma-delta networks: bad models and a state that overflows are errors naming the value") {
  const KernelKind sd = kind_named("sigma-delta");
  const Network good = test::random_network(sd, "d8,d3", 2);
  const auto fails = [&](const std::function<void(Network&)>& change) {
    Network net = good;
    change(net);
    return error_of([&] { validate(net, "sd.json"); });
  };
  CHECK(fails([](Network& n) { n.XW = 9; }).find("XW=9 is out of range for sigma-delta: its package takes XW 2..8") !=
        std::string::npos);
  CHECK(fails([](Network& n) { n.timesteps = 0; }).find("sd.json: a sigma-delta network needs timesteps in 1..10000, got 0") !=
        std::string::npos);
  CHECK(fails([](Network& n) { n.layers[1].vth = -1; }).find("vth -1 must be in 0..") != std::string::npos);
  CHECK(fails([](Network& n) { n.layers[1].bias[0] = std::int64_t{1} << 28; }).find("must be within ±") !=
        std::string::npos);
  CHECK(fails([](Network& n) { n.input_shift = 64; }).find("input_shift 64 must be below 64") != std::string::npos);
  CHECK(fails([](Network& n) { n.layers[2].kind = kind_named("mac"); })
            .find("layer 3 (dense): mac layer in a spiking network") != std::string::npos);
  // One timestep's sum must fit the headroom: 784 synapses of |8 x -128| in AW = 20 do not.
  CHECK(fails([](Network& n) { n.AW = 20; }).find("one timestep's sum may reach 802816") != std::string::npos);

  // At run time: a 1x1 conv of weight 127 on white pixels grows sigma past 2^(16-4) within a few steps.
  const Network net = test::overflowing_sigma_delta_network();
  const std::vector<std::uint8_t> white(784, 255);
  CHECK(error_of([&] { infer(net, white.data()); })
            .find("layer 1 (conv 1x1/1 sigma-delta 1x28x28 -> 2x28x28), neuron 0, timestep 5: sigma = ") !=
        std::string::npos);
}
