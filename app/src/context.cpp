#include "neuroppa/app/context.hpp"

#include "neuroppa/vmodel/model_build.hpp"
#include "neuroppa_version.hpp"

namespace neuroppa::app {

std::string version_string() { return "neuroppa " NEUROPPA_VERSION; }

std::filesystem::path resolve_cache_dir(const std::filesystem::path& given) {
  return given.empty() ? vmodel::default_cache_dir() : given;
}

}  // namespace neuroppa::app
