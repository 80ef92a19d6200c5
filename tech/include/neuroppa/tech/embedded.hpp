// Text files compiled into neuroppa: the kernels' RTL (rtl/*.sv) and the
// model ABI header. Built models are made from these, never from files found
// at run time, so the binary is self-contained and relocatable.
#pragma once

#include <cstddef>
#include <string_view>

namespace neuroppa::tech {

struct EmbeddedFile {
  const char* name;  // file name without folder, e.g. "np_mac_kernel.sv"
  const char* text;
};

extern const EmbeddedFile kEmbeddedFiles[];
extern const std::size_t kEmbeddedFileCount;

// The text of an embedded file; throws std::logic_error if there is none.
std::string_view embedded_file(std::string_view name);

}  // namespace neuroppa::tech
