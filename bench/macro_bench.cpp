// Power macro-models against the engine they are fitted on, side by side in
// one run, per bundled model (docs/macro-models.md):
//
//  - characterisation: seconds to fit each kernel's model, cold (the model
//    cache emptied first; synthesis and the gate-level build stay cached)
//    or cached; budget: 2 minutes a kernel, cold;
//  - speed: the datapath (one simulation thread) on the same images at rtl
//    and at macro level, alternating for --rounds rounds, the best of each;
//    budget: macro at most 1.5x rtl;
//  - accuracy: the lanes' energy per inference at macro level against full
//    timed gate level (--activity timed, every cycle replayed with gate
//    delays) on the same images, in total and per layer; budget: within 3%,
//    per layer within 5%.
//
//   bench/macro_bench [--models mac-mlp,...] [--images 200] [--rounds 3] [--cold] [--no-gate]
#include <CLI/CLI.hpp>

#include <chrono>
#include <cmath>
#include <fmt/format.h>

#include "neuroppa/app/bundled_models.hpp"
#include "neuroppa/app/context.hpp"
#include "neuroppa/app/macro.hpp"
#include "neuroppa/base/error.hpp"
#include "neuroppa/models/dataset.hpp"
#include "neuroppa/sim/datapath.hpp"
#include "neuroppa/tech/liberty.hpp"

using namespace neuroppa;

namespace {

double seconds_since(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}

// Seconds for the datapath alone over `count` images (its construction not counted).
double datapath_seconds(sim::Datapath& datapath, const models::ImageSet& images, std::size_t count) {
  const auto start = std::chrono::steady_clock::now();
  for (std::size_t i = 0; i < count; ++i) datapath.run(images.image(i));
  return seconds_since(start);
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app("Macro-models: characterisation time, speed against rtl, energy against timed gate level");
  std::string models_list;
  std::size_t images = 200;
  unsigned rounds = 3;
  bool cold = false, no_gate = false;
  app.add_option("--models", models_list, "Comma-separated bundled models (default: all)");
  app.add_option("--images", images, "Test images per run");
  app.add_option("--rounds", rounds, "Alternating rtl/macro rounds (the best of each)");
  app.add_flag("--cold", cold, "Empty the macro-model cache first (characterisation time cold)");
  app.add_flag("--no-gate", no_gate, "Skip the timed gate-level reference (speed only)");
  CLI11_PARSE(app, argc, argv);
  try {
    std::vector<std::string> names;
    for (std::size_t a = 0; a <= models_list.size();) {
      const std::size_t b = std::min(models_list.find(',', a), models_list.size());
      if (b > a) names.push_back(models_list.substr(a, b - a));
      a = b + 1;
    }
    if (names.empty()) names = app::bundled_model_names();
    const auto cache = app::resolve_cache_dir({});
    if (cold) std::filesystem::remove_all(cache / "macro");
    app::Context context;
    context.cache_dir = cache;
    const tech::Library library = tech::read_liberty(tech::resolve_library("osu018"));
    const models::LabelledImages test = models::load_fashion_mnist(false);
    fmt::print("| model | rtl (s) | macro (s) | macro / rtl | lanes, macro (nJ/inf) | lanes, timed gate (nJ/inf) | "
               "error | worst layer error | gate (s) | characterised (s) |\n|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
    for (const std::string& name : names) {
      models::Network net = models::read_network(app::resolve_model(name));
      sim::DatapathConfig config;
      config.threads = 1;
      const auto fit_start = std::chrono::steady_clock::now();
      config.level = sim::Level::macro;
      config.library = &library;
      config.macro_model = app::macro_model_provider(net, library, context, models::kFashionMnistDir);
      sim::Datapath macro(net, config, cache);
      const double fit_seconds = seconds_since(fit_start);
      sim::DatapathConfig rtl_config = config;
      rtl_config.level = sim::Level::rtl;
      sim::Datapath rtl(net, rtl_config, cache);
      double rtl_best = INFINITY, macro_best = INFINITY;
      for (unsigned r = 0; r < rounds; ++r) {
        rtl_best = std::min(rtl_best, datapath_seconds(rtl, test.images, images));
        macro_best = std::min(macro_best, datapath_seconds(macro, test.images, images));
      }
      // The macro energy of one pass over the images (the rounds ran `rounds` of them).
      sim::Datapath macro_once(net, config, cache);
      datapath_seconds(macro_once, test.images, images);
      const sim::EnergyReport m = macro_once.energy(50e6, {});
      std::string gate_columns = "- | - | - | -";
      if (!no_gate) {
        sim::DatapathConfig gate_config = config;
        gate_config.level = sim::Level::gate;
        gate_config.activity = tech::ActivityMode{true, 1};
        gate_config.threads = 2;
        sim::Datapath gate(net, gate_config, cache);
        const double gate_seconds = datapath_seconds(gate, test.images, images);
        const sim::EnergyReport g = gate.energy(50e6, {});
        double worst = 0;
        std::string worst_layer = "-";
        for (std::size_t i = 0; i < net.layers.size(); ++i) {
          const double gl = g.layers[i].kernels.total(), ml = m.layers[i].kernels.total();
          if (!net.layers[i].computes() || gl <= 0) continue;
          // Layers under 1% of the lanes' energy are left out of the worst: their relative error says little.
          if (gl < 0.01 * g.total.kernels.total()) continue;
          if (std::abs(ml / gl - 1) > std::abs(worst)) {
            worst = ml / gl - 1;
            worst_layer = fmt::format("{:+.2f}% (layer {})", 100 * worst, i + 1);
          }
        }
        gate_columns = fmt::format("{:.1f} | {:+.2f}% | {} | {:.0f}", g.total.kernels.total() / double(images) * 1e9,
                                   100 * (m.total.kernels.total() / g.total.kernels.total() - 1), worst_layer,
                                   gate_seconds);
      }
      fmt::print("| {} | {:.3f} | {:.3f} | {:.2f}x | {:.1f} | {} | {:.0f} |\n", name, rtl_best, macro_best,
                 macro_best / rtl_best, m.total.kernels.total() / double(images) * 1e9, gate_columns, fit_seconds);
      std::fflush(stdout);
    }
  } catch (const Error& e) {
    fmt::print(stderr, "macro_bench: {}\n", e.what());
    return 2;
  }
  return 0;
}
