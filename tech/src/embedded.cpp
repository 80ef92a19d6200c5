#include "neuroppa/tech/embedded.hpp"

#include <stdexcept>
#include <string>

namespace neuroppa::tech {

std::string_view embedded_file(std::string_view name) {
  for (std::size_t i = 0; i < kEmbeddedFileCount; ++i)
    if (name == kEmbeddedFiles[i].name) return kEmbeddedFiles[i].text;
  throw std::logic_error("no embedded file " + std::string(name));
}

}  // namespace neuroppa::tech
