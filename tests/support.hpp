// Helpers shared by the tests.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "neuroppa/tech/liberty.hpp"

namespace neuroppa::test {

// The model cache the tests share: NEUROPPA_CACHE_DIR or the user's default,
// so repeated test runs reuse the Verilated models (keyed by content hash).
std::filesystem::path model_cache_dir();

// The source tree (examples/, rtl/ ...).
std::filesystem::path source_dir();

// The reference data folder (libraries, designs): NEUROPPA_SHARED_DIR, else
// ../shared beside the source tree. Tests that need it are in the doctest
// suite "shared"; ctest runs that suite as its own test, which reports
// itself skipped (exit 77) with the reason when the folder is absent.
std::filesystem::path shared_dir();

// osu018 read once per test run (the tech tests' library of hand-built netlists).
const tech::Library& osu018();
// The Debian OSU library of a node ("osu018", "osu035", "osu050").
std::filesystem::path osu_library(const std::string& node);

// Writes text to a new file in a temporary folder and returns its path.
std::filesystem::path write_temp_file(const std::string& name, const std::string& text);

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
