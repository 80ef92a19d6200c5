// Helpers shared by the tests.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

namespace neuroppa::test {

// The model cache the tests share: NEUROPPA_CACHE_DIR or the user's default,
// so repeated test runs reuse the Verilated models (keyed by content hash).
std::filesystem::path model_cache_dir();

// A fresh, empty temporary folder, removed at the end of the test run.
std::filesystem::path temp_dir(const std::string& tag);

struct CommandResult {
  int status = -1;
  std::string out;  // stdout
  std::string err;  // stderr
};
// Runs a command (argv[0] on PATH or a path) with no standard input.
CommandResult run_command(const std::vector<std::string>& argv);

}  // namespace neuroppa::test
