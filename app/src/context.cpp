#include "neuroppa/app/context.hpp"

#include "neuroppa_version.hpp"

namespace neuroppa::app {

std::string version_string() { return "neuroppa " NEUROPPA_VERSION; }

}  // namespace neuroppa::app
