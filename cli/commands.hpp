// The neuroppa subcommands. Each registers its options on the CLI11 app and
// returns a runner; main() only parses and dispatches.
#pragma once

#include <CLI/CLI.hpp>

#include <filesystem>
#include <functional>

namespace neuroppa::cli {

struct GlobalOptions {
  std::filesystem::path cache_dir;  // empty: tech::default_cache_dir()
  bool quiet = false;               // no progress lines
  std::string command_line;         // as typed, for reports
};

using Runner = std::function<int()>;

Runner add_verify_command(CLI::App& app, const GlobalOptions& global);
Runner add_kernels_command(CLI::App& app, const GlobalOptions& global);
Runner add_power_command(CLI::App& app, const GlobalOptions& global);
Runner add_train_command(CLI::App& app, const GlobalOptions& global);
Runner add_run_command(CLI::App& app, const GlobalOptions& global);
Runner add_paper_command(CLI::App& app, const GlobalOptions& global);

}  // namespace neuroppa::cli
