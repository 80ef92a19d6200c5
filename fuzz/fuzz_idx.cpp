// Fashion-MNIST IDX files: the same bytes read as images (3 dimensions) and
// as labels (1 dimension).
#include "fuzz_target.hpp"
#include "neuroppa/models/dataset.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const neuroppa::fuzz::TempFile file(data, size, ".idx");
  neuroppa::fuzz::expect_clean_error([&] { neuroppa::models::read_idx_images(file.path()); });
  return neuroppa::fuzz::expect_clean_error([&] { neuroppa::models::read_idx_labels(file.path()); });
}
