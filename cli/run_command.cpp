// neuroppa run: a model file through the SystemC platform on the
// Fashion-MNIST test set: accuracy, cycles, latency, throughput and, at gate
// level, energy per inference by layer and component.
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <thread>
#include <cmath>
#include <cstdio>
#include <fmt/format.h>

#include "bundled_models.hpp"
#include "commands.hpp"
#include "options.hpp"
#include "neuroppa/models/dataset.hpp"
#include "neuroppa/models/error.hpp"
#include "neuroppa/models/network.hpp"
#include "neuroppa/reports/table.hpp"
#include "neuroppa/sim/platform.hpp"
#include "neuroppa/tech/liberty.hpp"
#include "neuroppa_version.hpp"

namespace neuroppa::cli {
namespace fs = std::filesystem;
namespace {

struct RunOptions {
  std::string model;
  std::string level = "rtl";
  std::size_t images = 0;  // 0: the level's default
  std::string lib = "osu018";
  std::string freq = "50MHz";
  unsigned lanes = 16, K = 16;
  unsigned threads = std::max(1u, std::thread::hardware_concurrency());
  bool check = false;
  std::string mem_energy;
  std::string format = "md";
  std::string data = models::kFashionMnistDir;
};

// "weights=2pJ,act-read=1pJ,act-write=1pJ,membrane=0.5pJ": energy per access.
sim::MemoryEnergy parse_memory_energy(const std::string& text) {
  sim::MemoryEnergy e;
  for (const std::string& item : split_list(text)) {
    const auto eq = item.find('=');
    const std::string key = item.substr(0, eq);
    const std::string value = eq == std::string::npos ? "" : item.substr(eq + 1);
    double joules = 0;
    std::size_t used = 0;
    try {
      joules = std::stod(value, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    const std::string unit = value.substr(used);
    const double scale = unit == "pJ" ? 1e-12 : unit == "fJ" ? 1e-15 : unit == "nJ" ? 1e-9 : unit == "J" ? 1 : 0;
    if (used == 0 || scale == 0 || !(joules >= 0))
      throw Error(fmt::format("--mem-energy '{}': expected <memory>=<energy>[pJ|fJ|nJ|J], e.g. weights=2pJ", item));
    joules *= scale;
    if (key == "weights") e.weight_read = joules;
    else if (key == "act-read") e.activation_read = joules;
    else if (key == "act-write") e.activation_write = joules;
    else if (key == "membrane") e.membrane_read = e.membrane_write = joules;
    else
      throw Error(fmt::format("--mem-energy '{}': unknown memory '{}' (weights, act-read, act-write, membrane)", item,
                              key));
  }
  return e;
}

// A progress bar on a terminal, a line every 10% otherwise.
class ProgressBar {
 public:
  ProgressBar(std::size_t total, bool quiet) : total_(total), quiet_(quiet), tty_(::isatty(2)) {}
  void operator()(std::size_t done) {
    if (quiet_) return;
    const auto now = std::chrono::steady_clock::now();
    const double elapsed = std::chrono::duration<double>(now - start_).count();
    const bool finished = done == total_;
    if (tty_) {
      if (!finished && now - last_ < std::chrono::milliseconds(200)) return;
      last_ = now;
      const int width = 30, filled = int(width * done / total_);
      const double rate = done / std::max(elapsed, 1e-9);
      fmt::print(stderr, "\r  [{}{}] {}/{} images, {:.0f} images/s, {:.0f} s left ", std::string(filled, '#'),
                 std::string(width - filled, ' '), done, total_, rate, (total_ - done) / std::max(rate, 1e-9));
      if (finished) fmt::print(stderr, "\n");
      return;
    }
    const std::size_t tenth = std::max<std::size_t>(1, total_ / 10);
    if (done % tenth == 0 || finished)
      fmt::print(stderr, "  {}/{} images ({:.1f} s)\n", done, total_, elapsed);
  }

 private:
  std::size_t total_;
  bool quiet_, tty_;
  std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now(), last_{};
};

reports::Table summary_table(const models::Network& net, const RunOptions& o, const sim::PlatformRun& run,
                             double accuracy, double frequency, const std::optional<sim::EnergyReport>& energy) {
  const double n = double(run.results.size());
  const double cycles = double(run.cycles) / n;
  reports::Table t;
  t.title = fmt::format("{} on the platform ({} level, {} lanes per kind, K={})", net.name, o.level, o.lanes, o.K);
  t.columns = {{"quantity", ""}, {"value", "", 5}, {"unit", ""}};
  t.rows.push_back({"test images", n, ""});
  t.rows.push_back({"accuracy (platform)", accuracy, ""});
  if (net.training.quantised_accuracy >= 0)
    t.rows.push_back({"accuracy recorded at training (integer network, full test set)", net.training.quantised_accuracy, ""});
  if (net.training.float_accuracy >= 0)
    t.rows.push_back({"accuracy of the float network (full test set)", net.training.float_accuracy, ""});
  for (const auto& ref : models::published_accuracies())
    t.rows.push_back({"published reference: " + ref.model, ref.accuracy, ""});
  t.rows.push_back({"cycles per inference", cycles, "cycles"});
  t.rows.push_back({"latency", cycles / frequency * 1e6, "µs"});
  t.rows.push_back({"throughput", frequency / cycles, "inferences/s"});
  if (net.spiking()) {
    std::uint64_t spikes = 0, input_spikes = 0;
    for (const auto& r : run.results) {
      spikes += r.spikes;
      input_spikes += r.input_spikes;
    }
    t.rows.push_back({"timesteps", double(net.timesteps), ""});
    t.rows.push_back({"spikes per inference (compute layers)", double(spikes) / n, ""});
    t.rows.push_back({"input spikes per inference", double(input_spikes) / n, ""});
  }
  if (energy) {
    const double e = energy->total.total() / n;
    t.rows.push_back({"energy per inference", e * 1e9, "nJ"});
    t.rows.push_back({"  kernel lanes: internal", energy->total.kernels.internal / n * 1e9, "nJ"});
    t.rows.push_back({"  kernel lanes: switching", energy->total.kernels.switching / n * 1e9, "nJ"});
    t.rows.push_back({"  kernel lanes: leakage", energy->total.kernels.leakage / n * 1e9, "nJ"});
    t.rows.push_back({"  memories", energy->total.memory / n * 1e9, "nJ"});
    t.rows.push_back({"average power", e / (cycles / frequency) * 1e3, "mW"});
  }
  t.rows.push_back({"simulation speed", n / run.wall_seconds, "images/s"});
  return t;
}

reports::Table layer_table(const models::Network& net, const sim::RunStats& stats,
                           const std::optional<sim::EnergyReport>& energy, unsigned lanes) {
  const double n = double(stats.images);
  reports::Table t;
  t.title = "Per layer, per inference";
  t.columns = {{"layer", ""},           {"cycles", "", 6},       {"beats", "", 6},          {"skipped beats", "", 6},
               {"lane use", "%", 3},    {"weight reads", "", 6}, {"act. reads", "", 6},     {"act. writes", "", 6},
               {"membrane r+w", "", 6}, {"spikes", "", 5}};
  if (energy) t.columns.insert(t.columns.end(), {{"energy", "nJ", 4}, {"share", "%", 3}});
  for (std::size_t i = 0; i < net.layers.size(); ++i) {
    const sim::LayerStats& s = stats.layers[i];
    const double use = s.beats ? 100.0 * double(s.lane_beats) / (double(s.beats) * lanes) : std::nan("");
    std::vector<reports::Cell> row = {
        fmt::format("{} {}", i + 1, net.layers[i].describe()), double(s.cycles) / n, double(s.beats) / n,
        double(s.skipped_beats) / n, use, double(s.weights.reads) / n, double(s.activations.reads) / n,
        double(s.activations.writes) / n, double(s.membrane.reads + s.membrane.writes) / n, double(s.spikes) / n};
    if (energy) {
      row.push_back(energy->layers[i].total() / n * 1e9);
      row.push_back(100 * energy->layers[i].total() / energy->total.total());
    }
    t.rows.push_back(row);
  }
  return t;
}

reports::Table component_table(const sim::EnergyReport& energy, double images, bool priced) {
  reports::Table t;
  t.title = "Energy per inference by component";
  t.columns = {{"component", ""}, {"energy", "nJ", 4}, {"share", "%", 3}};
  for (const auto& [name, joules] : energy.components)
    t.rows.push_back({name, joules / images * 1e9, 100 * joules / energy.total.total()});
  t.rows.push_back({"kernel lanes by cell group: sequential", energy.total.sequential.total() / images * 1e9,
                    100 * energy.total.sequential.total() / energy.total.total()});
  t.rows.push_back({"kernel lanes by cell group: combinational", energy.total.combinational.total() / images * 1e9,
                    100 * energy.total.combinational.total() / energy.total.total()});
  t.rows.push_back({"kernel lanes by cell group: clock", energy.total.clock.total() / images * 1e9,
                    100 * energy.total.clock.total() / energy.total.total()});
  if (!priced) t.notes.push_back("Memories: accesses counted, not priced (give --mem-energy to price them).");
  return t;
}

int run_run(const RunOptions& o, const GlobalOptions& global) {
  if (o.level != "rtl" && o.level != "gate") throw Error(fmt::format("--level {}: choose rtl or gate", o.level));
  const bool gate = o.level == "gate";
  const double frequency = parse_frequency(o.freq);
  const reports::Format format = reports::parse_format(o.format);
  const sim::MemoryEnergy memory = parse_memory_energy(o.mem_energy);
  if (o.lanes == 0 || o.lanes > 4096) throw Error(fmt::format("--lanes {}: choose 1..4096 kernel lanes", o.lanes));
  if (o.K == 0 || o.K > models::kMaxK) throw Error(fmt::format("--K {}: choose 1..{}", o.K, models::kMaxK));
  const fs::path model_path = resolve_model(o.model);
  const models::Network net = models::read_network(model_path);
  const models::LabelledImages test = models::load_fashion_mnist(false, o.data);
  if (!(test.images.rows == net.input.height && test.images.cols == net.input.width && net.input.channels == 1))
    throw Error(fmt::format("{}: input {} does not match the {}x{} test images", model_path.string(),
                            net.input.describe(), test.images.rows, test.images.cols));
  const std::size_t count = o.images ? o.images : (gate ? 1000 : test.labels.size());
  if (count > test.labels.size())
    throw Error(fmt::format("--images {}: the test set has {} images", count, test.labels.size()));

  std::optional<tech::Library> library;
  if (gate) library = tech::read_liberty(tech::resolve_library(o.lib));
  sim::AcceleratorConfig config;
  config.lanes = o.lanes;
  if (o.threads == 0 || o.threads > 256) throw Error(fmt::format("--threads {}: choose 1..256", o.threads));
  config.threads = o.threads;
  config.K = o.K;
  config.level = gate ? sim::Level::gate : sim::Level::rtl;
  config.library = library ? &*library : nullptr;
  const auto cache_dir = global.cache_dir.empty() ? tech::default_cache_dir() : global.cache_dir;
  const auto progress = [&](std::string_view text) {
    if (!global.quiet) fmt::print(stderr, "  {}", text);
  };
  if (!global.quiet)
    fmt::print(stderr, "run: {} ({}) at {} level, {} lanes, K={}{}\n", net.name, model_path.string(), o.level,
               o.lanes, o.K, gate ? ", cells " + library->name : "");
  sim::Accelerator accelerator(net, config, cache_dir, progress);
  ProgressBar bar(count, global.quiet);
  const sim::PlatformRun run = sim::run_platform(accelerator, test.images, count, frequency, std::ref(bar));

  std::size_t correct = 0;
  for (std::size_t i = 0; i < count; ++i) correct += run.results[i].predicted == test.labels[i];
  std::size_t mismatches = 0, first_mismatch = 0;
  if (o.check) {
    for (std::size_t i = 0; i < count; ++i)
      if (!(models::infer(net, test.images.image(i)) == run.results[i]) && mismatches++ == 0) first_mismatch = i;
  }
  std::optional<sim::EnergyReport> energy;
  if (gate) energy = accelerator.energy(frequency, memory);

  reports::Table summary = summary_table(net, o, run, double(correct) / double(count), frequency, energy);
  summary.notes.push_back(fmt::format("neuroppa {}; {}", NEUROPPA_VERSION, global.command_line));
  summary.notes.push_back(fmt::format("Clock {} MHz; SystemC time at the end {:.6g} s = {} cycles.", frequency / 1e6,
                                      run.simulated_seconds, run.cycles));
  if (gate)
    summary.notes.push_back(fmt::format(
        "Energy from per-net toggles of every lane's gate-level netlist on {} (zero-delay: glitches not seen); "
        "idle lanes are clock-gated and only leak.",
        library->name));
  if (o.check)
    summary.notes.push_back(mismatches ? fmt::format("CHECK FAILED: the platform differs from the reference "
                                                     "inference on {} of {} images (first: test image {})",
                                                     mismatches, count, first_mismatch)
                                       : fmt::format("Check: the platform equals the reference inference "
                                                     "(models::infer) on all {} images.",
                                                     count));
  std::vector<reports::Table> tables = {summary, layer_table(net, accelerator.stats(), energy, o.lanes)};
  if (energy) tables.push_back(component_table(*energy, double(count), memory.priced()));
  // Tables one after another; in JSON, one array of them (one document).
  const bool json = format == reports::Format::json;
  std::string out = json ? "[\n" : "";
  for (std::size_t i = 0; i < tables.size(); ++i) {
    if (i) out += json ? ",\n" : "\n";
    out += reports::write(tables[i], format);
  }
  if (json) out += "]\n";
  fmt::print("{}", out);
  if (mismatches) {
    std::fflush(stdout);
    fmt::print(stderr, "neuroppa: error: the platform differs from the reference inference on {} of {} images "
                       "(first: test image {})\n", mismatches, count, first_mismatch);
    return 1;
  }
  return 0;
}

}  // namespace

Runner add_run_command(CLI::App& app, const GlobalOptions& global) {
  auto o = std::make_shared<RunOptions>();
  CLI::App* cmd = app.add_subcommand("run", "Run a model on the SystemC platform over the Fashion-MNIST test set");
  cmd->add_option("--model", o->model, "Model file, or the name of a bundled model (e.g. mac-mlp)")->required();
  cmd->add_option("--level", o->level, "Kernel lanes at rtl or gate level (gate level prices energy)")
      ->capture_default_str();
  cmd->add_option("--images", o->images, "Test images to run (default: all 10,000 at rtl, 1,000 at gate level)");
  cmd->add_option("--lib", o->lib, "Cell library at gate level: osu018, osu035, osu050 or a Liberty file")
      ->capture_default_str();
  cmd->add_option("--freq", o->freq, "Platform clock, e.g. 50MHz")->capture_default_str();
  cmd->add_option("--lanes", o->lanes, "Kernel lanes per neuron kind (P)")->capture_default_str();
  cmd->add_option("--threads", o->threads,
                  "Simulation threads sharing the lanes (default: the machine's cores; results do not depend on it)");
  cmd->add_option("--K", o->K, "Synapses per beat of every kernel")->capture_default_str();
  cmd->add_flag("--check", o->check,
                "Compare every image's outputs with the reference inference; exit 1 on any difference");
  cmd->add_option("--mem-energy", o->mem_energy,
                  "Energy per memory access, e.g. weights=2pJ,act-read=1pJ,act-write=1pJ,membrane=1pJ "
                  "(default: accesses counted, not priced)");
  cmd->add_option("--format", o->format, "Output format: md, csv, json, tex")->capture_default_str();
  cmd->add_option("--data", o->data, "Folder of the Fashion-MNIST IDX files")->capture_default_str();
  return [o, &global] { return run_run(*o, global); };
}

}  // namespace neuroppa::cli
