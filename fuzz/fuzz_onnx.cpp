// ONNX files (neuroppa import): protobuf, the checker, shape inference, and
// the importer's own walk over the nodes.
#include "fuzz_target.hpp"
#include "neuroppa/models/onnx_import.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const neuroppa::fuzz::TempFile file(data, size, ".onnx");
  return neuroppa::fuzz::expect_clean_error([&] { neuroppa::models::read_onnx(file.path(), {}); });
}
