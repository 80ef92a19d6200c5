// neuroppa verify: options of app::verify.
#include <cstdio>
#include <fmt/format.h>

#include "commands.hpp"
#include "neuroppa/app/verify.hpp"
#include "neuroppa/kernels/catalogue.hpp"
#include "neuroppa/kernels/package.hpp"
#include "options.hpp"

namespace neuroppa::cli {
namespace {

struct VerifyOptions {
  std::string kinds = "all";
  std::string kernel_path;
  std::string arch = "default";
  std::string reset = "async";
  app::VerifyRequest request;
  std::optional<unsigned> WW;
  std::string level = "rtl";
  std::string params;
};

int run_verify(VerifyOptions o, const GlobalOptions& global) {
  load_kernel_packages(o.kernel_path, global);
  o.request.kinds = kernels::parse_kinds(o.kinds, "--kinds");
  o.request.own_parameters = kernels::parse_own_parameters(o.params, o.request.kinds, "--param");
  kernels::prepare_kinds(o.request.kinds);
  o.request.archs = kernels::parse_archs(o.arch, "--arch");
  o.request.reset = kernels::parse_reset(o.reset, "--reset");
  o.request.WW = o.WW;
  o.request.gate_level = o.level == "gate";
  const app::Context context = global.context();
  const app::VerifyResult result = app::verify(
      o.request, context,
      [](const app::KernelVerification& v) {
        fmt::print("{}", v.describe());
        std::fflush(stdout);
      },
      [&](const models::KernelParams& params, std::uint64_t done, std::uint64_t total) {
        if (!global.quiet) fmt::print(stderr, "  {}: {} / {} beats\r", params.describe(), done, total);
      });
  fmt::print("{}", result.summary());
  return result.failed() ? 1 : 0;
}

}  // namespace

Runner add_verify_command(CLI::App& app, const GlobalOptions& global) {
  auto o = std::make_shared<VerifyOptions>();
  CLI::App* cmd = app.add_subcommand(
      "verify", "Regress the kernels (RTL, or with --level gate their synthesised netlists) against the C++ golden "
                "models, cycle by cycle, on random and corner-case beats. Exit status 1 on any mismatch.");
  cmd->add_option("--kinds", o->kinds,
                  "Comma-separated kernels (" + kernels::kind_names() + ", or a kernel package's name) or all")
      ->capture_default_str();
  add_kernel_path_option(*cmd, o->kernel_path);
  add_param_option(*cmd, o->params);
  cmd->add_option("--arch", o->arch,
                  "Comma-separated micro-architectures (" + kernels::arch_names() + "), all, or default (" +
                      kernels::default_archs() + "); a kernel without the arch is left out")
      ->capture_default_str();
  cmd->add_option("--pipeline", o->request.pipeline,
                  "0, or 1: a register between the synapse datapath and the accumulator (shorter critical path, "
                  "one cycle more latency, which the golden model adds too)")
      ->type_name("UINT:0..1")
      ->capture_default_str();
  cmd->add_option("--reset", o->reset, "async or sync: how rst_ni clears every register")->capture_default_str();
  // K, XW, WW and AW are checked together by models::validate (AW must also
  // hold K extreme terms), which names the need; the help gives each range.
  cmd->add_option("--K", o->request.K, "Synapses per beat")->type_name("UINT:1..1024")->capture_default_str();
  cmd->add_option("--XW", o->request.XW,
                  "Activation bits (default: each kind's own, 8; sigma-delta's graded spikes 4, it takes 2..8; "
                  "threshold: 1..15; spike: unused)")
      ->type_name("UINT:1..16");
  cmd->add_option("--WW", o->WW,
                  "Weight-code bits (default: 8 for mac and spike, 4 for shift, which takes 2..6; threshold codes are "
                  "XW+1 bits)")
      ->type_name("UINT:1..16");
  cmd->add_option("--AW", o->request.AW, "Accumulator bits (at least what K terms need)")
      ->type_name("UINT:2..64")
      ->capture_default_str();
  cmd->add_option("--beats", o->request.beats, "Valid beats per kernel")
      ->check(whole_number("--beats") & in_range("--beats", 1, 1e9))
      ->type_name("UINT:1..1e9")
      ->capture_default_str();
  cmd->add_option("--seed", o->request.seed, "Stimulus seed")->check(whole_number("--seed"))->capture_default_str();
  cmd->add_option("--level", o->level, "rtl, or gate: the netlist synthesised onto --lib")
      ->check(one_of("--level", {"rtl", "gate"}))
      ->capture_default_str();
  cmd->add_option("--lib", o->request.lib, "Library for --level gate: osu018, osu035, osu050 or a Liberty file")
      ->capture_default_str();
  retire_option(*cmd, "--kernel", "--kinds");
  return [o, &global] { return run_verify(*o, global); };
}

}  // namespace neuroppa::cli
