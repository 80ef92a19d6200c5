// Running external tools (verilator, the C++ compiler, yosys, sta, iverilog).
#pragma once

#include <filesystem>
#include <string>
#include <vector>

namespace neuroppa::base {

// Absolute path of `tool` on PATH; throws neuroppa::Error naming the tool and
// the Debian package that provides it when it is missing.
std::filesystem::path require_tool(const std::string& tool, const std::string& debian_package);

// Runs argv[0] (looked up on PATH) with stdout and stderr appended to `log`,
// in `cwd`. Returns the exit status (128 + signal if it was killed).
int run_logged(const std::vector<std::string>& argv, const std::filesystem::path& log,
               const std::filesystem::path& cwd);

struct ProcessResult {
  int status = -1;  // exit status, 128 + signal if it was killed
  std::string out;  // what it printed on stdout
  std::string err;  // and on stderr
};
// Runs argv (looked up on PATH) with no standard input and collects its
// output; throws neuroppa::Error only if it cannot be started.
ProcessResult run_captured(const std::vector<std::string>& argv);
// The same, run in `cwd`.
ProcessResult run_captured(const std::vector<std::string>& argv, const std::filesystem::path& cwd);

// Runs argv and returns what it printed on stdout; throws neuroppa::Error on
// a non-zero exit.
std::string capture_output(const std::vector<std::string>& argv);

// What `tool flag` prints (e.g. yosys -V), asked once a process (cache keys
// carry it); require_tool's error when the tool is missing.
const std::string& tool_version(const std::string& tool, const std::string& debian_package, const std::string& flag);

// The last `lines` lines of a text file (for error messages that point at a log).
std::string tail_of_file(const std::filesystem::path& file, int lines);

}  // namespace neuroppa::base
