// yosys JSON netlists (modules, ports, cells and their connections) against
// a real library (OSU 0.18 µm), whose cells and pins they must name.
#include "fuzz_target.hpp"
#include "neuroppa/tech/liberty.hpp"
#include "neuroppa/tech/netlist.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const neuroppa::tech::Library library =
      neuroppa::tech::read_liberty(neuroppa::tech::resolve_library("osu018"));
  const neuroppa::fuzz::TempFile file(data, size, ".json");
  return neuroppa::fuzz::expect_clean_error([&] { neuroppa::tech::read_yosys_json(file.path(), "top", library); });
}
