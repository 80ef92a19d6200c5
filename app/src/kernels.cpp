#include "neuroppa/app/kernels.hpp"

#include <cmath>
#include <fmt/format.h>
#include <set>

#include "neuroppa/base/error.hpp"
#include "neuroppa/kernels/catalogue.hpp"

namespace neuroppa::app {
namespace {

using models::KernelKind;
using models::KernelParams;

std::vector<KernelParams> requested(const KernelsRequest& r) {
  const std::vector<KernelKind> kinds =
      r.kinds.empty() ? std::vector<KernelKind>(std::begin(models::kAllKernelKinds), std::end(models::kAllKernelKinds))
                      : r.kinds;
  std::vector<KernelParams> out;
  if (r.archs.empty()) throw Error("--arch: give at least one micro-architecture");
  const auto pairs = kernels::arch_kind_pairs(r.archs, kinds, "--arch");
  for (unsigned K : r.Ks)
    for (const auto& [arch, kind] : pairs) {
      KernelParams p{kind, K, r.XW, models::default_code_bits(kind, r.XW), r.AW, arch, r.reset};
      if (auto error = models::validate(p)) throw Error(*error);
      out.push_back(p);
    }
  return out;
}

}  // namespace

std::string activity_note(const KernelsRequest& r) {
  if (!r.activity.timed)
    return "Activity: zero-delay (toggles between clock-edge states; glitches are not seen, so dynamic power is a "
           "lower bound).";
  return fmt::format(
      "Activity: {} — {} replayed through the netlist with {} delays per timing arc, rise and fall apart, and "
      "inertial pulse rejection, so glitches count; glitch share = timed / zero-delay toggles{}.",
      r.activity.name(),
      r.activity.sampled() ? fmt::format("a seeded {:g}% of the cycles", 100 * r.activity.fraction) : "every cycle",
      r.sdf.empty() ? "Liberty NLDM (at each net's load and the driving input's transition)" : "SDF (" + r.sdf + ")",
      r.activity.sampled() ? "; ± 95% is the confidence interval of the sampled power" : "");
}

reports::Table kernel_cost_table(const std::vector<KernelRow>& rows) {
  std::set<std::string> libs;
  std::set<models::KernelArch> archs;
  for (const auto& r : rows) {
    libs.insert(r.lib);
    archs.insert(r.cost.params.arch);
  }
  const bool lib_column = libs.size() > 1;
  const bool arch_column = archs.size() > 1 || (archs.size() == 1 && *archs.begin() != models::KernelArch::chain);
  reports::Table t;
  t.title = "Kernel cost";
  const bool timed = !rows.empty() && rows.front().cost.activity.timed;
  const bool sampled = !rows.empty() && rows.front().cost.activity.sampled();
  t.columns = {{"kernel", ""},  {"K", "", 3, true}, {"code bits", "", 2, true}, {"cells", "", 6, true},
               {"area", "µm²", 4},     {"f_max", "MHz", 4},    {"power", "µW", 4},          {"energy/op", "pJ", 4},
               {"power saving", "×", 3}, {"area saving", "×", 3}, {"energy/op saving", "×", 3}};
  // Timed: the zero-delay power of the same run and the glitch share beside it.
  if (timed)
    t.columns.insert(t.columns.begin() + 7, {{"zero-delay power", "µW", 4}, {"glitch share", "×", 3}});
  if (sampled) t.columns.insert(t.columns.begin() + 7, {"± 95%", "µW", 2});
  if (arch_column) t.columns.insert(t.columns.begin() + 1, {"arch", ""});
  if (lib_column) t.columns.insert(t.columns.begin(), {"library", ""});
  for (const auto& r : rows) {
    const sim::KernelCost& c = r.cost;
    // The mac kernel with the same K and arch on the same library is the baseline of the savings.
    const sim::KernelCost* mac = nullptr;
    for (const auto& m : rows)
      if (m.lib == r.lib && m.cost.params.kind == KernelKind::mac && m.cost.params.K == c.params.K &&
          m.cost.params.arch == c.params.arch)
        mac = &m.cost;
    std::vector<reports::Cell> row = {
        std::string(models::to_string(c.params.kind)), double(c.params.K), double(c.params.code_bits()),
        double(c.area.cells), c.area.total, c.timing.fmax() / 1e6, c.power.total.total() * 1e6,
        c.energy_per_synapse_op() * 1e12,
        mac ? mac->power.total.total() / c.power.total.total() : std::nan(""),
        mac ? mac->area.total / c.area.total : std::nan(""),
        mac ? mac->energy_per_synapse_op() / c.energy_per_synapse_op() : std::nan("")};
    if (timed) row.insert(row.begin() + 7, {c.zero_delay_power.total.total() * 1e6, c.glitch_share});
    if (sampled) row.insert(row.begin() + 7, c.power_half_width * 1e6);
    if (arch_column) row.insert(row.begin() + 1, std::string(models::to_string(c.params.arch)));
    if (lib_column) row.insert(row.begin(), r.lib);
    t.rows.push_back(std::move(row));
  }
  return t;
}

KernelsResult characterise_kernels(const KernelsRequest& r, const Context& context) {
  const auto kernels = requested(r);  // every parameter checked before any work
  if (r.libs.empty()) throw Error("--lib: give at least one library");
  std::vector<tech::Library> libraries;
  for (const auto& name : r.libs) libraries.push_back(tech::read_liberty(tech::resolve_library(name)));
  sim::CostOptions cost_options;
  cost_options.frequency = r.frequency;
  cost_options.beats = r.beats;
  cost_options.seed = r.seed;
  cost_options.operands.activation_sparsity = r.sparsity;
  cost_options.operands.beats_per_output = r.beats_per_output;
  cost_options.activity = r.activity;
  cost_options.sdf = r.sdf;
  cost_options.timed.allow_partial = r.allow_partial;
  if (!r.activations.empty()) cost_options.operands.activations = models::read_value_file(r.activations, r.XW, "activation");

  // Every input checked before the first (long) build.
  if (!(r.sparsity >= 0 && r.sparsity <= 1)) throw Error(fmt::format("--sparsity {}: must be between 0 and 1", r.sparsity));
  if (r.beats == 0) throw Error("--beats 0: give at least one beat");
  if (r.beats_per_output == 0) throw Error("--beats-per-output 0: give at least one beat");
  std::vector<sim::CostOptions> per_kernel(kernels.size(), cost_options);
  for (std::size_t i = 0; i < kernels.size(); ++i)
    if (!r.weights.empty())
      per_kernel[i].operands.weights = models::read_value_file(r.weights, kernels[i].code_bits(), "weight code");

  // Delays from an SDF: for one netlist, so for one kernel on one library.
  if (!r.sdf.empty() && (kernels.size() != 1 || libraries.size() != 1 || !r.activity.timed))
    throw Error(fmt::format("--sdf {}: an SDF describes one netlist: give one kernel (--kinds, --K), one --lib and a "
                            "timed --activity",
                            r.sdf));

  KernelsResult out;
  const std::size_t total = kernels.size() * libraries.size();
  for (const tech::Library& library : libraries)
    for (std::size_t i = 0; i < kernels.size(); ++i) {
      const KernelParams& p = kernels[i];
      context.say(fmt::format("kernels: [{}/{}] {} on {}\n", out.rows.size() + 1, total, p.describe(), library.name));
      out.rows.push_back(
          {library.name, sim::characterise_kernel(p, library, per_kernel[i], context.cache_dir, context.tools)});
    }

  reports::Table& table = out.table = kernel_cost_table(out.rows);
  std::string libs;
  for (const auto& library : libraries)
    libs += fmt::format("{}{} ({}), {} V", libs.empty() ? "" : "; ", library.name, library.path.string(),
                        library.nominal_voltage);
  table.notes = {
      fmt::format("Library {}. Power at a {} MHz clock from per-net toggles of the gate-level netlist "
                  "over {} beats ({} beats per output, activation sparsity {}, {} activations, {} weights, seed {}); "
                  "energy/op is energy per beat over K synapses.",
                  libs, r.frequency / 1e6, r.beats, r.beats_per_output, r.sparsity,
                  r.activations.empty() ? "uniform" : "sampled", r.weights.empty() ? "uniform" : "sampled", r.seed),
      activity_note(r),
      "f_max: OpenSTA's worst setup path, ideal clock, no wire load beyond the library's. Savings are mac / kernel "
      "at the same K and micro-architecture (greater than 1: cheaper than mac).",
      "Command: " + context.command_line};
  if (!r.sdf.empty() && !out.rows.empty())
    table.notes.insert(table.notes.end() - 1,
                       fmt::format("SDF {}: {} timing arcs it does not give took Liberty's delays{}.", r.sdf,
                                   out.rows.front().cost.arcs_fallen_back,
                                   r.allow_partial ? " (--allow-partial)" : ""));
  std::string too_slow;
  for (const auto& row : out.rows) {
    const sim::KernelCost& c = row.cost;
    if (c.timing.fmax() < r.frequency)
      too_slow += fmt::format("{}{} K={}{} ({:.4g} MHz)", too_slow.empty() ? "" : ", ", models::to_string(c.params.kind),
                              c.params.K, libraries.size() > 1 ? " on " + row.lib : "", c.timing.fmax() / 1e6);
  }
  if (!too_slow.empty())
    table.notes.insert(table.notes.end() - 1,
                       fmt::format("Warning: f_max below the {} MHz clock for {}: their power is priced at a clock they "
                                   "cannot meet (pipeline them or give a lower --freq).",
                                   r.frequency / 1e6, too_slow));
  return out;
}

}  // namespace neuroppa::app
