#include "neuroppa/app/context.hpp"

#include <fmt/format.h>

#include "neuroppa/vmodel/model_build.hpp"
#include "neuroppa_version.hpp"

namespace neuroppa::app {

std::string version_string() { return "neuroppa " NEUROPPA_VERSION; }

std::filesystem::path resolve_cache_dir(const std::filesystem::path& given) {
  return given.empty() ? vmodel::default_cache_dir() : given;
}

tech::Library read_library(const std::string& name_or_path, const Context& context) {
  tech::Library library = tech::read_liberty(tech::resolve_library(name_or_path));
  const std::size_t n = library.warnings.size();
  for (std::size_t i = 0; i < n && i < kMaxLibertyWarnings; ++i) context.warn(library.warnings[i]);
  if (n > kMaxLibertyWarnings)
    context.warn(fmt::format("{}: {} more warnings like these", library.path.string(), n - kMaxLibertyWarnings));
  return library;
}

}  // namespace neuroppa::app
