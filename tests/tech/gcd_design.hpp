// The gcd reference design of ../shared: SKY130 HD library and netlist,
// loaded once per test run.
#pragma once

#include "neuroppa/tech/liberty.hpp"
#include "neuroppa/tech/netlist.hpp"
#include "neuroppa/tech/synthesis.hpp"
#include "support.hpp"

namespace neuroppa::test {

struct GcdDesign {
  std::filesystem::path dir;  // the design's folder
  tech::Library library;
  tech::Netlist netlist;
};

inline const GcdDesign& gcd_design() {
  static const GcdDesign design = [] {
    GcdDesign d;
    d.dir = shared_dir() / "designs/gcd_sky130hd";
    d.library = tech::read_liberty(shared_dir() / "libs/sky130_fd_sc_hd__tt_025C_1v80.lib.gz");
    const auto json = tech::netlist_json_from_verilog(d.dir / "gcd_sky130hd.v", "gcd", d.library.path, model_cache_dir());
    d.netlist = tech::read_yosys_json(json, "gcd", d.library);
    return d;
  }();
  return design;
}

}  // namespace neuroppa::test
