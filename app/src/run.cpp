#include "neuroppa/app/run.hpp"

#include <cmath>
#include <tuple>
#include <fmt/format.h>
#include <fmt/ranges.h>

#include "neuroppa/app/bundled_models.hpp"
#include "neuroppa/app/macro.hpp"
#include "neuroppa/base/error.hpp"
#include "neuroppa/kernels/package.hpp"
#include "neuroppa/models/network.hpp"
#include "neuroppa/sim/memories.hpp"
#include "neuroppa/sim/memory_cost.hpp"
#include "neuroppa/sim/platform.hpp"
#include "neuroppa/tech/liberty.hpp"

namespace neuroppa::app {
namespace fs = std::filesystem;
namespace {

constexpr double kAutoStart = 0.02;   // replayed fraction the automatic mode starts from
constexpr double kAutoTarget = 0.03;  // its goal: a 95% interval within ±3% of the lanes' energy

// The packages the model was trained with whose content differs now: their
// codes may mean other weights, and the accuracy recorded at training may
// not hold. "" when none did (or the model records none).
std::string changed_packages(const models::Network& net) {
  std::string text;
  for (const auto& [name, hash] : net.training.packages) {
    const auto kind = models::parse_kernel_kind(name);
    if (!kind) continue;  // not a layer's kind: read_network would have refused it
    const kernels::Package& now = kernels::package_of(*kind);
    if (now.hash == hash) continue;
    text += fmt::format("{}kernel package {} was {} when this model was trained and is {} now ({})",
                        text.empty() ? "" : "; ", name, hash.substr(0, 12), now.hash.substr(0, 12), now.origin);
  }
  if (!text.empty()) text += ": its codes may mean other weights now, and the accuracy recorded at training may not hold";
  return text;
}

// Bits the compute layers send on: every output value's XW bits; spiking
// layers, a bit per spike; sigma-delta, B bits per event (nothing for a
// neuron whose delta rounds to 0). Payload only, no addresses.
// Over `images` inferences that sent `spikes` (spiking) or `events` (sigma-delta).
double bits_moved(const models::Network& net, double images, std::uint64_t spikes) {
  if (net.spiking()) return double(spikes) * net.activation_bits();
  double bits = 0;
  for (const models::Layer& l : net.layers)
    if (l.computes()) bits += double(l.out.size()) * net.XW * images;
  return bits;
}

reports::Table summary_table(const models::Network& net, const RunRequest& o, const sim::PlatformRun& run,
                             double accuracy, double frequency, const std::optional<sim::EnergyReport>& energy) {
  const double n = double(run.results.size());
  const double cycles = double(run.cycles) / n;
  reports::Table t;
  t.title = fmt::format("{} on the platform ({} level, {} lanes per kind, K={})", net.name, sim::to_string(o.level), o.lanes, o.K);
  t.columns = {{"quantity", ""}, {"value", "", 5}, {"unit", ""}};
  t.rows.push_back({"test images", n, ""});
  t.rows.push_back({"accuracy (platform)", accuracy, ""});
  if (net.training.quantised_accuracy >= 0)
    t.rows.push_back({"accuracy recorded at training (integer network)", net.training.quantised_accuracy, ""});
  if (net.training.float_accuracy >= 0)
    t.rows.push_back({"accuracy recorded at training (float network)", net.training.float_accuracy, ""});
  if (net.training.test_images >= 0 && (net.training.quantised_accuracy >= 0 || net.training.float_accuracy >= 0))
    t.rows.push_back({"  measured on the first test images", double(net.training.test_images), "images"});
  for (const auto& ref : models::published_accuracies())
    t.rows.push_back({"published reference: " + ref.model, ref.accuracy, ""});
  t.rows.push_back({"cycles per inference", cycles, "cycles"});
  t.rows.push_back({"  of them stalled, waiting for operands", double(run.stall_cycles) / n, "cycles"});
  t.rows.push_back({"latency", cycles / frequency * 1e6, "µs"});
  t.rows.push_back({"throughput", frequency / cycles, "inferences/s"});
  std::uint64_t spikes = 0, input_spikes = 0;
  models::GradedSpikeCounts graded;
  for (const auto& r : run.results) {
    spikes += r.spikes;
    input_spikes += r.input_spikes;
    graded += r.graded;
  }
  if (net.sigma_delta()) {  // the figures are defined in docs/model-format.md
    t.rows.push_back({"timesteps", double(net.timesteps), ""});
    t.rows.push_back({"graded spike bits (B)", double(net.XW), "bits"});
    t.rows.push_back({"events per inference (nonzero spikes of compute layers)", double(graded.events) / n, ""});
    t.rows.push_back({"input events per inference", double(input_spikes) / n, ""});
    t.rows.push_back({"mean bits per activity", double(graded.activity_bits) / double(graded.activities), "bits"});
    t.rows.push_back({"mean bits per event (nonzero spike)", double(graded.activity_bits) / double(graded.events), "bits"});
    t.rows.push_back({"mean significant bits per nonzero spike",
                      double(graded.significant_bits) / double(graded.events), "bits"});
  } else if (net.spiking()) {
    t.rows.push_back({"timesteps", double(net.timesteps), ""});
    t.rows.push_back({"spikes per inference (compute layers)", double(spikes) / n, ""});
    t.rows.push_back({"input spikes per inference", double(input_spikes) / n, ""});
  }
  t.rows.push_back({"bits moved per inference (compute layers' outputs)", bits_moved(net, n, spikes) / n,
                    "bits"});
  if (energy) {
    const double e = energy->total.total() / n;
    t.rows.push_back({"energy per inference", e * 1e9, "nJ"});
    t.rows.push_back({"  kernel lanes: internal", energy->total.kernels.internal / n * 1e9, "nJ"});
    t.rows.push_back({"  kernel lanes: switching", energy->total.kernels.switching / n * 1e9, "nJ"});
    t.rows.push_back({"  kernel lanes: leakage", energy->total.kernels.leakage / n * 1e9, "nJ"});
    t.rows.push_back({"  memories", energy->total.memory / n * 1e9, "nJ"});
    if (energy->activity.sampled())
      t.rows.push_back({"  kernel lanes: 95% interval, ±", energy->kernel_half_width / n * 1e9, "nJ"});
    if (energy->activity.timed) {
      t.rows.push_back({"  kernel lanes, zero-delay activity of the same run", energy->zero_delay_kernels / n * 1e9, "nJ"});
      t.rows.push_back({"  glitch share (kernel lanes, timed / zero-delay energy)",
                        energy->total.kernels.total() / energy->zero_delay_kernels, "×"});
    }
    t.rows.push_back({"average power", e / (cycles / frequency) * 1e3, "mW"});
  }
  t.rows.push_back({"system memory read per inference", double(run.system_bytes_read) / n, "bytes"});
  t.rows.push_back({"system memory written per inference", double(run.system_bytes_written) / n, "bytes"});
  if (run.simulated_seconds > 0)
    t.rows.push_back({"system memory bandwidth used", 100 * run.system_busy_seconds / run.simulated_seconds, "%"});
  t.rows.push_back({"simulation speed", n / run.wall_seconds, "images/s"});
  return t;
}

reports::Table layer_table(const models::Network& net, const sim::RunStats& stats,
                           const std::optional<sim::EnergyReport>& energy, unsigned lanes) {
  const double n = double(stats.images);
  reports::Table t;
  t.title = "Per layer, per inference";
  t.columns = {{"layer", ""},           {"cycles", "", 6},       {"beats", "", 6},          {"skipped beats", "", 6},
               {"lane use", "%", 3},    {"weight reads", "", 6}, {"weight writes", "", 6}, {"act. reads", "", 6},     {"act. writes", "", 6},
               {"membrane r+w", "", 6}, {"spikes", "", 5},          {"stalls", "", 5},
               {"weights fetched", "B", 6}};
  if (energy) t.columns.insert(t.columns.end(), {{"energy", "nJ", 4}, {"share", "%", 3}});
  for (std::size_t i = 0; i < net.layers.size(); ++i) {
    const sim::LayerStats& s = stats.layers[i];
    const double use = s.beats ? 100.0 * double(s.lane_beats) / (double(s.beats) * lanes) : std::nan("");
    std::vector<reports::Cell> row = {
        fmt::format("{} {}", i + 1, net.layers[i].describe()), double(s.cycles) / n, double(s.beats) / n,
        double(s.skipped_beats) / n, use, double(s.weights.reads) / n, double(s.weights.writes) / n,
        double(s.activations.reads) / n,
        double(s.activations.writes) / n, double(s.membrane.reads + s.membrane.writes) / n, double(s.spikes) / n,
        double(s.stall_cycles) / n, double(s.weight_fetch_bytes) / n};
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

reports::Table memory_table(const sim::MemoryConfig& m, const sim::PlatformRun& run) {
  reports::Table t;
  t.title = fmt::format("Memories ({})", m.name);
  t.columns = {{"memory", ""}, {"configuration", ""}};
  t.rows.push_back({"weight memory", m.weights.describe() + (run.weights.resident
                                                                 ? "; all weights resident, loaded once a run"
                                                                 : "; weights streamed through two halves")});
  t.rows.push_back({"activation buffers", m.activations.describe()});
  t.rows.push_back({"membrane memory", m.membrane.describe()});
  t.rows.push_back({"system memory", fmt::format("latency {:g} ns, bandwidth {}", m.system.latency * 1e9,
                                                 m.system.bandwidth > 0 ? fmt::format("{:g} MB/s", m.system.bandwidth / 1e6)
                                                                        : std::string("unlimited"))});
  return t;
}

reports::Table memory_cost_table(const sim::MemoriesCost& c) {
  reports::Table t;
  t.title = "Memory cost";
  t.columns = {{"memory", ""}, {"capacity", "B", 6, true}, {"banks", "", 6, true}, {"area", "µm²", 4}, {"leakage", "µW", 4},
               {"read", "pJ", 4}, {"write", "pJ", 4}};
  const sim::MemoryEnergy& e = c.energy;
  for (const auto& [m, read, write] : {std::tuple{&c.weights, e.weight_read, e.weight_write},
                                       std::tuple{&c.activations, e.activation_read, e.activation_write},
                                       std::tuple{&c.membrane, e.membrane_read, e.membrane_write}})
    if (m->tiles)
      t.rows.push_back({m->name, double(m->capacity_bytes), double(m->tiles), m->area, m->leakage * 1e6, read * 1e12,
                        write * 1e12});
  if (c.model.starts_with("SRAM"))
    t.notes.push_back("Model: " + c.model +
                      "; each access priced at the macros its bits span (the clock pin's internal power for a read or "
                      "a write cycle), deselected macros clock-gated, wiring between macros not modelled.");
  else if (c.weights.tiles > 1)
    t.notes.push_back("Model: " + c.model +
                      "; each access priced at the banks its bits span (gate-level simulation with gate delays; "
                      "storage clocked only when its word is written, idle banks clock-gated), wiring between banks "
                      "not modelled.");
  else
    t.notes.push_back("Model: " + c.model + " (a user's table: energy per access and per bit, leakage, area).");
  return t;
}

}  // namespace

sim::MemoryConfig standard_memories(const models::Network& net, unsigned lanes, unsigned K) {
  unsigned code_bits = 1;
  for (const models::Layer& l : net.layers)
    if (l.computes()) code_bits = std::max(code_bits, l.code_bits);
  return sim::MemoryConfig::standard(lanes, K, code_bits, net.activation_bits(), net.AW);
}

RunResult run_network(const RunRequest& o, const Context& context, const CountProgressFn& images_done) {
  const bool gate = o.level == sim::Level::gate, macro = o.level == sim::Level::macro, priced = gate || macro;
  const double frequency = o.frequency;
  const sim::MemoryEnergy& memory = o.memory;
  if (o.lanes == 0 || o.lanes > 4096) throw Error(fmt::format("--lanes {}: choose 1..4096 kernel lanes", o.lanes));
  if (o.K == 0 || o.K > models::kMaxK) throw Error(fmt::format("--K {}: choose 1..{}", o.K, models::kMaxK));
  const fs::path model_path = resolve_model(o.model);
  const models::Network net = models::read_network(model_path);
  kernels::prepare_kinds(net.kinds());  // a package's golden model compiles, and is checked, before anything runs
  const std::string package_warning = changed_packages(net);
  if (!package_warning.empty()) context.say("warning: " + package_warning + "\n");
  const models::LabelledImages test = models::load_fashion_mnist(false, o.data);
  if (!(test.images.rows == net.input.height && test.images.cols == net.input.width && net.input.channels == 1))
    throw Error(fmt::format("{}: input {} does not match the {}x{} test images", model_path.string(),
                            net.input.describe(), test.images.rows, test.images.cols));
  const std::size_t count = o.images ? o.images : (gate ? 1000 : test.labels.size());
  if (count > test.labels.size())
    throw Error(fmt::format("--images {}: the test set has {} images", count, test.labels.size()));

  std::optional<tech::Library> library;
  if (priced) library = read_library(o.lib, context);
  sim::DatapathConfig config;
  config.lanes = o.lanes;
  if (o.threads == 0 || o.threads > 256) throw Error(fmt::format("--threads {}: choose 1..256", o.threads));
  // rtl: images in parallel on independent datapaths (no joins within an
  // image); gate level: a layer's lanes split between threads.
  config.threads = gate ? o.threads : 1;
  config.K = o.K;
  config.level = o.level;
  if (macro) config.macro_model = macro_model_provider(net, *library, context, o.data);
  config.library = library ? &*library : nullptr;
  const bool automatic = gate && !o.activity;
  if (gate) config.activity = o.activity.value_or(tech::ActivityMode{true, kAutoStart});
  context.say(fmt::format("run: {} ({}) at {} level, {} lanes, K={}{}\n", net.name, model_path.string(),
                          sim::to_string(o.level), o.lanes, o.K, priced ? ", cells " + library->name : ""));
  const sim::MemoryConfig memories = parse_memory_config(o.memories, standard_memories(net, o.lanes, o.K));
  sim::plan_memories(net, memories, o.lanes, o.K);  // a memory too small: refused before any build
  std::optional<sim::MemoriesCost> user_table;  // a user's table: read (and checked) before any work
  if (o.memory_model.starts_with("sram:")) {
    const tech::Library macro = read_library(o.memory_model.substr(5), context);
    user_table = sim::price_memories(sim::sram_macro_bank(macro), net, memories, o.lanes, o.K);
  } else if (o.memory_model != "regfile" && o.memory_model != "none") {
    if (!o.memory_model.ends_with(".json"))
      throw Error(fmt::format("--mem-model {}: choose regfile, none, sram:LIBERTY or a JSON table (FILE.json)",
                              o.memory_model));
    user_table = sim::price_memories_from_table(o.memory_model, net, memories, o.lanes, o.K);
  }
  sim::Datapath accelerator(net, config, context.cache_dir, context.tools);
  // Automatic activity: at every tenth of the images, widen the replayed
  // fraction while the interval is wider than the target.
  std::string choice;
  bool target_met = false;
  std::uint64_t next_check = std::max<std::uint64_t>(1, count / 10);
  const auto progress = [&](std::uint64_t done, std::uint64_t total) {
    if (images_done) images_done(done, total);
    if (!automatic || target_met || done < next_check || done == total) return;
    next_check += std::max<std::uint64_t>(1, count / 10);
    const double fraction = accelerator.config().activity.fraction;
    if (fraction >= 1) return;
    const sim::EnergyReport e = accelerator.energy(frequency, {});
    const double relative = e.kernel_half_width / e.total.kernels.total();
    target_met = relative <= kAutoTarget;  // the interval only narrows from here
    if (!target_met) {
      accelerator.set_timed_fraction(std::min(1.0, fraction * 2.5));
      choice += fmt::format("{}F {:g} -> {:g} after {} images (±{:.1f}%)", choice.empty() ? "" : "; ", fraction,
                            accelerator.config().activity.fraction, done, 100 * relative);
    }
  };
  const sim::PlatformRun run = sim::run_platform(accelerator, test.images, count, frequency, memories, progress,
                                                 gate ? 1 : o.threads);

  std::size_t correct = 0;
  for (std::size_t i = 0; i < count; ++i) correct += run.results[i].predicted == test.labels[i];
  std::size_t mismatches = 0, first_mismatch = 0;
  if (o.check) {
    for (std::size_t i = 0; i < count; ++i)
      if (!(models::infer(net, test.images.image(i)) == run.results[i]) && mismatches++ == 0) first_mismatch = i;
  }
  std::optional<sim::EnergyReport> energy;
  std::optional<sim::MemoriesCost> memory_cost;
  if (priced && !memory.priced() && o.memory_model == "regfile") {
    context.say("run: characterising a register-file bank for the memories\n");
    const sim::BankCost bank = sim::characterise_regfile(*library, 32, 32, frequency, context.cache_dir, context.tools);
    memory_cost = sim::price_memories(bank, net, memories, o.lanes, o.K);
  } else if (priced && !memory.priced() && o.memory_model != "none") {
    memory_cost = user_table;
  }
  if (priced) energy = accelerator.energy(frequency, memory_cost ? memory_cost->energy : memory);
  RunResult result;
  if (energy && macro) {
    result.activity = "macro";
    result.macro_models = energy->macro_models;
    result.macro_out_of_bound = macro_models_out_of_bound(energy->macro_models);
  } else if (energy) {
    result.activity = energy->activity.name();
    if (energy->activity.sampled())
      result.activity += fmt::format(" (±{:.2f}% on the lanes' energy)",
                                     100 * energy->kernel_half_width / energy->total.kernels.total());
    if (automatic) result.activity += choice.empty() ? ", chosen automatically" : ", chosen automatically: " + choice;
  }

  reports::Table summary = summary_table(net, o, run, double(correct) / double(count), frequency, energy);
  summary.notes.push_back(fmt::format("{}; {}", version_string(), context.command_line));
  if (auto note = kernels::packages_note(net.kinds()); !note.empty()) summary.notes.push_back(note);
  if (!package_warning.empty()) summary.notes.push_back("Warning: " + package_warning);
  summary.notes.push_back(fmt::format("Clock {} MHz; SystemC time at the end {:.6g} s = {} cycles.", frequency / 1e6,
                                      run.simulated_seconds, run.cycles));
  if (macro) summary.notes.push_back(macro_note(result.macro_models, library->name));
  if (!result.macro_out_of_bound.empty())
    summary.notes.push_back(fmt::format("WARNING: macro-model error beyond ±{:.0f}% on held-out images: {}; its energies "
                                        "are less certain (check with --level gate)",
                                        100 * sim::kMacroErrorBound, fmt::join(result.macro_out_of_bound, ", ")));
  if (gate)
    summary.notes.push_back(fmt::format(
        "Energy from per-net toggles of every lane's gate-level netlist on {}; activity {}{}; idle lanes are "
        "clock-gated and only leak.",
        library->name, result.activity,
        energy->activity.timed ? " (cycles replayed with Liberty gate delays: glitches count)"
                               : " (zero-delay: glitches not seen)"));
  if (o.check)
    summary.notes.push_back(mismatches ? fmt::format("CHECK FAILED: the platform differs from the reference "
                                                     "inference on {} of {} images (first: test image {})",
                                                     mismatches, count, first_mismatch)
                                       : fmt::format("Check: the platform equals the reference inference "
                                                     "(models::infer) on all {} images.",
                                                     count));
  result.images = count;
  result.accuracy = double(correct) / double(count);
  result.mismatches = mismatches;
  result.first_mismatch = first_mismatch;
  result.energy = energy;
  result.tables = {summary, layer_table(net, accelerator.stats(), energy, o.lanes), memory_table(memories, run)};
  if (energy) result.tables.push_back(component_table(*energy, double(count), memory_cost || memory.priced()));
  if (memory_cost) result.tables.push_back(memory_cost_table(*memory_cost));
  return result;
}

}  // namespace neuroppa::app
