// neuroppa kinds: options of app::kinds_table.
#include <cstdio>
#include <fmt/format.h>

#include "commands.hpp"
#include "neuroppa/app/kinds.hpp"
#include "neuroppa/base/error.hpp"
#include "neuroppa/kernels/catalogue.hpp"
#include "neuroppa/kernels/package.hpp"

namespace neuroppa::cli {
namespace {

struct KindsOptions {
  std::string kernel_path, format = "md";
  bool check = false;
};

int run_kinds(const KindsOptions& o, const GlobalOptions& global) {
  const reports::Format format = reports::parse_format(o.format);
  const auto search_path = kernels::kernel_search_path(o.kernel_path);
  fmt::print("{}", reports::write(app::kinds_table(search_path), format));
  if (!o.check) return 0;
  std::fflush(stdout);
  std::size_t failed = 0;
  const std::vector<app::PackageCheck> checks = app::check_packages(search_path, global.context("  ").cache_dir);
  for (const app::PackageCheck& c : checks) {
    failed += !c.fault.empty();
    fmt::print(stderr, "{}: {}\n", c.package, c.fault.empty() ? "checked: golden model, padding rule, port contract" : c.fault);
  }
  if (failed) throw Error(fmt::format("{} of {} kernel packages failed their checks", failed, checks.size()));
  return 0;
}

}  // namespace

void add_kernel_path_option(CLI::App& cmd, std::string& folders) {
  cmd.add_option("--kernel-path", folders,
                 "Kernel package folders, comma-separated, after those of $NEUROPPA_KERNEL_PATH (a folder holding "
                 "kernel.toml, or one whose sub-folders do); their kinds join --kinds");
}

void add_param_option(CLI::App& cmd, std::string& values) {
  cmd.add_option("--param", values,
                 "A kernel package's own parameters, NAME=VALUE[,NAME=VALUE] (neuroppa kinds lists them); each kernel "
                 "takes those its package has, the others keep their defaults");
}

void load_kernel_packages(const std::string& folders, const GlobalOptions& global) {
  const app::Context context = global.context("  ");
  kernels::register_packages(kernels::assemble_catalogue(kernels::kernel_search_path(folders)), context.cache_dir,
                             context.tools);
}

models::KernelKind parse_kind_option(const std::string& name) {
  const auto kind = models::parse_kernel_kind(name);
  if (!kind)
    throw Error(fmt::format("--kind {}: unknown kind; choose {}, or a kernel package's name with --kernel-path DIR",
                            name, kernels::kind_names()));
  return *kind;
}

Runner add_kinds_command(CLI::App& app, const GlobalOptions& global) {
  auto o = std::make_shared<KindsOptions>();
  CLI::App* cmd = app.add_subcommand(
      "kinds", "List every kernel kind: the built-ins and the kernel packages on the kernel path, each checked.");
  add_kernel_path_option(*cmd, o->kernel_path);
  cmd->add_option("--format", o->format, "md, csv, json or tex")->capture_default_str();
  cmd->add_flag("--check", o->check,
                "Also check each package as a command that uses it would: compile and load its golden model, the "
                "padding rule, the synapse port contract (yosys); one line each on stderr, exit 2 if one fails");
  return [o, &global] { return run_kinds(*o, global); };
}

}  // namespace neuroppa::cli
