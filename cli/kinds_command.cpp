// neuroppa kinds: options of app::kinds_table.
#include <fmt/format.h>

#include "commands.hpp"
#include "neuroppa/app/kinds.hpp"
#include "neuroppa/kernels/package.hpp"

namespace neuroppa::cli {
namespace {

struct KindsOptions {
  std::string kernel_path, format = "md";
};

int run_kinds(const KindsOptions& o) {
  const reports::Format format = reports::parse_format(o.format);
  fmt::print("{}", reports::write(app::kinds_table(kernels::kernel_search_path(o.kernel_path)), format));
  return 0;
}

}  // namespace

void add_kernel_path_option(CLI::App& cmd, std::string& folders) {
  cmd.add_option("--kernel-path", folders,
                 "Kernel package folders, comma-separated, after those of $NEUROPPA_KERNEL_PATH (a folder holding "
                 "kernel.toml, or one whose sub-folders do); their kinds join --kinds");
}

void load_kernel_packages(const std::string& folders, const GlobalOptions& global) {
  const app::Context context = global.context("  ");
  kernels::register_packages(kernels::assemble_catalogue(kernels::kernel_search_path(folders)), context.cache_dir,
                             context.tools);
}

Runner add_kinds_command(CLI::App& app, const GlobalOptions&) {
  auto o = std::make_shared<KindsOptions>();
  CLI::App* cmd = app.add_subcommand(
      "kinds", "List every kernel kind: the built-ins and the kernel packages on the kernel path, each checked.");
  add_kernel_path_option(*cmd, o->kernel_path);
  cmd->add_option("--format", o->format, "md, csv, json or tex")->capture_default_str();
  return [o] { return run_kinds(*o); };
}

}  // namespace neuroppa::cli
