// neuroppa model files (JSON: layers, shapes, weight codes, scales).
#include "fuzz_target.hpp"
#include "neuroppa/kernels/catalogue.hpp"
#include "neuroppa/models/network.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  // Layers name their kinds: the catalogue (linked by this reference) registers the built-in ones.
  static const bool kinds_registered = !neuroppa::kernels::catalogue().empty();
  (void)kinds_registered;
  const neuroppa::fuzz::TempFile file(data, size, ".json");
  return neuroppa::fuzz::expect_clean_error([&] { neuroppa::models::read_network(file.path()); });
}
