// Verilog cell libraries' specify blocks (the vendor's path delays), then
// their delays for a small netlist of real OSU 0.18 µm cells
// (fuzz/data/sdf_netlist.json: inverter, NAND, XOR, flip-flop).
#include "fuzz_target.hpp"
#include "neuroppa/tech/liberty.hpp"
#include "neuroppa/tech/netlist.hpp"
#include "neuroppa/tech/specify.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const neuroppa::tech::Library library =
      neuroppa::tech::read_liberty(neuroppa::tech::resolve_library("osu018"));
  static const neuroppa::tech::Netlist netlist =
      neuroppa::tech::read_yosys_json(NEUROPPA_FUZZ_DATA "/sdf_netlist.json", "top", library);
  const std::string text(neuroppa::fuzz::as_text(data, size));
  return neuroppa::fuzz::expect_clean_error([&] {
    const neuroppa::tech::SpecifyDelays delays = neuroppa::tech::parse_specify(text, "fuzz.v");
    neuroppa::tech::specify_arc_delays(netlist, delays, true);
  });
}
