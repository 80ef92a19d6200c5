#include "neuroppa/base/embedded.hpp"

#include <stdexcept>
#include <string>

namespace neuroppa::base {

std::string_view find_embedded(std::span<const EmbeddedFile> files, std::string_view name) {
  for (const EmbeddedFile& f : files)
    if (name == f.name) return f.text;
  throw std::logic_error("no embedded file " + std::string(name));
}

}  // namespace neuroppa::base
