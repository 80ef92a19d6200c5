// neuroppa kernels: the kernel-level cost table (cells, area, f_max, power,
// energy per synapse operation, savings against mac).
#include <cstdio>
#include <fmt/format.h>
#include <fstream>

#include "commands.hpp"
#include "neuroppa/models/error.hpp"
#include "neuroppa/reports/table.hpp"
#include "neuroppa/sim/kernel_cost.hpp"
#include "neuroppa/tech/model_build.hpp"
#include "options.hpp"

namespace neuroppa::cli {
namespace {

using models::KernelKind;
using models::KernelParams;

struct KernelsOptions {
  std::string lib = "osu018";
  std::string kinds = "mac,shift,threshold,spike";
  std::string K = "9";
  unsigned XW = 8, AW = 32;
  std::string freq = "50MHz";  // every default (K=9, osu018) kernel meets it; see f_max
  std::uint64_t beats = 20000;
  double sparsity = 0.5;
  unsigned beats_per_output = 16;
  std::string activations, weights;
  std::uint64_t seed = 1;
  std::string format = "md";
  std::string out;
};

std::vector<KernelParams> requested(const KernelsOptions& o) {
  std::vector<KernelKind> kinds;
  for (const std::string& name : split_list(o.kinds)) {
    const auto kind = models::parse_kernel_kind(name);
    if (!kind) throw Error(fmt::format("--kinds {}: unknown kernel '{}'; choose from mac, shift, threshold, spike", o.kinds, name));
    kinds.push_back(*kind);
  }
  if (kinds.empty()) throw Error("--kinds: give at least one kernel");
  std::vector<KernelParams> out;
  for (unsigned K : parse_unsigned_list(o.K, "--K"))
    for (KernelKind kind : kinds) {
      KernelParams p{kind, K, o.XW, models::default_code_bits(kind, o.XW), o.AW};
      if (auto error = models::validate(p)) throw Error(*error);
      out.push_back(p);
    }
  return out;
}

reports::Table cost_table(const std::vector<sim::KernelCost>& costs) {
  reports::Table t;
  t.title = "Kernel cost";
  t.columns = {{"kernel", ""},  {"K", "", 3, true}, {"code bits", "", 2, true}, {"cells", "", 6, true},
               {"area", "µm²", 4},     {"f_max", "MHz", 4},    {"power", "µW", 4},          {"energy/op", "pJ", 4},
               {"power saving", "×", 3}, {"area saving", "×", 3}, {"energy/op saving", "×", 3}};
  for (const auto& c : costs) {
    // The mac kernel with the same K is the baseline of the savings.
    const sim::KernelCost* mac = nullptr;
    for (const auto& m : costs)
      if (m.params.kind == KernelKind::mac && m.params.K == c.params.K) mac = &m;
    const auto saving = [&](double base, double mine) { return mac ? base / mine : std::nan(""); };
    t.rows.push_back({std::string(models::to_string(c.params.kind)), double(c.params.K), double(c.params.code_bits()),
                      double(c.area.cells), c.area.total, c.timing.fmax() / 1e6, c.power.total.total() * 1e6,
                      c.energy_per_synapse_op() * 1e12,
                      mac ? saving(mac->power.total.total(), c.power.total.total()) : std::nan(""),
                      mac ? saving(mac->area.total, c.area.total) : std::nan(""),
                      mac ? saving(mac->energy_per_synapse_op(), c.energy_per_synapse_op()) : std::nan("")});
  }
  return t;
}

int run_kernels(const KernelsOptions& o, const GlobalOptions& global) {
  const auto kernels = requested(o);  // every parameter checked before any work
  const double frequency = parse_frequency(o.freq);
  const reports::Format format = reports::parse_format(o.format);
  const tech::Library library = tech::read_liberty(tech::resolve_library(o.lib));
  sim::CostOptions cost_options;
  cost_options.frequency = frequency;
  cost_options.beats = o.beats;
  cost_options.seed = o.seed;
  cost_options.operands.activation_sparsity = o.sparsity;
  cost_options.operands.beats_per_output = o.beats_per_output;
  if (!o.activations.empty()) cost_options.operands.activations = models::read_value_file(o.activations, o.XW, "activation");
  const auto cache_dir = global.cache_dir.empty() ? tech::default_cache_dir() : global.cache_dir;
  bool line_start = true;  // indent the tool progress lines under the kernel's
  const auto progress = [&](std::string_view text) {
    if (global.quiet) return;
    fmt::print(stderr, "{}{}", line_start ? "  " : "", text);
    line_start = !text.empty() && text.back() == '\n';
  };

  // Every input checked before the first (long) build.
  if (!(o.sparsity >= 0 && o.sparsity <= 1)) throw Error(fmt::format("--sparsity {}: must be between 0 and 1", o.sparsity));
  if (o.beats == 0) throw Error("--beats 0: give at least one beat");
  if (o.beats_per_output == 0) throw Error("--beats-per-output 0: give at least one beat");
  std::vector<sim::CostOptions> per_kernel(kernels.size(), cost_options);
  for (std::size_t i = 0; i < kernels.size(); ++i)
    if (!o.weights.empty())
      per_kernel[i].operands.weights = models::read_value_file(o.weights, kernels[i].code_bits(), "weight code");

  std::vector<sim::KernelCost> costs;
  for (std::size_t i = 0; i < kernels.size(); ++i) {
    const KernelParams& p = kernels[i];
    if (!global.quiet) fmt::print(stderr, "kernels: [{}/{}] {} on {}\n", i + 1, kernels.size(), p.describe(), library.name);
    costs.push_back(sim::characterise_kernel(p, library, per_kernel[i], cache_dir, progress));
  }

  reports::Table table = cost_table(costs);
  table.notes = {
      fmt::format("Library {} ({}), {} V. Power at a {} MHz clock from per-net toggles of the gate-level netlist "
                  "over {} beats ({} beats per output, activation sparsity {}, {} activations, {} weights, seed {}); "
                  "energy/op is energy per beat over K synapses.",
                  library.name, library.path.string(), library.nominal_voltage, frequency / 1e6, o.beats,
                  o.beats_per_output, o.sparsity, o.activations.empty() ? "uniform" : "sampled",
                  o.weights.empty() ? "uniform" : "sampled", o.seed),
      "Zero-delay simulation: glitches are not seen, so dynamic power is a lower bound, lowest for deep "
      "arithmetic such as multipliers. f_max: OpenSTA's worst setup path, ideal clock, no wire load beyond the "
      "library's. Savings are mac / kernel at the same K (greater than 1: cheaper than mac).",
      "Command: " + global.command_line};
  std::string too_slow;
  for (const auto& c : costs)
    if (c.timing.fmax() < frequency)
      too_slow += fmt::format("{}{} K={} ({:.4g} MHz)", too_slow.empty() ? "" : ", ", models::to_string(c.params.kind),
                              c.params.K, c.timing.fmax() / 1e6);
  if (!too_slow.empty())
    table.notes.insert(table.notes.end() - 1,
                       fmt::format("Warning: f_max below the {} MHz clock for {}: their power is priced at a clock they "
                                   "cannot meet (pipeline them or give a lower --freq).",
                                   frequency / 1e6, too_slow));
  const std::string text = reports::write(table, format);
  if (o.out.empty()) {
    fmt::print("{}", text);
  } else {
    std::ofstream out(o.out);
    out << text;
    if (!out) throw Error(fmt::format("cannot write {}", o.out));
  }
  return 0;
}

}  // namespace

Runner add_kernels_command(CLI::App& app, const GlobalOptions& global) {
  auto o = std::make_shared<KernelsOptions>();
  CLI::App* cmd = app.add_subcommand(
      "kernels", "Price each kernel on a standard-cell library: cells, area, f_max, power and energy per synapse "
                 "operation from gate-level simulation, and savings against mac.");
  cmd->add_option("--lib", o->lib, "osu018, osu035, osu050 or a Liberty file (.lib or .lib.gz)")->capture_default_str();
  cmd->add_option("--kinds", o->kinds, "Comma-separated kernels")->capture_default_str();
  cmd->add_option("--K", o->K, "Comma-separated synapses per beat")->capture_default_str();
  cmd->add_option("--XW", o->XW, "Activation bits")->capture_default_str();
  cmd->add_option("--AW", o->AW, "Accumulator bits")->capture_default_str();
  cmd->add_option("--freq", o->freq, "Clock frequency power is priced at")->capture_default_str();
  cmd->add_option("--beats", o->beats, "Beats simulated at gate level per kernel")->capture_default_str();
  cmd->add_option("--sparsity", o->sparsity, "Fraction of zero activations")->capture_default_str();
  cmd->add_option("--beats-per-output", o->beats_per_output, "Beats from first to last")->capture_default_str();
  cmd->add_option("--activations", o->activations, "File of activation values to sample (integers)");
  cmd->add_option("--weights", o->weights, "File of weight codes to sample (integers)");
  cmd->add_option("--seed", o->seed, "Operand seed")->capture_default_str();
  cmd->add_option("--format", o->format, "md, csv, json or tex")->capture_default_str();
  cmd->add_option("--out", o->out, "Write the table to this file instead of stdout");
  return [o, &global] { return run_kernels(*o, global); };
}

}  // namespace neuroppa::cli
