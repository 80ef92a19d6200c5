// neuroppa kernels: options of app::characterise_kernels.
#include <fmt/format.h>

#include "commands.hpp"
#include "neuroppa/app/kernels.hpp"
#include "neuroppa/app/macro.hpp"
#include "neuroppa/models/dataset.hpp"
#include "neuroppa/reports/plot.hpp"
#include "neuroppa/base/error.hpp"
#include "neuroppa/base/file.hpp"
#include "neuroppa/kernels/catalogue.hpp"
#include "neuroppa/kernels/package.hpp"
#include "options.hpp"

namespace neuroppa::cli {
namespace {

struct KernelsOptions {
  app::KernelsRequest request;
  std::string lib = "osu018";
  std::string kinds = "all";
  std::string kernel_path;
  std::string K = "9";
  std::string arch = "default";
  std::string reset = "async";
  std::string freq = "50MHz";
  std::string format = "md";
  std::string out;
  std::string activity = "timed";
  std::string params;
  bool macro = false;
  bool K_given = false;
  std::string plot;
  double layout_density = 0;  // 0: graywolf's own packing
  double layout_aspect = 0;   // 0: the technology's
};

// kernels --macro: the macro-models of the bundled models' kernels.
int run_macro_report(const KernelsOptions& o, const GlobalOptions& global) {
  const reports::Format format = reports::parse_format(o.format);
  if (!o.out.empty()) base::check_writable_file(o.out, "--out");
  if (!o.plot.empty()) base::check_writable_file(o.plot, "--plot");
  const std::vector<unsigned> Ks = o.K_given ? parse_unsigned_list(o.K, "--K") : std::vector<unsigned>{16};
  const std::vector<models::KernelKind> kinds = o.kinds == "all" ? std::vector<models::KernelKind>{} : o.request.kinds;
  const app::Context context = global.context("  ");
  std::vector<std::shared_ptr<const sim::MacroModel>> models;
  for (const std::string& lib : split_list(o.lib)) {
    const tech::Library library = app::read_library(lib, context);
    for (unsigned K : Ks) {
      auto some = app::bundled_macro_models(library, K, kinds, context, models::kFashionMnistDir);
      models.insert(models.end(), some.begin(), some.end());
    }
  }
  emit(reports::write(app::macro_validation_table(models), format), o.out);
  if (!o.plot.empty()) base::write_file(o.plot, reports::write_svg(app::macro_error_chart(models)));
  return 0;
}

int run_kernels(KernelsOptions o, const GlobalOptions& global) {
  load_kernel_packages(o.kernel_path, global);
  o.request.kinds = kernels::parse_kinds(o.kinds, "--kinds");
  if (o.macro) return run_macro_report(o, global);
  o.request.own_parameters = kernels::parse_own_parameters(o.params, o.request.kinds, "--param");
  kernels::prepare_kinds(o.request.kinds);
  o.request.Ks = parse_unsigned_list(o.K, "--K");
  o.request.archs = kernels::parse_archs(o.arch, "--arch");
  o.request.reset = kernels::parse_reset(o.reset, "--reset");
  o.request.frequency = parse_frequency(o.freq);
  o.request.libs = split_list(o.lib);
  o.request.activity = tech::parse_activity_mode(o.activity);
  if ((o.layout_density > 0 || o.layout_aspect > 0) && !o.request.layout)
    throw neuroppa::Error("--layout-density and --layout-aspect shape the layout: give --layout too");
  if (o.layout_density > 0) o.request.layout_options.density = o.layout_density;
  if (o.layout_aspect > 0) o.request.layout_options.aspect_ratio = o.layout_aspect;
  const reports::Format format = reports::parse_format(o.format);
  if (!o.out.empty()) base::check_writable_file(o.out, "--out");  // before the first (long) build
  const app::KernelsResult result = app::characterise_kernels(o.request, global.context("  "));
  std::vector<reports::Table> tables = {result.table};
  if (o.request.layout) tables.push_back(result.layout);
  if (o.request.by_block) tables.push_back(result.blocks);
  emit(tables.size() == 1 ? reports::write(result.table, format) : reports::write(tables, format), o.out);
  return 0;
}

}  // namespace

Runner add_kernels_command(CLI::App& app, const GlobalOptions& global) {
  auto o = std::make_shared<KernelsOptions>();
  app::KernelsRequest& r = o->request;
  CLI::App* cmd = app.add_subcommand(
      "kernels", "Price each kernel on a standard-cell library: cells, area, f_max, power and energy per synapse "
                 "operation from gate-level simulation, and savings against mac.");
  cmd->add_option("--lib", o->lib,
                  "Comma-separated libraries: osu018, osu035, osu050 or Liberty files (.lib or .lib.gz)")
      ->capture_default_str();
  cmd->add_option("--kinds", o->kinds,
                  "Comma-separated kernels (" + kernels::kind_names() + ", or a kernel package's name) or all")
      ->capture_default_str();
  add_kernel_path_option(*cmd, o->kernel_path);
  add_param_option(*cmd, o->params);
  cmd->add_option("--K", o->K, "Comma-separated synapses per beat, each 1..1024 (--macro: default 16, the platform's)")
      ->each([o](const std::string&) { o->K_given = true; })
      ->capture_default_str();
  cmd->add_option("--arch", o->arch,
                  "Comma-separated micro-architectures (" + kernels::arch_names() +
                      "), all, or default (" + kernels::default_archs() +
                      "): how the K terms are added (chain: serial AW-bit adders; tree: balanced adder tree of "
                      "minimal widths; csa: carry-save compression and one adder; booth-csa, mac only: radix-4 Booth "
                      "partial products compressed as in csa; all but chain isolate the output stage). A kernel "
                      "without the arch is left out")
      ->capture_default_str();
  cmd->add_option("--pipeline", r.pipeline,
                  "0, or 1: a register between the synapse datapath and the accumulator (shorter critical path, "
                  "one cycle more latency, which the golden model adds too)")
      ->type_name("UINT:0..1")
      ->capture_default_str();
  cmd->add_option("--reset", o->reset,
                  "async or sync: how rst_ni clears every register (sync: for libraries whose flops have no reset "
                  "pin, such as ASAP7)")
      ->capture_default_str();
  cmd->add_option("--XW", r.XW,
                  "Activation bits (default: each kind's own, 8; sigma-delta's graded spikes 4, it takes 2..8; "
                  "threshold: 1..15, its codes are XW+1 bits)")
      ->type_name("UINT:1..16");
  cmd->add_option("--AW", r.AW, "Accumulator bits (at least what K terms need)")->type_name("UINT:2..64")->capture_default_str();
  cmd->add_option("--freq", o->freq, "Clock frequency power is priced at")->capture_default_str();
  cmd->add_option("--beats", r.beats, "Beats simulated at gate level per kernel")
      ->check(whole_number("--beats") & in_range("--beats", 1, 1e8))
      ->type_name("UINT:1..1e8")
      ->capture_default_str();
  cmd->add_option("--sparsity", r.sparsity, "Fraction of zero activations")
      ->check(in_range("--sparsity", 0, 1))
      ->capture_default_str();
  cmd->add_option("--beats-per-output", r.beats_per_output, "Beats from first to last")
      ->check(whole_number("--beats-per-output") & in_range("--beats-per-output", 1, 1e6))
      ->capture_default_str();
  cmd->add_option("--activations", r.activations, "File of activation values to sample (integers)");
  cmd->add_option("--weights", r.weights, "File of weight codes to sample (integers)");
  cmd->add_option("--seed", r.seed, "Operand seed")->check(whole_number("--seed"))->capture_default_str();
  cmd->add_option("--format", o->format, "md, csv, json or tex")->capture_default_str();
  cmd->add_option("--out", o->out, "Write the table to this file instead of stdout");
  cmd->add_option("--activity", o->activity,
                  "zero-delay, timed (every cycle replayed with gate delays: glitches count) or timed:F (a fraction F "
                  "of cycles, with a 95% interval)")
      ->capture_default_str();
  cmd->add_option("--sdf", r.sdf, "Gate delays from this SDF (IOPATH) instead of Liberty; one kernel and library");
  cmd->add_option("--specify", r.specify,
                  "Gate delays from the specify blocks of this Verilog cell library (the vendor's models, e.g. "
                  "osu018_stdcells.v; what Icarus -gspecify uses) instead of Liberty NLDM; one --lib, timed activity");
  cmd->add_flag("--allow-partial", r.allow_partial, "With --sdf or --specify: arcs they lack take Liberty delays");
  cmd->add_flag("--by-block", r.by_block,
                "Also a table of area and power by block (synapses, adders, accumulator, output stage, output "
                "register, control), from netlists synthesised keeping the hierarchy");
  cmd->add_flag("--layout", r.layout,
                "Also place and route each kernel as qflow does (graywolf, qrouter; OSU libraries), extract its wires "
                "(qrouter's RC as SPEF, cached) and price it again with them: a second table of pre- and post-layout "
                "area, f_max, power and savings");
  cmd->add_option("--layout-density", o->layout_density,
                  "With --layout: spread the cells to this density (qflow's initial_density; default: graywolf "
                  "packs them)")
      ->check(in_range("--layout-density", 0.1, 1));
  cmd->add_option("--layout-aspect", o->layout_aspect,
                  "With --layout: core height / width (default: the technology's, 0.75 on OSU)")
      ->check(in_range("--layout-aspect", 0.2, 5));
  cmd->add_flag("--macro", o->macro,
                "Instead of the cost table: the power macro-models `run --level macro` prices lanes with, for the "
                "kernels the bundled models use (--kinds, --K, --lib choose), each characterised or cached, with its "
                "validation error against timed gate level on held-out images and the features carrying its energy");
  cmd->add_option("--plot", o->plot, "With --macro: also an SVG of the validation errors");
  retire_option(*cmd, "--libs", "--lib");
  return [o, &global] { return run_kernels(*o, global); };
}

}  // namespace neuroppa::cli
