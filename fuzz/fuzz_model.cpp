// neuroppa model files (JSON: layers, shapes, weight codes, scales).
#include "fuzz_target.hpp"
#include "neuroppa/models/network.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const neuroppa::fuzz::TempFile file(data, size, ".json");
  return neuroppa::fuzz::expect_clean_error([&] { neuroppa::models::read_network(file.path()); });
}
