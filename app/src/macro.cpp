#include "neuroppa/app/macro.hpp"

#include <algorithm>
#include <cmath>
#include <fmt/format.h>
#include <map>
#include <mutex>
#include <numeric>
#include <optional>

#include "neuroppa/app/bundled_models.hpp"
#include "neuroppa/base/error.hpp"

namespace neuroppa::app {
namespace fs = std::filesystem;

namespace {

// The kernel of `kind` a network uses at K, if it has layers of that kind.
std::optional<models::KernelParams> kernel_of(const models::Network& net, models::KernelKind kind, unsigned K) {
  for (const models::Layer& l : net.layers)
    if (l.computes() && l.kind == kind) return net.kernel_params(l, K);
  return std::nullopt;
}

std::vector<models::Network> bundled_networks() {
  std::vector<models::Network> nets;
  for (const std::string& name : bundled_model_names()) {
    nets.push_back(models::read_network(resolve_model(name)));
    nets.back().name = name;  // what the reports call it
  }
  return nets;
}

sim::MacroStimulus stimulus_for(const models::KernelParams& params, const models::Network* running,
                                const models::ImageSet& images) {
  sim::MacroStimulus s;
  s.networks = macro_networks(params, running);
  s.images = &images;
  return s;
}

std::string percent(double fraction) { return fmt::format("{:+.2f}%", 100 * fraction); }

}  // namespace

std::vector<models::Network> macro_networks(const models::KernelParams& params, const models::Network* running) {
  std::vector<models::Network> chosen;
  for (models::Network& net : bundled_networks())
    if (kernel_of(net, params.kind, params.K) == params) chosen.push_back(std::move(net));
  if (chosen.empty() && running && kernel_of(*running, params.kind, params.K) == params) chosen.push_back(*running);
  return chosen;
}

std::function<std::shared_ptr<const sim::MacroModel>(const models::KernelParams&)> macro_model_provider(
    const models::Network& running, const tech::Library& library, const Context& context, const fs::path& data) {
  // Shared by the copies of the provider (the image workers' datapaths): the
  // training images are read, and each kernel's model looked up, once.
  struct Memo {
    std::optional<models::LabelledImages> images;
    std::vector<std::pair<models::KernelParams, std::shared_ptr<const sim::MacroModel>>> models;
    std::mutex mutex;
  };
  auto memo = std::make_shared<Memo>();
  return [memo, running, &library, context, data](const models::KernelParams& params) {
    const std::lock_guard lock(memo->mutex);
    for (const auto& [p, model] : memo->models)
      if (p == params) return model;
    if (!memo->images) memo->images = models::load_fashion_mnist(true, data);
    auto model = sim::macro_model(params, library, stimulus_for(params, &running, memo->images->images),
                                  context.cache_dir, context.tools, [&](std::string_view line) { context.warn(line); });
    memo->models.emplace_back(params, model);
    return model;
  };
}

std::vector<std::shared_ptr<const sim::MacroModel>> bundled_macro_models(const tech::Library& library, unsigned K,
                                                                         const std::vector<models::KernelKind>& kinds,
                                                                         const Context& context, const fs::path& data) {
  const models::LabelledImages train = models::load_fashion_mnist(true, data);
  std::vector<models::KernelParams> kernels;
  for (const models::Network& net : bundled_networks())
    for (models::KernelKind kind : net.kinds()) {
      if (!kinds.empty() && std::find(kinds.begin(), kinds.end(), kind) == kinds.end()) continue;
      const models::KernelParams p = *kernel_of(net, kind, K);
      if (std::find(kernels.begin(), kernels.end(), p) == kernels.end()) kernels.push_back(p);
    }
  // A kind asked for that no bundled model uses (a kernel package's): its
  // default kernel at K, fitted on seeded random operands and checked on another seed.
  std::vector<models::KernelParams> random_only;
  for (models::KernelKind kind : kinds) {
    if (std::any_of(kernels.begin(), kernels.end(), [&](const models::KernelParams& p) { return p.kind == kind; }))
      continue;
    const unsigned XW = models::default_xw(kind);
    const models::KernelParams p{kind, K, XW, models::default_ww(kind, XW), 32, models::default_arch(kind)};
    if (auto error = models::validate(p)) throw Error(*error);
    random_only.push_back(p);
  }
  if (kernels.empty() && random_only.empty()) throw Error("kernels --macro: no bundled model uses the kinds asked for");
  std::vector<std::shared_ptr<const sim::MacroModel>> models;
  const auto notice = [&](std::string_view line) { context.warn(line); };
  for (const models::KernelParams& p : kernels)
    models.push_back(sim::macro_model(p, library, stimulus_for(p, nullptr, train.images), context.cache_dir,
                                      context.tools, notice));
  for (const models::KernelParams& p : random_only) {
    sim::MacroStimulus random;
    random.random_cycles = 12000;
    random.validation_cycles = 4000;
    models.push_back(sim::macro_model(p, library, random, context.cache_dir, context.tools, notice));
  }
  return models;
}

reports::Table macro_validation_table(const std::vector<std::shared_ptr<const sim::MacroModel>>& models) {
  reports::Table t;
  t.title = "Macro-models: energy per lane cycle from RTL features, checked against timed gate level on held-out images";
  t.columns = {{"kernel", ""},           {"library", ""},          {"model", ""},
               {"fit cycles", "", 6, true}, {"checked cycles", "", 6, true}, {"energy/cycle", "pJ", 4},
               {"error, total", "%", 2},  {"error per cycle, mean", "%", 3}, {"per cycle, rms", "%", 3},
               {"worst network", ""},    {"features carrying most energy", ""}, {"characterised in", "s", 3}};
  for (const auto& m : models) {
    const sim::MacroValidation& v = m->validation;
    std::vector<std::size_t> order(m->features.size());
    std::iota(order.begin(), order.end(), 0);
    std::sort(order.begin(), order.end(),
              [&](std::size_t a, std::size_t b) { return std::abs(v.feature_share[a]) > std::abs(v.feature_share[b]); });
    std::string top;
    for (std::size_t i = 0; i < std::min<std::size_t>(3, order.size()); ++i)
      top += fmt::format("{}{} {:.0f}%", i ? "; " : "", m->features[order[i]], 100 * v.feature_share[order[i]]);
    std::string worst = "-";
    double worst_error = -1;
    for (const auto& [source, error] : v.per_source)
      if (std::abs(error) > worst_error) {
        worst_error = std::abs(error);
        worst = fmt::format("{} {}", source, percent(error));
      }
    t.rows.push_back({m->kernel, m->library, m->id(), double(v.fit_cycles), double(v.validation_cycles),
                      v.energy_per_cycle * 1e12, 100 * v.total_error, 100 * v.cycle_error, 100 * v.cycle_rms, worst,
                      top, m->characterise_seconds});
  }
  t.notes.push_back(fmt::format(
      "A model is fitted (ridge least squares) on the cycles the bundled networks of its kernel give its lanes (one lane per image, in turn) on training "
      "images from 0, plus seeded random operands, each cycle's dynamic energy measured by a timed (glitch-aware) "
      "gate-level replay; it is checked on other training images (from 30,000): each network's first 600 cycles one "
      "by one, the rest eight at a time (a kind no bundled model uses: fitted on random operands, checked on another "
      "seed). Error, total: "
      "predicted over measured energy of all checked cycles, minus 1; runs warn beyond ±{:.0f}%. Per cycle: mean "
      "absolute and rms error over the mean energy. Feature shares: of the predicted energy of the checked cycles "
      "(negative: a correction).",
      100 * sim::kMacroErrorBound));
  return t;
}

reports::BarChart macro_error_chart(const std::vector<std::shared_ptr<const sim::MacroModel>>& models) {
  reports::BarChart c;
  c.title = "Macro-model error against timed gate level (held-out images)";
  c.y_label = "error (%)";
  reports::BarSeries total{"total energy, |error|", {}}, worst{"worst network, |error|", {}},
      mean{"per cycle, mean |error|", {}};
  for (const auto& m : models) {
    c.categories.push_back(m->kernel.substr(0, m->kernel.find(' ')));
    total.values.push_back(100 * std::abs(m->validation.total_error));
    double w = 0;
    for (const auto& [source, error] : m->validation.per_source) w = std::max(w, std::abs(error));
    worst.values.push_back(100 * w);
    mean.values.push_back(100 * m->validation.cycle_error);
  }
  c.series = {total, worst, mean};
  return c;
}

std::string macro_note(const std::vector<std::shared_ptr<const sim::MacroModel>>& models, const std::string& library) {
  std::string text;
  for (const auto& m : models)
    text += fmt::format("{}{}: {}", text.empty() ? "" : "; ", m->kernel, m->describe());
  return fmt::format("Energy of the lanes from their RTL run, each lane cycle priced by its kernel's macro-model "
                     "(fitted on timed gate-level replays on {}; `neuroppa kernels --macro` shows them): {}. "
                     "Idle lanes are clock-gated and only leak.",
                     library, text);
}

std::vector<std::string> macro_models_out_of_bound(const std::vector<std::shared_ptr<const sim::MacroModel>>& models) {
  std::vector<std::string> out;
  for (const auto& m : models)
    if (std::abs(m->validation.total_error) > sim::kMacroErrorBound)
      out.push_back(fmt::format("{} ({}: {})", m->kernel, m->id(), percent(m->validation.total_error)));
  return out;
}

}  // namespace neuroppa::app
