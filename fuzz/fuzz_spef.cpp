// SPEF parasitics against the small netlist of real OSU 0.18 µm cells the
// SDF target uses (fuzz/data/sdf_netlist.json), whose nets they must name.
#include "fuzz_target.hpp"
#include "neuroppa/tech/liberty.hpp"
#include "neuroppa/tech/netlist.hpp"
#include "neuroppa/tech/spef.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const neuroppa::tech::Library library =
      neuroppa::tech::read_liberty(neuroppa::tech::resolve_library("osu018"));
  static const neuroppa::tech::Netlist netlist =
      neuroppa::tech::read_yosys_json(NEUROPPA_FUZZ_DATA "/sdf_netlist.json", "top", library);
  const neuroppa::fuzz::TempFile file(data, size, ".spef");
  return neuroppa::fuzz::expect_clean_error([&] { neuroppa::tech::read_spef(file.path(), netlist); });
}
