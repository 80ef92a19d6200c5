// The platform's cost over the bare Verilated kernels, and its speed on the
// bundled models, measured side by side in one run.
//
// (a) direct: the same RTL kernel models (P instances) driven from C++ with
//     the operand stream the platform issues — every layer's activations
//     (from the reference inference) and weights packed in advance, ports
//     written, tick; nothing else.
// (b) the datapath alone (one simulation thread), which also gathers, packs
//     and counts. Budget: b costs at most 1.5x a.
// (c) the SystemC TLM platform with ideal memories, one thread: registers,
//     DMA, controller timing every beat. Budget: c at most 1.5x b.
// Then the full run per bundled MLP at RTL level through the platform with
// the machine's threads (images in parallel on independent datapaths;
// budget: 10,000 images in 30 s per kind), with --contended the same with
// one and with two threads while another process keeps a core busy, and
// with --gate, 1,000 images at gate level (budget: under 3 minutes per kind).
//
//   bench/platform_bench [--models mac-mlp,...] [--images 300] [--full 10000] [--contended 500] [--gate]
#include <CLI/CLI.hpp>

#include <csignal>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fmt/format.h>
#include <thread>

#include "neuroppa/app/bundled_models.hpp"
#include "neuroppa/models/dataset.hpp"
#include "neuroppa/base/error.hpp"
#include "neuroppa/sim/datapath.hpp"
#include "neuroppa/sim/kernel_harness.hpp"
#include "neuroppa/sim/platform.hpp"
#include "neuroppa/tech/liberty.hpp"

using namespace neuroppa;

namespace {

double seconds_since(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}

struct DirectBeat {
  unsigned lane;
  const std::uint32_t* x;  // packed activation beat
  const std::uint32_t* w;  // packed weight codes
  bool first, last;
};

// The operand stream of a non-spiking network on `images`, as port words.
struct DirectStream {
  std::vector<std::vector<std::uint32_t>> storage;
  std::vector<DirectBeat> beats;
};

DirectStream direct_stream(const models::Network& net, const models::ImageSet& images, std::size_t count, unsigned K,
                           unsigned P, unsigned x_words, unsigned w_words) {
  DirectStream s;
  s.storage.reserve(1 << 20);
  for (std::size_t i = 0; i < count; ++i) {
    std::vector<std::vector<std::uint32_t>> inputs;
    models::infer(net, images.image(i), &inputs);
    for (std::size_t l = 0; l < net.layers.size(); ++l) {
      const models::Layer& layer = net.layers[l];
      if (!layer.computes()) continue;
      const unsigned n = layer.fan_in(), beats = (n + K - 1) / K;
      const unsigned positions = layer.type == models::LayerType::conv ? layer.out.height * layer.out.width : 1;
      std::vector<std::uint32_t> fan(std::size_t{beats} * K);
      for (unsigned pos = 0; pos < positions; ++pos) {
        std::fill(fan.begin(), fan.end(), 0u);
        if (layer.type == models::LayerType::conv)
          models::gather_patch(layer, inputs[l], pos / layer.out.width, pos % layer.out.width, fan.data());
        else
          std::copy(inputs[l].begin(), inputs[l].end(), fan.begin());
        std::vector<const std::uint32_t*> xs;
        for (unsigned b = 0; b < beats; ++b) {
          s.storage.emplace_back(x_words + 1);
          sim::pack_bits(std::span(&fan[std::size_t{b} * K], K), 8, s.storage.back());
          xs.push_back(s.storage.back().data());
        }
        for (unsigned o = 0; o < layer.out.channels; ++o) {
          std::vector<std::uint32_t> codes(K);
          for (unsigned b = 0; b < beats; ++b) {
            for (unsigned k = 0; k < K; ++k) codes[k] = b * K + k < n ? layer.codes[std::size_t{o} * n + b * K + k] : 0;
            s.storage.emplace_back(w_words + 1);
            sim::pack_bits(codes, layer.code_bits, s.storage.back());
            s.beats.push_back({o % P, xs[b], s.storage.back().data(), b == 0, b + 1 == beats});
          }
        }
      }
    }
  }
  return s;
}

// A CPU-bound process on the side (another user's job on the shared machine).
struct Competitor {
  pid_t pid = fork();
  Competitor() {
    if (pid == 0) {
      std::uint64_t x = 0;
      for (;;) {
        ++x;
        asm volatile("" : "+r"(x));  // the compiler keeps the loop: a core spins
      }
    }
  }
  ~Competitor() {
    kill(pid, SIGKILL);
    waitpid(pid, nullptr, 0);
  }
};

double platform_seconds(const models::Network& net, sim::DatapathConfig config, const models::ImageSet& images,
                        std::size_t count, unsigned threads, const std::filesystem::path& cache) {
  config.threads = 1;
  sim::Datapath datapath(net, config, cache);
  const auto start = std::chrono::steady_clock::now();
  sim::run_platform(datapath, images, count, 50e6, sim::MemoryConfig::ideal(), {}, threads);
  return seconds_since(start);
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Platform cost over direct Verilated kernels; speed on the bundled models"};
  std::string names = "mac-mlp,shift-mlp,threshold-mlp,spike-mlp";
  std::size_t images = 300, full = 10000, contended = 500;
  bool gate = false;
  unsigned P = 16, K = 16;
  app.add_option("--models", names);
  app.add_option("--images", images, "Images for the side-by-side ratio");
  app.add_option("--full", full, "Images for the full-speed run (0: skip)");
  app.add_option("--contended", contended, "Images run beside a busy process, 1 and 2 threads (0: skip)");
  app.add_flag("--gate", gate, "Also 1,000 images at gate level (osu018)");
  CLI11_PARSE(app, argc, argv);
  try {
    const models::LabelledImages test = models::load_fashion_mnist(false);
    const auto cache = vmodel::default_cache_dir();
    const unsigned threads = std::max(1u, std::thread::hardware_concurrency());
    std::string list = names + ",";
    for (std::size_t at; (at = list.find(',')) != std::string::npos; list.erase(0, at + 1)) {
      const std::string name = list.substr(0, at);
      const models::Network net =
          models::read_network(app::resolve_model(name));
      fmt::print("{} ({}):\n", name, net.name);
      sim::DatapathConfig config;
      config.lanes = P;
      config.K = K;
      double datapath_time = -1;  // (b), when measured beside (a)
      if (!net.spiking() && net.kinds().size() == 1) {
        // (a) direct
        vmodel::ModelCache models(cache);
        const auto model = models.load(sim::kernel_rtl_spec(net.kernel_params(net.layers.back(), K)));
        std::vector<std::unique_ptr<vmodel::ModelInstance>> lanes;
        for (unsigned p = 0; p < P; ++p) lanes.push_back(std::make_unique<vmodel::ModelInstance>(model));
        struct Ports {
          vmodel::Port valid, first, last, x, w;
        };
        std::vector<Ports> ports;
        for (auto& lane : lanes)
          ports.push_back({lane->port("valid_i"), lane->port("first_i"), lane->port("last_i"), lane->port("x_i"),
                           lane->port("w_i")});
        const DirectStream stream =
            direct_stream(net, test.images, images, K, P, ports[0].x.words(), ports[0].w.words());
        auto start = std::chrono::steady_clock::now();
        for (const DirectBeat& b : stream.beats) {
          const Ports& p = ports[b.lane];
          p.valid.set(1);
          p.first.set(b.first);
          p.last.set(b.last);
          p.x.set_words(b.x);
          p.w.set_words(b.w);
          lanes[b.lane]->tick();
        }
        const double a = seconds_since(start);
        // (b) the accelerator, one thread
        config.threads = 1;
        sim::Datapath accelerator(net, config, cache);
        start = std::chrono::steady_clock::now();
        for (std::size_t i = 0; i < images; ++i) accelerator.run(test.images.image(i));
        const double b = seconds_since(start);
        fmt::print("  (a) Verilated kernels driven directly   {:8.3f} s for {} images ({} lane-beats)\n", a, images,
                   stream.beats.size());
        fmt::print("  (b) datapath alone, 1 thread            {:8.3f} s   b/a {:.2f} (budget 1.5)\n", b, b / a);
        datapath_time = b;
      }
      if (images) {
        double b = datapath_time;
        if (b < 0) {
          config.threads = 1;
          sim::Datapath alone(net, config, cache);
          const auto start = std::chrono::steady_clock::now();
          for (std::size_t i = 0; i < images; ++i) alone.run(test.images.image(i));
          b = seconds_since(start);
          fmt::print("  (b) datapath alone, 1 thread            {:8.3f} s for {} images\n", b, images);
        }
        const double c = platform_seconds(net, config, test.images, images, 1, cache);
        fmt::print("  (c) TLM platform, ideal memories        {:8.3f} s   c/b {:.2f} (budget 1.5)\n", c, c / b);
      }
      if (full) {
        const double s = platform_seconds(net, config, test.images, full, threads, cache);
        fmt::print("  rtl platform, {} threads: {} images in {:.1f} s (budget 30 s for 10,000)\n", threads, full, s);
      }
      if (contended) {
        const double quiet1 = platform_seconds(net, config, test.images, contended, 1, cache);
        const double quiet2 = platform_seconds(net, config, test.images, contended, 2, cache);
        double busy1, busy2;
        {
          Competitor busy;
          busy1 = platform_seconds(net, config, test.images, contended, 1, cache);
          busy2 = platform_seconds(net, config, test.images, contended, 2, cache);
        }
        fmt::print("  {} images, quiet machine: 1 thread {:.2f} s, 2 threads {:.2f} s; beside a busy process: "
                   "1 thread {:.2f} s, 2 threads {:.2f} s (2 threads / 1 thread busy: {:.2f})\n",
                   contended, quiet1, quiet2, busy1, busy2, busy2 / busy1);
      }
      if (gate) {
        static const tech::Library library = tech::read_liberty(tech::resolve_library("osu018"));
        config.threads = threads;
        config.level = sim::Level::gate;
        config.library = &library;
        sim::Datapath accelerator(net, config, cache);
        const auto start = std::chrono::steady_clock::now();
        for (std::size_t i = 0; i < 1000; ++i) accelerator.run(test.images.image(i));
        const sim::EnergyReport energy = accelerator.energy(50e6, {});
        fmt::print("  gate, {} threads: 1000 images in {:.1f} s with energy (budget 180 s); {:.4g} nJ/inference\n",
                   threads, seconds_since(start), energy.total.total() / 1000 * 1e9);
        config.level = sim::Level::rtl;
      }
    }
    return 0;
  } catch (const Error& e) {
    fmt::print(stderr, "platform_bench: error: {}\n", e.what());
    return 2;
  }
}
