// qrouter's delay file (its RC tree per net) as neuroppa turns it into SPEF,
// against the small netlist of real OSU 0.18 µm cells the SDF target uses
// (fuzz/data/sdf_netlist.json). Whatever the converter accepts, neuroppa's
// own SPEF reader must read back: a SPEF it writes and cannot read is a bug.
// The same input is also read as a routed DEF (summarise_def).
#include <cstdlib>
#include <fstream>

#include "fuzz_target.hpp"
#include "neuroppa/tech/layout.hpp"
#include "neuroppa/tech/liberty.hpp"
#include "neuroppa/tech/netlist.hpp"
#include "neuroppa/tech/spef.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const neuroppa::tech::Library library =
      neuroppa::tech::read_liberty(neuroppa::tech::resolve_library("osu018"));
  static const neuroppa::tech::Netlist netlist =
      neuroppa::tech::read_yosys_json(NEUROPPA_FUZZ_DATA "/sdf_netlist.json", "top", library);
  const std::string text(neuroppa::fuzz::as_text(data, size));
  neuroppa::fuzz::expect_clean_error([&] { neuroppa::tech::summarise_def(text, "fuzz.def"); });
  std::string spef;
  neuroppa::fuzz::expect_clean_error([&] { spef = neuroppa::tech::qrouter_rc_to_spef(text, "fuzz.rc", netlist); });
  if (spef.empty()) return 0;
  const std::uint8_t* bytes = reinterpret_cast<const std::uint8_t*>(spef.data());
  const neuroppa::fuzz::TempFile file(bytes, spef.size(), ".spef");
  try {
    neuroppa::tech::read_spef(file.path(), netlist);
  } catch (const neuroppa::Error& e) {
    std::fprintf(stderr, "the SPEF written from an accepted RC file does not read back: %s\n", e.what());
    std::abort();
  }
  return 0;
}
