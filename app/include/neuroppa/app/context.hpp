// What every command's function needs besides its own request: where built
// models live, where progress goes, and the command line for provenance.
#pragma once

#include <filesystem>
#include <string>

#include "neuroppa/base/progress.hpp"

namespace neuroppa::app {

struct Context {
  std::filesystem::path cache_dir;  // built models and synthesis results
  std::string command_line;         // as typed, for reports ("neuroppa kernels --K 9")
  ProgressFn status;                // the command's own progress lines (may be empty)
  ProgressFn tools;                 // progress of tool runs it starts: builds, synthesis (may be empty)

  void say(std::string_view text) const {
    if (status) status(text);
  }
};

// "neuroppa 0.1.0"
std::string version_string();

// The folder of built models: `given`, else $NEUROPPA_CACHE_DIR, else
// $XDG_CACHE_HOME/neuroppa, else ~/.cache/neuroppa.
std::filesystem::path resolve_cache_dir(const std::filesystem::path& given);

}  // namespace neuroppa::app
