#include "neuroppa/app/paper.hpp"

#include <cmath>
#include <ctime>
#include <fmt/format.h>
#include <thread>

#include "neuroppa/app/bundled_models.hpp"
#include "neuroppa/app/kernels.hpp"
#include "neuroppa/app/macro.hpp"
#include "neuroppa/app/run.hpp"
#include "neuroppa/base/error.hpp"
#include "neuroppa/base/file.hpp"
#include "neuroppa/base/process.hpp"
#include "neuroppa/base/sha256.hpp"
#include "neuroppa/base/text.hpp"
#include "neuroppa/kernels/catalogue.hpp"
#include "neuroppa/kernels/package.hpp"
#include "neuroppa/models/dataset.hpp"
#include "neuroppa/models/network.hpp"
#include "neuroppa/reports/plot.hpp"
#include "neuroppa/sim/datapath.hpp"
#include "neuroppa/sim/memory_cost.hpp"
#include "neuroppa/sim/platform.hpp"
#include "neuroppa/sim/kernel_cost.hpp"
#include "neuroppa/tech/liberty.hpp"

namespace neuroppa::app {

namespace {
namespace fs = std::filesystem;
using models::KernelKind;

// The Threshold Neuron paper's kernel-level claims against a MAC neuron.
constexpr double kClaimPowerLo = 7.51, kClaimPowerHi = 8.19, kClaimAreaLo = 3.89, kClaimAreaHi = 4.33;

struct NetworkRow {
  std::string model, family;  // family: "mlp", "cnn" (the bundled name's second part)
  models::Network net;
  double accuracy = 0;  // platform, on the images run (macro level)
  double cycles = 0, energy = 0, power = 0;  // per inference, memories included; J; W
  double lane_energy = 0, memory_energy = 0;  // per inference, J
  double stalls = 0;                          // per inference
  double spikes = 0;               // spiking: spikes; sigma-delta: events (nonzero spikes)
  double bits_per_activity = NAN;  // sigma-delta (models::GradedSpikeCounts)
  // The check: the lanes' energy per inference on the first check images at
  // gate level (sampled timed activity) and at macro level, J.
  double gate_check_lanes = 0, macro_check_lanes = 0, gate_check_half_width = 0;
  sim::MemoriesCost memories;
  sim::EnergyReport report;  // macro level, all the images
  sim::RunStats stats;
};


// "25MHz", as the options are written.
std::string frequency_text(double hz) { return fmt::format("{:g}MHz", hz / 1e6); }

std::string join(const std::vector<unsigned>& values) {
  std::string out;
  for (unsigned v : values) out += fmt::format("{}{}", out.empty() ? "" : ",", v);
  return out;
}

// `kinds`: every kind priced or run, so that the packages among them are named.
std::vector<std::string> provenance(const PaperRequest& o, const Context& context,
                                    const std::vector<tech::Library>& libraries, std::span<const KernelKind> kinds,
                                    const std::string& generated) {
  std::vector<std::string> p;
  p.push_back("command: " + context.command_line);
  p.push_back(fmt::format("{}; {}; {}; OpenSTA {}", version_string(),
                          base::first_line(base::capture_output({"verilator", "--version"})),
                          base::first_line(base::capture_output({"yosys", "-V"})),
                          base::first_line(base::capture_output({"sta", "-version"}))));
  for (const auto& lib : libraries)
    p.push_back(fmt::format("library {}: {} sha256 {}", lib.name, lib.path.string(),
                            base::sha256_hex(base::read_file(lib.path))));
  p.push_back(fmt::format("T1: K {}, {} beats of seeded operands (seed {}), priced at {}; T2/T3: {} test images at "
                          "macro level (the first {} also at gate level, {}), {} lanes, K={}, platform clock {}, cells of {}",
                          join(o.Ks), o.beats, o.seed, frequency_text(o.kernel_frequency), o.images, o.checked_images(),
                          o.network_activity.name(), o.lanes, o.net_K,
                          frequency_text(o.frequency),
                          libraries.front().name));
  if (auto note = kernels::packages_note(kinds); !note.empty()) p.push_back(note);
  p.push_back("generated: " + generated);
  return p;
}

// The synapse-datapath block of a kernel (sim::kernel_blocks), if it has one
// of its own (not with chain, whose adders are mixed in).
const sim::BlockCost* synapse_block(const sim::KernelCost& c) {
  for (const sim::BlockCost& b : c.blocks)
    if (b.name == "synapses") return &b;
  return nullptr;
}

// mac / kernel power, both timed with the library's specify delays; NaN where either was not.
double specify_saving(const std::vector<KernelRow>& rows, const KernelRow& r) {
  if (!r.specify) return NAN;
  for (const KernelRow& m : rows)
    if (m.lib == r.lib && m.specify && &m.cost == baseline_mac(rows, r))
      return m.specify->power.total.total() / r.specify->power.total.total();
  return NAN;
}

// mac / kernel of `of`, both after layout; NaN where either was not laid out.
template <typename Of>
double post_layout_saving(const std::vector<KernelRow>& rows, const KernelRow& r, Of of) {
  if (!r.post_layout) return NAN;
  for (const KernelRow& m : rows)
    if (m.lib == r.lib && m.post_layout && &m.cost == baseline_mac(rows, r)) return of(*m.post_layout) / of(*r.post_layout);
  return NAN;
}
double total_power(const sim::KernelCost& c) { return c.power.total.total(); }
double core_area(const sim::KernelCost& c) { return c.layout->core_area; }

// Where the wires land: the block of mac whose power they raise most, and by how much, over the laid-out macs.
std::string wire_heavy_blocks(const std::vector<KernelRow>& rows) {
  std::string out;
  for (const KernelRow& r : rows) {
    if (!r.post_layout || r.cost.params.kind != kernels::baseline_kind()) continue;
    const sim::BlockCost* top = nullptr;
    double top_added = 0, added_total = 0;
    for (const sim::BlockCost& post : r.post_layout->blocks)
      for (const sim::BlockCost& pre : r.cost.blocks)
        if (pre.name == post.name) {
          const double added = post.power.total() - pre.power.total();
          added_total += added;
          if (!top || added > top_added) {
            top = &post;
            top_added = added;
          }
        }
    if (top && added_total > 0)
      out += fmt::format("{}mac K={} on {}: {} carry {:.0f}% of the power the wires add", out.empty() ? "" : "; ",
                         r.cost.params.K, r.lib, top->name, 100 * top_added / added_total);
  }
  return out;
}

reports::Table t1_table(const std::vector<KernelRow>& rows, double clock, const tech::ActivityMode& activity) {
  reports::Table t;
  t.title = "T1. Kernel level: power, area, energy per synapse operation and f_max; savings against mac, of the "
            "whole kernel and of its synapse datapath alone";
  t.columns = {{"library", ""},        {"K", "", 3, true},       {"kernel", ""},           {"x bits", "", 2, true},
               {"arch", ""},
               {"cells", "", 6, true}, {"area", "µm²", 4},       {"f_max", "MHz", 4},      {"power", "µW", 4},
               {"energy/op", "pJ", 4}, {"power saving", "×", 3}, {"area saving", "×", 3}, {"energy/op saving", "×", 3},
               {"synapse power saving", "×", 3}, {"synapse area saving", "×", 3},
               {"zero-delay power", "µW", 4}, {"glitch share", "×", 3}, {"zero-delay power saving", "×", 3},
               {"specify-delay power", "µW", 4}, {"specify-delay power saving", "×", 3}};
  const bool laid_out = std::any_of(rows.begin(), rows.end(), [](const KernelRow& r) { return r.post_layout.has_value(); });
  if (laid_out)
    t.columns.insert(t.columns.end(), {{"post-layout power", "µW", 4}, {"post-layout power saving", "×", 3},
                                       {"core area", "µm²", 4}, {"core area saving", "×", 3},
                                       {"post-layout f_max", "MHz", 4}});
  for (const auto& r : rows) {
    const sim::KernelCost* mac = baseline_mac(rows, r);
    const auto& c = r.cost;
    const sim::BlockCost* synapses = synapse_block(c);
    const sim::BlockCost* mac_synapses = mac ? synapse_block(*mac) : nullptr;
    const bool both = synapses && mac_synapses;
    t.rows.push_back({r.lib, double(c.params.K), std::string(models::to_string(c.params.kind)),
                      double(c.params.activation_bits()), std::string(models::to_string(c.params.arch)), double(c.area.cells), c.area.total,
                      c.timing.fmax() / 1e6, c.power.total.total() * 1e6, c.energy_per_synapse_op() * 1e12,
                      mac ? mac->power.total.total() / c.power.total.total() : NAN,
                      mac ? mac->area.total / c.area.total : NAN,
                      mac ? mac->energy_per_synapse_op() / c.energy_per_synapse_op() : NAN,
                      both ? mac_synapses->power.total() / synapses->power.total() : NAN,
                      both ? mac_synapses->area / synapses->area : NAN, c.zero_delay_power.total.total() * 1e6,
                      c.glitch_share,
                      mac ? mac->zero_delay_power.total.total() / c.zero_delay_power.total.total() : NAN,
                      r.specify ? r.specify->power.total.total() * 1e6 : NAN, specify_saving(rows, r)});
    if (laid_out)
      t.rows.back().insert(t.rows.back().end(),
                           {r.post_layout ? total_power(*r.post_layout) * 1e6 : NAN,
                            post_layout_saving(rows, r, total_power), r.post_layout ? core_area(*r.post_layout) : NAN,
                            post_layout_saving(rows, r, core_area),
                            r.post_layout ? r.post_layout->timing.fmax() / 1e6 : NAN});
  }
  // One honest sentence on where the Threshold Neuron falls against the claims.
  struct Range {
    double lo = INFINITY, hi = 0;
    void add(const reports::Cell& cell) {
      const double v = std::get<double>(cell);
      if (!std::isfinite(v)) return;
      lo = std::min(lo, v);
      hi = std::max(hi, v);
    }
    bool empty() const { return hi == 0; }
  };
  // By name: a column added before them once shifted every index (the note then quoted energy
  // and area savings as power and synapse figures).
  const auto column = [&](std::string_view name) {
    for (std::size_t c = 0; c < t.columns.size(); ++c)
      if (t.columns[c].name == name) return c;
    throw std::logic_error(fmt::format("T1 has no column {}", name));
  };
  Range power, area, zero_delay, syn_power, syn_area, specify, post_power, post_area;
  for (const auto& row : t.rows)
    if (std::get<std::string>(row[column("kernel")]) == "threshold") {
      if (laid_out) {
        post_power.add(row[column("post-layout power saving")]);
        post_area.add(row[column("core area saving")]);
      }
      specify.add(row[column("specify-delay power saving")]);
      power.add(row[column("power saving")]);
      area.add(row[column("area saving")]);
      syn_power.add(row[column("synapse power saving")]);
      syn_area.add(row[column("synapse area saving")]);
      zero_delay.add(row[column("zero-delay power saving")]);
    }
  const auto resembles = [](const Range& r, double lo, double hi) {
    return r.empty() ? "not measured" : r.hi < lo ? "below" : r.lo > hi ? "above" : "within or overlapping";
  };
  t.notes.push_back(fmt::format(
      "The Threshold Neuron paper claims {:.2f}–{:.2f}× lower power and {:.2f}–{:.2f}× lower area than a MAC neuron "
      "at kernel level. Here the whole threshold kernel saves {:.2f}–{:.2f}× power ({}; {:.2f}–{:.2f}× with "
      "zero-delay activity) and {:.2f}–{:.2f}× area ({} and {} the claimed ranges); its synapse datapath alone (the K "
      "terms, without the adders, accumulator, output stage and registers every kernel shares) saves {:.2f}–{:.2f}× "
      "power and {:.2f}–{:.2f}× area ({} and {} the claims). The paper's figures most resemble the synapse-only "
      "savings: the shared blocks dilute the whole-kernel difference. These are Debian's OSU 0.18/0.35 µm cells, not "
      "the paper's library and node.",
      kClaimPowerLo, kClaimPowerHi, kClaimAreaLo, kClaimAreaHi, power.lo, power.hi, activity.name(), zero_delay.lo,
      zero_delay.hi, area.lo, area.hi, resembles(power, kClaimPowerLo, kClaimPowerHi),
      resembles(area, kClaimAreaLo, kClaimAreaHi), syn_power.lo, syn_power.hi, syn_area.lo, syn_area.hi,
      resembles(syn_power, kClaimPowerLo, kClaimPowerHi), resembles(syn_area, kClaimAreaLo, kClaimAreaHi)));
  t.notes.push_back(fmt::format(
      "Each kernel is built as its kind's default micro-architecture ({}); savings are against mac built the same "
      "way where it was, else against mac's default. Netlists are synthesised keeping the hierarchy (abc per RTL "
      "module) so that the synapse datapath can be priced alone: totals differ from the flat `kernels` default by "
      "what abc gains across module boundaries.",
      kernels::default_archs()));
  t.notes.push_back(fmt::format(
      "Power at a {} MHz clock from per-net toggles of the gate-level netlist, activity {}{}; zero-delay power from "
      "the same run between clock edges (glitches not seen); glitch share = timed / zero-delay toggles. f_max from "
      "OpenSTA's worst setup path; area = yosys stat.",
      clock / 1e6, activity.name(),
      activity.timed ? " (every cycle replayed with Liberty gate delays and inertial pulse rejection: glitches count)"
                     : ""));
  if (!specify.empty())
    t.notes.push_back(fmt::format(
        "Delay models: with the fixed specify-block delays of the library's own Verilog cell models (the vendor's, "
        "as Icarus -gspecify uses them; rounded to their timescale's precision) instead of Liberty NLDM, threshold "
        "saves {:.2f}–{:.2f}× power (the specify-delay columns) against {:.2f}–{:.2f}× with NLDM. NLDM is the closer to sign-off: "
        "it looks each delay up at the gate's own load and input transition, as static timing does, where a specify "
        "delay is one number per arc whatever drives or loads the gate; both without wires (--layout adds them to NLDM).",
        specify.lo, specify.hi, power.lo, power.hi));
  if (!post_power.empty()) {
    const std::string heavy = wire_heavy_blocks(rows);
    t.notes.push_back(fmt::format(
        "Layout (--layout): each kernel placed and routed as qflow does (graywolf, qrouter; `kernels --layout`), its "
        "wires from qrouter's RC trees (layer R and C from the LEF, no coupling) in every net's load and as Elmore "
        "delays in the timed replay; f_max from OpenSTA with the same SPEF. With wires threshold saves "
        "{:.2f}–{:.2f}× power and {:.2f}–{:.2f}× core area, against {:.2f}–{:.2f}× and {:.2f}–{:.2f}× before "
        "layout{}.",
        post_power.lo, post_power.hi, post_area.lo, post_area.hi, power.lo, power.hi, area.lo, area.hi,
        heavy.empty() ? "" : " (" + heavy + ")"));
  }
  std::string slow;
  for (const auto& r : rows)
    if (r.cost.timing.fmax() < clock)
      slow += fmt::format("{}{} K={} on {}", slow.empty() ? "" : ", ", models::to_string(r.cost.params.kind),
                          r.cost.params.K, r.lib);
  if (!slow.empty())
    t.notes.push_back("f_max below the clock (priced at the clock all the same, for a like-for-like comparison): " +
                      slow + ".");
  return t;
}

// A model as tables name it: a bundled name, or a file's name without folder and extensions.
std::string model_label(const std::string& name) {
  std::string model = fs::path(name).filename().string();
  for (const std::string_view suffix : {".gz", ".json"})
    if (model.ends_with(suffix)) model.resize(model.size() - suffix.size());
  return model;
}

// "mlp" of mac-mlp, threshold-cnn-mi, adder-mlp or sigma-delta-mlp (a kind's name may hold a '-').
std::string family_of(const std::string& model) {
  std::size_t a = model.find('-');
  for (const KernelKind kind : models::all_kernel_kinds())
    if (const std::string name(models::to_string(kind)); model.starts_with(name + "-")) a = name.size();
  const auto b = model.find('-', a + 1);
  return a == std::string::npos ? model : model.substr(a + 1, b == std::string::npos ? std::string::npos : b - a - 1);
}

const NetworkRow* mac_of(const std::vector<NetworkRow>& rows, const NetworkRow& r) {
  for (const auto& m : rows)
    if (m.family == r.family && m.net.kinds() == std::vector<KernelKind>{kernels::baseline_kind()}) return &m;
  return nullptr;
}

// The lanes' energy intervals of sampled timed activity, or how it was counted.
std::string interval_note(const std::vector<NetworkRow>& rows, const tech::ActivityMode& activity) {
  if (rows.empty() || !activity.timed) return "zero-delay, glitches not seen";
  if (!activity.sampled()) return "every cycle replayed with gate delays";
  double worst = 0;
  for (const auto& r : rows) worst = std::max(worst, r.gate_check_half_width / r.gate_check_lanes);
  return fmt::format("that fraction of the cycles replayed with gate delays, the lanes' energy within ±{:.2f}% "
                     "(95% interval, worst model)",
                     100 * worst);
}

reports::Table t2_table(const std::vector<NetworkRow>& rows, const PaperRequest& o) {
  reports::Table t;
  t.title = "T2. Network level on Fashion-MNIST: accuracy, cycles, energy and average power per model";
  t.columns = {{"model", ""},
               {"accuracy", "", 4},
               {"cycles/inference", "", 4},
               {"stalls/inference", "", 4},
               {"lanes", "nJ", 4},
               {"memories", "nJ", 4},
               {"energy/inference", "nJ", 4},
               {"average power", "mW", 4},
               {"timesteps", "", 3},
               {"spikes or events/inference", "", 5},
               {"bits/activity", "", 3},
               {"energy vs mac, lanes only", "×", 3},
               {"energy vs mac", "×", 3},
               {"power vs mac", "×", 3},
               {"check: lanes, gate level", "nJ", 4},
               {"check: lanes, macro", "nJ", 4},
               {"check: macro - gate", "%", 2}};
  for (const auto& r : rows) {
    const NetworkRow* mac = mac_of(rows, r);
    t.rows.push_back({r.model, r.accuracy, r.cycles, r.stalls, r.lane_energy * 1e9,
                      r.memory_energy * 1e9, r.energy * 1e9, r.power * 1e3,
                      r.net.spiking() ? double(r.net.timesteps) : NAN, r.net.spiking() ? r.spikes : NAN,
                      r.bits_per_activity,
                      mac ? mac->lane_energy / r.lane_energy : NAN, mac ? mac->energy / r.energy : NAN,
                      mac ? mac->power / r.power : NAN, r.gate_check_lanes * 1e9, r.macro_check_lanes * 1e9,
                      100 * (r.macro_check_lanes / r.gate_check_lanes - 1)});
  }
  const auto find = [&](const std::string& name) -> const NetworkRow* {
    for (const auto& r : rows)
      if (r.model == name) return &r;
    return nullptr;
  };
  for (const std::string family : {"mlp", "cnn"}) {
    const NetworkRow *mac = find("mac-" + family), *shift = find("shift-" + family), *spike = find("spike-" + family),
                     *threshold = find("threshold-" + family), *sigma_delta = find("sigma-delta-" + family);
    if (mac && threshold)
      t.notes.push_back(fmt::format(
          "Threshold against MAC ({}): {:.2f}× less energy with memories, {:.2f}× on the lanes alone (the paper "
          "claims 7.5–8.2× less power at kernel level; T1 has the kernels), accuracy {:.4f} against {:.4f} on the "
          "full test set (layer scales learnt: docs/threshold-training.md).",
          family, mac->energy / threshold->energy, mac->lane_energy / threshold->lane_energy,
          threshold->net.training.quantised_accuracy, mac->net.training.quantised_accuracy));
    if (mac && shift)
      t.notes.push_back(fmt::format(
          "Power-of-two shift-accumulate against int8 MAC ({}): {:.2f}× more energy-efficient with memories, {:.2f}× "
          "on the lanes alone (claimed ≥ 1.4×), accuracy {:.4f} against {:.4f}.",
          family, mac->energy / shift->energy, mac->lane_energy / shift->lane_energy, shift->accuracy, mac->accuracy));
    if (mac && spike)
      t.notes.push_back(fmt::format(
          "Spiking ({} timesteps) against MAC ({}): {:.2f}× {} power and {:.2f}× {} energy with memories, {:.2f}× {} "
          "energy on the lanes alone (the SNN-conversion paper: 27× less power, only 5× less energy — timesteps "
          "stretch the work).",
          spike->net.timesteps, family, std::max(mac->power / spike->power, spike->power / mac->power),
          mac->power >= spike->power ? "less" : "more", std::max(mac->energy / spike->energy, spike->energy / mac->energy),
          mac->energy >= spike->energy ? "less" : "more",
          std::max(mac->lane_energy / spike->lane_energy, spike->lane_energy / mac->lane_energy),
          mac->lane_energy >= spike->lane_energy ? "less" : "more"));
    if (mac && sigma_delta)
      t.notes.push_back(fmt::format(
          "Sigma-delta ({}-bit graded spikes, {} timesteps) against MAC ({}): {:.2f}× {} energy with memories, "
          "{:.2f}× {} on the lanes alone, {:.0f} events and {:.3f} bits per activity an inference; accuracy {:.4f} "
          "against {:.4f} on the full test set{}.",
          sigma_delta->net.XW, sigma_delta->net.timesteps, family,
          std::max(mac->energy / sigma_delta->energy, sigma_delta->energy / mac->energy),
          mac->energy >= sigma_delta->energy ? "less" : "more",
          std::max(mac->lane_energy / sigma_delta->lane_energy, sigma_delta->lane_energy / mac->lane_energy),
          mac->lane_energy >= sigma_delta->lane_energy ? "less" : "more", sigma_delta->spikes,
          sigma_delta->bits_per_activity, sigma_delta->net.training.quantised_accuracy,
          mac->net.training.quantised_accuracy,
          spike ? fmt::format(" (spike: {:.4f}, {:.0f} spikes)", spike->net.training.quantised_accuracy, spike->spikes)
                : std::string()));
  }
  std::string models_note, worst_check;
  double worst = -1;
  for (const auto& r : rows) {
    for (const auto& m : r.report.macro_models)
      if (models_note.find(m->id()) == std::string::npos)
        models_note += fmt::format("{}{} {} (total {:+.2f}%, per cycle {:.1f}%)", models_note.empty() ? "" : "; ",
                                   m->kernel.substr(0, m->kernel.find(' ')), m->id(), 100 * m->validation.total_error,
                                   100 * m->validation.cycle_error);
    const double d = std::abs(r.macro_check_lanes / r.gate_check_lanes - 1);
    if (d > worst) {
      worst = d;
      worst_check = fmt::format("{} {:+.2f}%", r.model, 100 * (r.macro_check_lanes / r.gate_check_lanes - 1));
    }
  }
  t.notes.push_back(fmt::format(
      "Accuracy and energy over {} test images on the SystemC platform, standard memories (docs/platform.md) "
      "priced as {}. The lanes run at RTL level and every lane cycle is priced by its kernel's power macro-model, "
      "fitted on timed (glitch-aware) gate-level replays of the bundled networks' operands and checked on held-out "
      "images (docs/macro-models.md): {}. Published references (the dataset's README): MLP 256-128-100 0.883, two "
      "conv + pooling 0.916.",
      o.images, rows.empty() ? std::string("-") : rows.front().memories.model, models_note));
  t.notes.push_back(fmt::format(
      "Check: the lanes' energy per inference over the first {} test images at gate level (activity {}: {}) and at "
      "macro level on the same images; the largest difference {}.",
      o.checked_images(), o.network_activity.name(), interval_note(rows, o.network_activity), worst_check));
  return t;
}

reports::Table t3_memories(const std::vector<NetworkRow>& rows) {
  reports::Table t;
  t.title = "T3c. The memories: energy per inference and area, by memory";
  t.columns = {{"model", ""},
               {"weight memory energy", "nJ", 4},
               {"activation buffers energy", "nJ", 4},
               {"membrane memory energy", "nJ", 4},
               {"weight memory area", "mm²", 4},
               {"activation buffers area", "mm²", 4},
               {"membrane memory area", "mm²", 4},
               {"memories / all energy", "%", 3}};
  for (const auto& r : rows) {
    const double n = double(r.stats.images), seconds = double(r.stats.total().cycles) / r.report.frequency;
    const sim::LayerStats all = r.stats.total();
    const sim::MemoryEnergy& e = r.memories.energy;
    t.rows.push_back({r.model, e.weights(all, seconds) / n * 1e9, e.activations(all, seconds) / n * 1e9,
                      r.net.spiking() ? e.membrane(all, seconds) / n * 1e9 : NAN, r.memories.weights.area * 1e-6,
                      r.memories.activations.area * 1e-6, r.net.spiking() ? r.memories.membrane.area * 1e-6 : NAN,
                      100 * r.memory_energy / r.energy});
  }
  if (!rows.empty())
    t.notes.push_back("Model: " + rows.front().memories.model +
                      "; capacities sized to each network (all weights resident), access energy at the banks an "
                      "access spans, leakage over the run.");
  return t;
}

reports::Table t3_groups(const std::vector<NetworkRow>& rows) {
  reports::Table t;
  t.title = "T3a. Where the energy goes, by cell group (per inference)";
  t.columns = {{"model", ""}, {"sequential", "nJ", 4}, {"combinational", "nJ", 4}, {"clock", "nJ", 4},
               {"of which leakage", "nJ", 4}, {"memories", "nJ", 4}, {"total", "nJ", 4}};
  for (const auto& r : rows) {
    const double n = double(r.stats.images);
    const auto& e = r.report.total;
    t.rows.push_back({r.model, e.sequential.total() / n * 1e9, e.combinational.total() / n * 1e9,
                      e.clock.total() / n * 1e9, e.kernels.leakage / n * 1e9, e.memory / n * 1e9, e.total() / n * 1e9});
  }
  t.notes.push_back(fmt::format("Kernel lanes by cell group, then the memories (T3c). Sequential: flip-flops; clock: the clock "
                                "network's nets and the flops' clock pins; activity {}.",
                                rows.empty() ? std::string("-") : rows.front().report.activity.name()));
  return t;
}

reports::Table t3_layers(const std::vector<NetworkRow>& rows) {
  reports::Table t;
  t.title = "T3b. Where the energy goes, by layer (per inference)";
  t.columns = {{"model", ""}, {"layer", ""}, {"cycles", "", 6}, {"energy", "nJ", 4}, {"share", "%", 3}};
  for (const auto& r : rows) {
    const double n = double(r.stats.images);
    for (std::size_t i = 0; i < r.net.layers.size(); ++i) {
      if (r.stats.layers[i].cycles == 0) continue;
      t.rows.push_back({r.model, fmt::format("{} {}", i + 1, r.net.layers[i].describe()),
                        double(r.stats.layers[i].cycles) / n, r.report.layers[i].total() / n * 1e9,
                        100 * r.report.layers[i].total() / r.report.total.total()});
    }
  }
  return t;
}

// Writes the table in every format and records it and its files.
void write_table(const fs::path& dir, const std::string& stem, reports::Table table,
                 const std::vector<std::string>& prov, PaperResult& result) {
  table.provenance = prov;
  for (const auto& [ext, format] : {std::pair{"md", reports::Format::markdown}, std::pair{"csv", reports::Format::csv},
                                    std::pair{"json", reports::Format::json}, std::pair{"tex", reports::Format::latex}}) {
    result.files.push_back(dir / fmt::format("{}.{}", stem, ext));
    base::write_file(result.files.back(), reports::write(table, format));
  }
  result.tables.emplace_back(stem, std::move(table));
}

void write_svg(const fs::path& path, const std::string& svg, PaperResult& result) {
  base::write_file(path, svg);
  result.files.push_back(path);
}

std::string utc_now() {
  const std::time_t now = std::time(nullptr);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&now));
  return text;
}

}  // namespace

// T1's kinds: mac first (every saving is against it), then the others asked for, each once.
std::vector<KernelKind> t1_kinds(const PaperRequest& o) {
  std::vector<KernelKind> kinds{kernels::baseline_kind()};
  const std::vector<KernelKind> asked =
      o.kinds.empty() ? models::builtin_kernel_kinds()
                      : o.kinds;
  for (KernelKind kind : asked)
    if (std::find(kinds.begin(), kinds.end(), kind) == kinds.end()) kinds.push_back(kind);
  return kinds;
}

PaperResult write_paper(const PaperRequest& o, const Context& context) {
  // Every option checked before the first (long) step.
  const std::vector<unsigned>& Ks = o.Ks;
  const double kernel_freq = o.kernel_frequency, freq = o.frequency;
  if (Ks.empty()) throw Error("--K: give at least one value");
  if (o.images == 0 || o.images > 10000) throw Error(fmt::format("--images {}: choose 1..10000", o.images));
  if (o.check_images == 0) throw Error("--check-images 0: choose 1..10000");
  base::prepare_output_folder(o.out, "--out");  // before the first (long) build
  std::vector<tech::Library> libraries;
  for (const auto& name : o.libs) libraries.push_back(read_library(name, context));
  if (libraries.empty()) throw Error("--lib: give at least one library");
  std::vector<std::string> model_names = o.models.empty() ? bundled_model_names() : o.models;
  std::vector<std::pair<std::string, models::Network>> networks;
  for (const auto& name : model_names) networks.emplace_back(name, models::read_network(resolve_model(name)));
  const models::LabelledImages test = models::load_fashion_mnist(false);
  const fs::path& cache_dir = context.cache_dir;
  const auto say = [&](const std::string& line) { context.say("paper: " + line + "\n"); };
  const ProgressFn& tool_progress = context.tools;

  // T1, with Liberty NLDM delays and, where a library ships Verilog cell models next to its Liberty file
  // (the OSU libraries: osu018_stdcells.v), with their specify delays beside.
  std::vector<std::optional<tech::SpecifyDelays>> vendor_models;
  for (const auto& lib : libraries) {
    const fs::path models = fs::path(lib.path).replace_extension(".v");
    vendor_models.push_back(lib.path.extension() == ".lib" && fs::exists(models)
                                ? std::optional(tech::read_specify(models))
                                : std::nullopt);
  }
  if (o.layout && std::none_of(libraries.begin(), libraries.end(),
                               [](const tech::Library& l) { return tech::qflow_technology(l).has_value(); }))
    throw Error("--layout: none of the --lib libraries has a qflow technology (LEF, router setup); give osu018, "
                "osu035 or osu050");
  const std::vector<KernelKind> kinds = t1_kinds(o);
  kernels::prepare_kinds(kinds);
  for (const auto& [name, net] : networks) kernels::prepare_kinds(net.kinds());
  std::vector<KernelRow> kernels;
  std::vector<std::string> layout_failures;
  for (const auto& lib : libraries)
    for (unsigned K : Ks)
      for (KernelKind kind : kinds) {
        // Each kind at the activation width it is designed for (8 bits; sigma-delta's graded spikes 4).
        const unsigned XW = models::default_xw(kind);
        const models::KernelParams p{kind, K, XW, models::default_ww(kind, XW), 32, models::default_arch(kind)};
        if (auto error = models::validate(p)) throw Error(*error);
        say(fmt::format("T1 {} on {}", p.describe(), lib.name));
        sim::CostOptions cost;
        cost.frequency = kernel_freq;
        cost.beats = o.beats;
        cost.seed = o.seed;
        cost.activity = o.activity;
        cost.by_block = true;  // the synapse datapath's own savings
        kernels.push_back({lib.name, sim::characterise_kernel(p, lib, cost, cache_dir, tool_progress), {}, {}});
        if (o.layout && tech::qflow_technology(lib)) {
          say(fmt::format("T1 {} on {}, placed and routed", p.describe(), lib.name));
          sim::CostOptions wired = cost;
          wired.layout = tech::LayoutOptions{};
          try {
            kernels.back().post_layout = sim::characterise_kernel(p, lib, wired, cache_dir, tool_progress);
          } catch (const Error& e) {  // a layout that fails costs that row's post-layout columns only
            layout_failures.push_back(fmt::format("{} on {}: {}", p.describe(), lib.name, base::first_line(e.what())));
            say("layout failed: " + layout_failures.back());
          }
        }
        if (vendor_models[&lib - libraries.data()] && o.activity.timed) {
          say(fmt::format("T1 {} on {}, the vendor's specify delays", p.describe(), lib.name));
          cost.by_block = false;
          cost.specify = &*vendor_models[&lib - libraries.data()];
          kernels.back().specify = sim::characterise_kernel(p, lib, cost, cache_dir, tool_progress);
        }
      }

  // T2, T3: each bundled model on the platform at gate level, memories priced.
  std::vector<NetworkRow> rows;
  say(fmt::format("T2 memories: a register-file bank on {}", libraries.front().name));
  const sim::BankCost bank = sim::characterise_regfile(libraries.front(), 32, 32, freq, cache_dir, tool_progress);
  for (auto& [name, net] : networks) {
    say(fmt::format("T2 {} on {}, {} images at macro level", name, libraries.front().name, o.images));
    sim::DatapathConfig config;
    config.lanes = o.lanes;
    config.K = o.net_K;
    config.level = sim::Level::macro;
    config.library = &libraries.front();
    config.macro_model = macro_model_provider(net, libraries.front(), context, models::kFashionMnistDir);
    sim::Datapath accelerator(net, config, cache_dir, tool_progress);
    // Through the SystemC platform with the standard memories, priced.
    const sim::MemoryConfig memory = standard_memories(net, o.lanes, o.net_K);
    const unsigned threads = std::max(1u, std::thread::hardware_concurrency());
    const sim::PlatformRun run = sim::run_platform(accelerator, test.images, o.images, freq, memory, {}, threads);
    std::size_t correct = 0;
    for (std::size_t i = 0; i < o.images; ++i) correct += run.results[i].predicted == test.labels[i];
    NetworkRow row;
    row.model = model_label(name);
    row.family = family_of(row.model);
    row.net = net;
    row.stats = accelerator.stats();
    row.memories = sim::price_memories(bank, net, memory, o.lanes, o.net_K);
    row.report = accelerator.energy(freq, row.memories.energy);
    const double n = double(o.images);
    row.lane_energy = row.report.total.kernels.total() / n;
    row.memory_energy = row.report.total.memory / n;
    row.stalls = double(run.stall_cycles) / n;
    row.accuracy = double(correct) / n;
    row.cycles = double(row.stats.total().cycles) / n;
    row.energy = row.report.total.total() / n;
    row.power = row.energy / (row.cycles / freq);
    row.spikes = double(row.stats.total().spikes) / n;
    if (const models::GradedSpikeCounts g = row.stats.total().graded; g.activities)
      row.bits_per_activity = double(g.activity_bits) / double(g.activities);

    // The check: the first images at gate level and at macro level, the lanes alone.
    say(fmt::format("T2 {}: check on the first {} images at gate level ({})", name, o.checked_images(),
                    o.network_activity.name()));
    sim::DatapathConfig gate_config = config;
    gate_config.level = sim::Level::gate;
    gate_config.threads = threads;
    gate_config.activity = o.network_activity;
    sim::Datapath gate(net, gate_config, cache_dir, tool_progress);
    sim::Datapath macro(net, config, cache_dir, tool_progress);
    for (std::size_t i = 0; i < o.checked_images(); ++i) {
      gate.run(test.images.image(i));
      macro.run(test.images.image(i));
    }
    const sim::EnergyReport g = gate.energy(freq, {});
    row.gate_check_lanes = g.total.kernels.total() / double(o.checked_images());
    row.gate_check_half_width = g.kernel_half_width / double(o.checked_images());
    row.macro_check_lanes = macro.energy(freq, {}).total.kernels.total() / double(o.checked_images());
    rows.push_back(std::move(row));
  }

  PaperResult result;
  std::vector<KernelKind> used = kinds;
  for (const auto& r : rows)
    for (KernelKind kind : r.net.kinds()) used.push_back(kind);
  const std::vector<std::string> prov = provenance(o, context, libraries, used, utc_now());
  const fs::path dir = o.out;
  reports::Table t1 = t1_table(kernels, kernel_freq, o.activity);
  for (const std::string& failure : layout_failures)
    t1.notes.push_back("Layout failed, post-layout columns left empty: " + failure);
  write_table(dir, "t1_kernels", t1, prov, result);
  write_table(dir, "t2_networks", t2_table(rows, o), prov, result);
  write_table(dir, "t3a_energy_by_cell_group", t3_groups(rows), prov, result);
  write_table(dir, "t3b_energy_by_layer", t3_layers(rows), prov, result);
  write_table(dir, "t3c_memories", t3_memories(rows), prov, result);

  // Plots
  reports::ScatterPlot pareto;
  pareto.title = "Energy per inference against accuracy";
  pareto.x_label = "energy per inference (nJ, log scale)";
  pareto.y_label = "test accuracy";
  pareto.log_x = true;
  pareto.pareto_min_x_max_y = true;
  pareto.provenance = prov;
  for (const auto& r : rows) pareto.points.push_back({r.model, r.energy * 1e9, r.accuracy, r.family == "mlp" ? "MLP" : "CNN"});
  write_svg(dir / "energy_vs_accuracy.svg", reports::write_svg(pareto), result);

  for (const bool power : {true, false}) {
    reports::BarChart bars;
    bars.title = power ? fmt::format("Kernel power at {} MHz", kernel_freq / 1e6) : "Kernel area";
    bars.y_label = power ? "power (mW)" : "area (mm²)";
    bars.provenance = prov;
    for (KernelKind kind : kinds) bars.categories.emplace_back(models::to_string(kind));
    for (const auto& lib : libraries)
      for (unsigned K : Ks) {
        reports::BarSeries s{fmt::format("{} K={}", lib.name, K), {}};
        for (KernelKind kind : kinds)
          for (const auto& k : kernels)
            if (k.lib == lib.name && k.cost.params.K == K && k.cost.params.kind == kind)
              s.values.push_back(power ? k.cost.power.total.total() * 1e3 : k.cost.area.total * 1e-6);
        bars.series.push_back(s);
      }
    write_svg(dir / (power ? "kernel_power.svg" : "kernel_area.svg"), reports::write_svg(bars), result);
  }

  reports::BarChart stack;
  stack.title = "Energy per inference by cell group, and the memories";
  stack.y_label = "energy per inference (nJ)";
  stack.stacked = true;
  stack.provenance = prov;
  stack.series = {{"sequential", {}}, {"combinational", {}}, {"clock", {}}, {"memories", {}}};
  for (const auto& r : rows) {
    const double n = double(r.stats.images);
    stack.categories.push_back(r.model);
    stack.series[0].values.push_back(r.report.total.sequential.total() / n * 1e9);
    stack.series[1].values.push_back(r.report.total.combinational.total() / n * 1e9);
    stack.series[2].values.push_back(r.report.total.clock.total() / n * 1e9);
    stack.series[3].values.push_back(r.report.total.memory / n * 1e9);
  }
  write_svg(dir / "energy_breakdown.svg", reports::write_svg(stack), result);
  return result;
}

}  // namespace neuroppa::app
