// Text files compiled into neuroppa (cmake/embed_files.cmake): the kernels'
// RTL, the model ABI header. Built models are made from these, never from
// files found at run time, so the binary is self-contained and relocatable.
#pragma once

#include <cstddef>
#include <span>
#include <string_view>

namespace neuroppa::base {

struct EmbeddedFile {
  const char* name;  // file name without folder, e.g. "np_mac_kernel.sv"
  const char* text;
};

// The text of `name` among `files`; throws std::logic_error if it is not
// there (a build error, not a user's).
std::string_view find_embedded(std::span<const EmbeddedFile> files, std::string_view name);

}  // namespace neuroppa::base
