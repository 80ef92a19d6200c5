#pragma once

#include <stdexcept>
#include <string>

namespace neuroppa {

// An error the user can cause and fix: a bad parameter, file or missing tool.
// The message is one line that names the value, file or tool; the command
// prints it and exits non-zero. Bugs are not reported through this type.
class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& message) : std::runtime_error(message) {}
};

}  // namespace neuroppa
