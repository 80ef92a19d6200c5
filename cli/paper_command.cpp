// neuroppa paper: options of app::write_paper.
#include <fmt/format.h>

#include "commands.hpp"
#include "neuroppa/app/paper.hpp"
#include "neuroppa/kernels/catalogue.hpp"
#include "options.hpp"

namespace neuroppa::cli {
namespace {

struct PaperOptions {
  app::PaperRequest request;
  std::string out = "paper";
  std::string lib = "osu018,osu035";
  std::string K = "9,25,49";
  std::string models;
  std::string kinds, kernel_path;
  std::string kernel_freq = "25MHz";
  std::string freq = "50MHz";
  std::string activity = "timed", network_activity = "timed:0.05";
};

int run_paper(PaperOptions o, const GlobalOptions& global) {
  app::PaperRequest& r = o.request;
  load_kernel_packages(o.kernel_path, global);
  if (!o.kinds.empty()) r.kinds = kernels::parse_kinds(o.kinds, "--kinds");
  r.out = o.out;
  r.libs = split_list(o.lib);
  r.Ks = parse_unsigned_list(o.K, "--K");
  r.models = split_list(o.models);
  r.kernel_frequency = parse_frequency(o.kernel_freq, "--kernel-freq");
  r.frequency = parse_frequency(o.freq);
  r.activity = tech::parse_activity_mode(o.activity);
  r.network_activity = tech::parse_activity_mode(o.network_activity, "--network-activity");
  app::write_paper(r, global.context("  "));
  fmt::print("wrote {}: t1_kernels, t2_networks, t3a_energy_by_cell_group, t3b_energy_by_layer, t3c_memories (.md .csv .json "
             ".tex), energy_vs_accuracy.svg, kernel_power.svg, kernel_area.svg, energy_breakdown.svg\n",
             o.out);
  return 0;
}

}  // namespace

Runner add_paper_command(CLI::App& app, const GlobalOptions& global) {
  auto o = std::make_shared<PaperOptions>();
  app::PaperRequest& r = o->request;
  CLI::App* cmd = app.add_subcommand("paper", "Write the paper's tables (T1-T3) in md/csv/json/tex and its SVG plots");
  cmd->add_option("--out", o->out, "Folder to write")->capture_default_str();
  cmd->add_option("--lib", o->lib, "Comma-separated cell libraries for T1 (the first also prices T2/T3)")
      ->capture_default_str();
  cmd->add_option("--K", o->K, "Kernel widths for T1")->capture_default_str();
  cmd->add_option("--kinds", o->kinds,
                  "T1's kernels, comma-separated (a kernel package's name too), or all; mac, the baseline, is always "
                  "priced (default: the built-ins)");
  add_kernel_path_option(*cmd, o->kernel_path);
  cmd->add_option("--models", o->models,
                  "Models for T2/T3, comma-separated: bundled names or model files (a package kind's with "
                  "--kernel-path; each is compared with the mac model of its family, e.g. mlp) (default: every "
                  "bundled model)");
  cmd->add_option("--images", r.images,
                  "Test images per model for T2/T3, at macro level (RTL lanes priced by macro-models)")
      ->check(in_range("--images", 1, 10000))
      ->capture_default_str();
  cmd->add_option("--check-images", r.check_images,
                  "T2's check: the first of the images also at gate level (--network-activity), the lanes' energy "
                  "beside the macro-model's")
      ->check(in_range("--check-images", 1, 10000))
      ->capture_default_str();
  cmd->add_option("--kernel-freq", o->kernel_freq, "Clock T1 prices the kernels at")->capture_default_str();
  cmd->add_option("--freq", o->freq, "Platform clock for T2/T3")->capture_default_str();
  cmd->add_option("--beats", r.beats, "T1: beats of seeded operands per kernel")->check(whole_number("--beats"))->capture_default_str();
  cmd->add_flag("--layout", r.layout,
                "T1: also place and route each kernel (qflow: graywolf, qrouter; the OSU libraries) and price it with "
                "its extracted wires: post-layout power, core area and savings beside the pre-layout ones");
  cmd->add_option("--seed", r.seed, "T1: operand seed")->check(whole_number("--seed"))->capture_default_str();
  cmd->add_option("--lanes", r.lanes, "T2: kernel lanes per kind")->check(in_range("--lanes", 1, 4096))->capture_default_str();
  cmd->add_option("--net-K", r.net_K, "T2/T3: synapses per lane (K of the networks' kernels)")
      ->check(whole_number("--net-K") & in_range("--net-K", 1, 1024))
      ->capture_default_str();
  cmd->add_option("--activity", o->activity, "T1: zero-delay, timed or timed:F (see kernels --activity)")
      ->capture_default_str();
  cmd->add_option("--network-activity", o->network_activity, "T2's gate-level check: zero-delay, timed or timed:F")
      ->capture_default_str();
  retire_option(*cmd, "--libs", "--lib");
  return [o, &global] { return run_paper(*o, global); };
}

}  // namespace neuroppa::cli
