// What every command's function needs besides its own request: where built
// models live, where progress goes, and the command line for provenance.
#pragma once

#include <filesystem>
#include <string>

#include "neuroppa/base/progress.hpp"
#include "neuroppa/tech/liberty.hpp"

namespace neuroppa::app {

struct Context {
  std::filesystem::path cache_dir;  // built models and synthesis results
  std::string command_line;         // as typed, for reports ("neuroppa kernels --K 9")
  ProgressFn status;                // the command's own progress lines (may be empty)
  ProgressFn tools;                 // progress of tool runs it starts: builds, synthesis (may be empty)
  ProgressFn warning;               // one line about dubious input, printed even when quiet (may be empty)

  void say(std::string_view text) const {
    if (status) status(text);
  }
  void warn(std::string_view text) const {
    if (warning) warning(text);
  }
};

// Reads the Liberty library a command names ("osu018" or a file) and passes
// what OpenSTA would warn about to `context.warn`, at most kMaxLibertyWarnings
// lines and a count of the rest.
tech::Library read_library(const std::string& name_or_path, const Context& context);
inline constexpr std::size_t kMaxLibertyWarnings = 10;

// "neuroppa 0.1.0"
std::string version_string();

// The folder of built models: `given`, else $NEUROPPA_CACHE_DIR, else
// $XDG_CACHE_HOME/neuroppa, else ~/.cache/neuroppa.
std::filesystem::path resolve_cache_dir(const std::filesystem::path& given);

}  // namespace neuroppa::app
