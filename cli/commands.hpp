// The neuroppa subcommands. Each registers its options on the CLI11 app and
// returns a runner that turns the parsed options into an app/ request, calls
// it and prints the result; main() only parses and dispatches.
#pragma once

#include <CLI/CLI.hpp>

#include <filesystem>
#include <functional>

#include "neuroppa/app/context.hpp"
#include "neuroppa/models/kernel.hpp"

namespace neuroppa::cli {

struct GlobalOptions {
  std::filesystem::path cache_dir;  // empty: app::resolve_cache_dir decides
  bool quiet = false;               // no progress lines
  std::string command_line;         // as typed, for reports

  // The app context: status lines as they are, tool progress indented by
  // `tool_indent` (both on stderr; nothing with --quiet).
  app::Context context(const std::string& tool_indent = "") const;
};

using Runner = std::function<int()>;

Runner add_verify_command(CLI::App& app, const GlobalOptions& global);
Runner add_kernels_command(CLI::App& app, const GlobalOptions& global);
Runner add_power_command(CLI::App& app, const GlobalOptions& global);
Runner add_train_command(CLI::App& app, const GlobalOptions& global);
Runner add_import_command(CLI::App& app, const GlobalOptions& global);
Runner add_run_command(CLI::App& app, const GlobalOptions& global);
Runner add_paper_command(CLI::App& app, const GlobalOptions& global);
Runner add_sweep_command(CLI::App& app, const GlobalOptions& global);
Runner add_kinds_command(CLI::App& app, const GlobalOptions& global);

// --kernel-path on a command that takes kinds, into `folders`.
void add_kernel_path_option(CLI::App& cmd, std::string& folders);
// --param NAME=VALUE[,...]: a package's own parameters (kernels::parse_own_parameters).
void add_param_option(CLI::App& cmd, std::string& values);
// The catalogue for a command: built-ins, NEUROPPA_KERNEL_PATH, then `folders`
// (--kernel-path), each package registered as a kind.
void load_kernel_packages(const std::string& folders, const GlobalOptions& global);
// --kind NAME (after load_kernel_packages: a package's name is a kind); one line naming the choices if
// it is none.
models::KernelKind parse_kind_option(const std::string& name);

// Writes `text` to stdout, or to `file` if one is given.
void emit(const std::string& text, const std::string& file);

}  // namespace neuroppa::cli
