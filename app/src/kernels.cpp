#include "neuroppa/app/kernels.hpp"

#include <cmath>
#include <fmt/format.h>
#include <map>
#include <set>

#include "neuroppa/base/error.hpp"
#include "neuroppa/base/process.hpp"
#include "neuroppa/base/text.hpp"
#include "neuroppa/kernels/catalogue.hpp"
#include "neuroppa/kernels/package.hpp"
#include "neuroppa/sim/kernel_models.hpp"

namespace neuroppa::app {
namespace {

using models::KernelKind;
using models::KernelParams;

std::vector<KernelParams> requested(const KernelsRequest& r) {
  const std::vector<KernelKind> kinds =
      r.kinds.empty() ? models::builtin_kernel_kinds()
                      : r.kinds;
  std::vector<KernelParams> out;
  const auto pairs = kernels::arch_kind_pairs(r.archs, kinds, "--arch");
  for (unsigned K : r.Ks)
    for (const auto& [arch, kind] : pairs) {
      const unsigned XW = r.XW.value_or(models::default_xw(kind));
      KernelParams p{kind, K, XW, models::default_ww(kind, XW), r.AW, arch, r.reset, r.pipeline};
      kernels::set_own_parameters(p, r.own_parameters);
      if (auto error = models::validate(p)) throw Error(*error);
      out.push_back(p);
    }
  return out;
}

}  // namespace

const sim::KernelCost* baseline_mac(const std::vector<KernelRow>& rows, const KernelRow& row) {
  const sim::KernelCost* any = nullptr;
  for (const auto& m : rows) {
    if (m.lib != row.lib || m.cost.params.kind != kernels::baseline_kind() || m.cost.params.K != row.cost.params.K) continue;
    if (m.cost.params.arch == row.cost.params.arch) return &m.cost;
    if (!any || m.cost.params.arch == models::default_arch(kernels::baseline_kind())) any = &m.cost;
  }
  return any;
}

std::string activity_note(const KernelsRequest& r) {
  if (!r.activity.timed)
    return "Activity: zero-delay (toggles between clock-edge states; glitches are not seen, so dynamic power is a "
           "lower bound).";
  return fmt::format(
      "Activity: {} — {} replayed through the netlist with {} delays per timing arc, rise and fall apart, and "
      "inertial pulse rejection, so glitches count; glitch share = timed / zero-delay toggles{}.",
      r.activity.name(),
      r.activity.sampled() ? fmt::format("a seeded {:g}% of the cycles", 100 * r.activity.fraction) : "every cycle",
      !r.sdf.empty()       ? "SDF (" + r.sdf + ")"
      : !r.specify.empty() ? "the cell models' specify-block (" + r.specify + ": fixed per arc, whatever the load)"
                           : std::string("Liberty NLDM (at each net's load and the driving input's transition)"),
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
  t.columns = {{"kernel", ""},  {"K", "", 3, true}, {"x bits", "", 2, true}, {"code bits", "", 2, true}, {"cells", "", 6, true},
               {"area", "µm²", 4},     {"f_max", "MHz", 4},    {"power", "µW", 4},          {"energy/op", "pJ", 4},
               {"power saving", "×", 3}, {"area saving", "×", 3}, {"energy/op saving", "×", 3}};
  // Timed: the zero-delay power of the same run and the glitch share beside it.
  if (timed)
    t.columns.insert(t.columns.begin() + 8, {{"zero-delay power", "µW", 4}, {"glitch share", "×", 3}});
  if (sampled) t.columns.insert(t.columns.begin() + 8, {"± 95%", "µW", 2});
  if (arch_column) t.columns.insert(t.columns.begin() + 1, {"arch", ""});
  if (lib_column) t.columns.insert(t.columns.begin(), {"library", ""});
  for (const auto& r : rows) {
    const sim::KernelCost& c = r.cost;
    const sim::KernelCost* mac = baseline_mac(rows, r);
    std::vector<reports::Cell> row = {
        std::string(models::to_string(c.params.kind)), double(c.params.K), double(c.params.activation_bits()),
        double(c.params.code_bits()),
        double(c.area.cells), c.area.total, c.timing.fmax() / 1e6, c.power.total.total() * 1e6,
        c.energy_per_synapse_op() * 1e12,
        mac ? mac->power.total.total() / c.power.total.total() : std::nan(""),
        mac ? mac->area.total / c.area.total : std::nan(""),
        mac ? mac->energy_per_synapse_op() / c.energy_per_synapse_op() : std::nan("")};
    if (timed) row.insert(row.begin() + 8, {c.zero_delay_power.total.total() * 1e6, c.glitch_share});
    if (sampled) row.insert(row.begin() + 8, c.power_half_width * 1e6);
    if (arch_column) row.insert(row.begin() + 1, std::string(models::to_string(c.params.arch)));
    if (lib_column) row.insert(row.begin(), r.lib);
    t.rows.push_back(std::move(row));
  }
  return t;
}

reports::Table kernel_layout_table(const std::vector<KernelRow>& rows) {
  std::set<std::string> libs;
  for (const auto& r : rows) libs.insert(r.lib);
  const bool lib_column = libs.size() > 1;
  reports::Table t;
  t.title = "Kernel cost after layout";
  t.columns = {{"kernel", ""},
               {"arch", ""},
               {"K", "", 3, true},
               {"cell area", "µm²", 4},
               {"core area", "µm²", 4},
               {"utilisation", "%", 3},
               {"wire length", "mm", 3},
               {"wire cap share", "%", 3},
               {"f_max pre", "MHz", 4},
               {"f_max post", "MHz", 4},
               {"power pre", "µW", 4},
               {"power post", "µW", 4},
               {"power saving pre", "×", 3},
               {"power saving post", "×", 3},
               {"area saving pre", "×", 3},
               {"area saving post", "×", 3},
               {"layout time", "s", 3},
               {"cached", ""}};
  if (lib_column) t.columns.insert(t.columns.begin(), {"library", ""});
  // mac's post-layout cost beside the row's pre-layout baseline.
  const auto post_mac = [&](const sim::KernelCost* mac) -> const sim::KernelCost* {
    for (const auto& m : rows)
      if (&m.cost == mac && m.post_layout) return &*m.post_layout;
    return nullptr;
  };
  const auto ratio = [](const sim::KernelCost* mac, double mine, auto of) { return mac ? of(*mac) / mine : std::nan(""); };
  for (const auto& r : rows) {
    if (!r.post_layout) continue;
    const sim::KernelCost& pre = r.cost;
    const sim::KernelCost& post = *r.post_layout;
    const tech::LayoutResult& l = *post.layout;
    const sim::KernelCost* mac = baseline_mac(rows, r);
    const sim::KernelCost* mac_post = post_mac(mac);
    const auto power = [](const sim::KernelCost& c) { return c.power.total.total(); };
    const auto cell_area = [](const sim::KernelCost& c) { return c.area.total; };
    const auto core_area = [](const sim::KernelCost& c) { return c.layout->core_area; };
    std::vector<reports::Cell> row = {std::string(models::to_string(pre.params.kind)),
                                      std::string(models::to_string(pre.params.arch)),
                                      double(pre.params.K),
                                      l.cell_area,
                                      l.core_area,
                                      100 * l.utilisation(),
                                      l.wire_length / 1000,
                                      100 * post.wire_capacitance_share,
                                      pre.timing.fmax() / 1e6,
                                      post.timing.fmax() / 1e6,
                                      power(pre) * 1e6,
                                      power(post) * 1e6,
                                      ratio(mac, power(pre), power),
                                      ratio(mac_post, power(post), power),
                                      ratio(mac, cell_area(pre), cell_area),
                                      ratio(mac_post, l.core_area, core_area),
                                      l.seconds,
                                      std::string(l.cached ? "yes" : "no")};
    if (lib_column) row.insert(row.begin(), r.lib);
    t.rows.push_back(std::move(row));
  }
  return t;
}

reports::Table kernel_block_table(const std::vector<KernelRow>& rows) {
  std::set<std::string> libs;
  for (const auto& r : rows) libs.insert(r.lib);
  const bool lib_column = libs.size() > 1;
  reports::Table t;
  t.title = "Kernel cost by block";
  t.columns = {{"kernel", ""},        {"K", "", 3, true},      {"arch", ""},           {"block", ""},
               {"cells", "", 6, true}, {"area", "µm²", 4},      {"area share", "%", 3}, {"power", "µW", 4},
               {"power share", "%", 3}, {"zero-delay power", "µW", 4}, {"power saving", "×", 3},
               {"area saving", "×", 3}};
  const bool timed = !rows.empty() && rows.front().cost.activity.timed;
  if (!timed) t.columns.erase(t.columns.begin() + 9);  // zero-delay power: the power column itself
  if (lib_column) t.columns.insert(t.columns.begin(), {"library", ""});
  for (const auto& r : rows) {
    const sim::KernelCost& c = r.cost;
    const sim::KernelCost* mac = baseline_mac(rows, r);
    for (const sim::BlockCost& b : c.blocks) {
      const sim::BlockCost* mac_block = nullptr;
      if (mac)
        for (const sim::BlockCost& m : mac->blocks)
          if (m.name == b.name) mac_block = &m;
      const auto ratio = [](double num, double den) { return num > 0 && den > 0 ? num / den : std::nan(""); };
      std::vector<reports::Cell> row = {
          std::string(models::to_string(c.params.kind)), double(c.params.K),
          std::string(models::to_string(c.params.arch)), b.name, double(b.cells), b.area,
          100 * b.area / c.area.total, b.power.total() * 1e6, 100 * b.power.total() / c.power.total.total(),
          b.zero_delay_power.total() * 1e6,
          mac_block ? ratio(mac_block->power.total(), b.power.total()) : std::nan(""),
          mac_block ? ratio(mac_block->area, b.area) : std::nan("")};
      if (!timed) row.erase(row.begin() + 9);
      if (lib_column) row.insert(row.begin(), r.lib);
      t.rows.push_back(std::move(row));
    }
  }
  t.notes = {
      "Synthesised keeping the hierarchy (abc maps each RTL module on its own, then the netlist is flattened), so "
      "each cell is attributed to the instance it came from; totals are those of the cost table above, which "
      "was synthesised the same way. Power of a block: its cells' internal and leakage power and the switching "
      "of the nets they drive; \"input nets\" is the switching of nets the kernel's ports drive.",
      "Blocks: synapses = the K terms (with chain, also the serial adders); adders = the adder tree or the "
      "compressor and its carry-propagate adder; accumulator adder = first/add logic and the capture gate; "
      "output stage = bias, shift and saturation (spike: the membrane update); control = the valid flop. "
      "Savings are mac's block over the kernel's, same library and K, and the same micro-architecture where mac "
      "was built so (else mac's default)."};
  return t;
}

KernelsResult characterise_kernels(const KernelsRequest& r, const Context& context) {
  const auto kernels = requested(r);  // every parameter checked before any work
  if (r.libs.empty()) throw Error("--lib: give at least one library");
  std::vector<tech::Library> libraries;
  for (const auto& name : r.libs) libraries.push_back(read_library(name, context));
  sim::CostOptions cost_options;
  cost_options.frequency = r.frequency;
  cost_options.beats = r.beats;
  cost_options.seed = r.seed;
  cost_options.operands.activation_sparsity = r.sparsity;
  cost_options.operands.beats_per_output = r.beats_per_output;
  cost_options.activity = r.activity;
  cost_options.sdf = r.sdf;
  std::optional<tech::SpecifyDelays> specify;
  if (!r.sdf.empty() && !r.specify.empty()) throw Error("--sdf and --specify: give one source of gate delays");
  if (!r.specify.empty()) {
    if (libraries.size() != 1 || !r.activity.timed)
      throw Error(fmt::format("--specify {}: the Verilog models of one library's cells: give one --lib and a timed "
                              "--activity",
                              r.specify));
    specify = tech::read_specify(r.specify);
    cost_options.specify = &*specify;
  }
  cost_options.timed.allow_partial = r.allow_partial;
  cost_options.by_block = r.by_block;
  if (r.layout)
    for (const tech::Library& library : libraries)
      if (!tech::qflow_technology(library))
        throw Error(fmt::format("--layout: library {} ({}) has no qflow technology (LEF, router setup) to place and "
                                "route on; --layout works on osu018, osu035 and osu050",
                                library.name, library.path.string()));

  // Every input checked before the first (long) build.
  if (!(r.sparsity >= 0 && r.sparsity <= 1)) throw Error(fmt::format("--sparsity {}: must be between 0 and 1", r.sparsity));
  if (r.beats == 0) throw Error("--beats 0: give at least one beat");
  if (r.beats_per_output == 0) throw Error("--beats-per-output 0: give at least one beat");
  // Each kernel samples the value files at its own XW and code bits; each file is read once per
  // width (kinds differ in widths, not in the values a file holds).
  std::map<std::pair<std::string_view, unsigned>, std::vector<std::uint32_t>> values_at;
  const auto values = [&](const std::string& file, unsigned bits, const char* what) {
    auto [it, fresh] = values_at.try_emplace({what, bits});
    if (fresh) it->second = models::read_value_file(file, bits, what);
    return it->second;
  };
  std::vector<sim::CostOptions> per_kernel(kernels.size(), cost_options);
  for (std::size_t i = 0; i < kernels.size(); ++i) {
    if (!r.activations.empty()) per_kernel[i].operands.activations = values(r.activations, kernels[i].XW, "activation");
    if (!r.weights.empty()) per_kernel[i].operands.weights = values(r.weights, kernels[i].code_bits(), "weight code");
  }

  // A library that cannot take the kernels at all (every kernel has the
  // request's reset style, so the first stands for all).
  for (const tech::Library& library : libraries) sim::require_mappable(kernels.front(), library);

  // Delays from an SDF: for one netlist, so for one kernel on one library.
  if (!r.sdf.empty() && (kernels.size() != 1 || libraries.size() != 1 || !r.activity.timed))
    throw Error(fmt::format("--sdf {}: an SDF describes one netlist: give one kernel (--kinds, --K), one --lib and a "
                            "timed --activity",
                            r.sdf));

  // Netlists and models side by side first; the loop below then finds them cached.
  std::vector<sim::KernelBuild> builds;
  for (const tech::Library& library : libraries)
    for (const KernelParams& p : kernels) builds.push_back({p, &library});
  sim::build_kernel_models(builds, context.cache_dir, context.tools, r.by_block);

  KernelsResult out;
  std::vector<std::string> layout_failures;
  const std::size_t total = kernels.size() * libraries.size();
  for (const tech::Library& library : libraries)
    for (std::size_t i = 0; i < kernels.size(); ++i) {
      const KernelParams& p = kernels[i];
      context.say(fmt::format("kernels: [{}/{}] {} on {}\n", out.rows.size() + 1, total, p.describe(), library.name));
      out.rows.push_back(
          {library.name, sim::characterise_kernel(p, library, per_kernel[i], context.cache_dir, {}), {}, {}});
      if (r.layout) {
        sim::CostOptions wired = per_kernel[i];
        wired.layout = r.layout_options;
        try {
          out.rows.back().post_layout = sim::characterise_kernel(p, library, wired, context.cache_dir, context.tools);
        } catch (const Error& e) {  // a layout that fails (routing left nets unrouted) costs that row only
          layout_failures.push_back(fmt::format("{} on {}: {}", p.describe(), library.name, base::first_line(e.what())));
          context.say(fmt::format("kernels: {}\n", layout_failures.back()));
        }
      }
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
      "at the same K and micro-architecture, or, where mac was not built so, against mac's default (" +
          std::string(models::to_string(models::default_arch(kernels::baseline_kind()))) +
          ") (greater than 1: cheaper than mac).",
      "Command: " + context.command_line};
  if ((!r.sdf.empty() || !r.specify.empty()) && !out.rows.empty()) {
    std::size_t fallen_back = 0;
    for (const auto& row : out.rows) fallen_back += row.cost.arcs_fallen_back;
    table.notes.insert(table.notes.end() - 1,
                       fmt::format("{} {}: {} timing arcs it does not give took Liberty's delays{}.",
                                   r.sdf.empty() ? "Specify blocks of" : "SDF", r.sdf.empty() ? r.specify : r.sdf,
                                   fallen_back, r.allow_partial ? " (--allow-partial)" : ""));
  }
  std::string too_slow;
  for (const auto& row : out.rows) {
    const sim::KernelCost& c = row.cost;
    if (c.timing.fmax() < r.frequency)
      too_slow += fmt::format("{}{} K={} {}{} ({:.4g} MHz)", too_slow.empty() ? "" : ", ",
                              models::to_string(c.params.kind), c.params.K, models::to_string(c.params.arch),
                              libraries.size() > 1 ? " on " + row.lib : "", c.timing.fmax() / 1e6);
  }
  std::vector<KernelKind> priced;
  for (const auto& row : out.rows) priced.push_back(row.cost.params.kind);
  if (auto note = kernels::packages_note(priced); !note.empty()) table.notes.insert(table.notes.end() - 1, note);
  if (r.layout) {
    out.layout = kernel_layout_table(out.rows);
    const std::string qflow_version = base::first_line(base::tool_version("qflow", "qflow", "-v"));
    const std::string density = r.layout_options.density ? fmt::format(" spread to density {:g}", *r.layout_options.density) : "";
    const std::string aspect = r.layout_options.aspect_ratio ? fmt::format(", aspect ratio {:g}", *r.layout_options.aspect_ratio) : "";
    out.layout.notes = {
        fmt::format("Layout as qflow does it ({}): graywolf places{}{}, qrouter routes; the wires' R and C are "
                    "qrouter's RC trees (each layer's sheet resistance, area and edge capacitance from the "
                    "technology's LEF; no coupling between wires), written as SPEF against the netlist's names. Core "
                    "area: the routed DEF's die area; utilisation = cell area / core area.",
                    qflow_version,
                    density, aspect),
        "Post-layout: power with each net's wire capacitance in its load (switching and the internal-power lookups), "
        "activity replayed with NLDM delays at those loads and each wire's Elmore delay to its pins; f_max from "
        "OpenSTA reading the same SPEF. Wire cap share: the wires' part of all the nets' capacitance.",
        "Savings are mac / kernel: pre-layout of power and cell area, post-layout of power with wires and core area. "
        "Layout time: the place-and-route step when it was first run (cached: reused, not rerun).",
        table.notes.back()};
    for (const std::string& failure : layout_failures)
      out.layout.notes.insert(out.layout.notes.end() - 1, "Layout failed, row left out: " + failure);
  }
  if (r.by_block) {
    out.blocks = kernel_block_table(out.rows);
    out.blocks.notes.push_back(table.notes.back());  // the command
    table.notes.insert(table.notes.end() - 1,
                       "By block (--by-block): every kernel was synthesised keeping its hierarchy, so these totals "
                       "differ from the flat default's by what abc gains across module boundaries.");
  }
  if (!too_slow.empty())
    table.notes.insert(table.notes.end() - 1,
                       fmt::format("Warning: f_max below the {} MHz clock for {}: their power is priced at a clock they "
                                   "cannot meet (pipeline them or give a lower --freq).",
                                   r.frequency / 1e6, too_slow));
  return out;
}

}  // namespace neuroppa::app
