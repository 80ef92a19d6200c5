// SAIF files (nested instances, nets, T0/T1/TC counts).
#include "fuzz_target.hpp"
#include "neuroppa/tech/activity_file.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const neuroppa::fuzz::TempFile file(data, size, ".saif");
  return neuroppa::fuzz::expect_clean_error([&] { neuroppa::tech::read_saif(file.path()); });
}
