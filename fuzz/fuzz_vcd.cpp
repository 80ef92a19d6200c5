// VCD files (header, scopes, value changes; gzip when the magic says so).
#include "fuzz_target.hpp"
#include "neuroppa/tech/activity_file.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const neuroppa::fuzz::TempFile file(data, size, ".vcd");
  return neuroppa::fuzz::expect_clean_error([&] { neuroppa::tech::read_vcd(file.path()); });
}
