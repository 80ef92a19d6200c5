// The vendor's path delays: the specify-block reader (values, paths,
// conditions, rounding, errors with file and line) and the delays it gives a
// netlist. Against Icarus -gspecify: tests/tech/test_icarus.cpp.
#include <doctest/doctest.h>

#include <string>

#include "neuroppa/base/error.hpp"
#include "neuroppa/tech/liberty.hpp"
#include "neuroppa/tech/specify.hpp"
#include "support.hpp"

using namespace neuroppa;
using namespace neuroppa::tech;

namespace {

const std::string kCells = R"(`timescale 1ns/10ps
`celldefine
module INV (A, Y);  // a comment with (A => Y) = 9;
input A; output Y;
  not (Y, A);
  specify
    /* delay parameters */
    specparam
      tpllh$A$Y = 0.064:0.065:0.066,
      tphhl$A$Y = 0.086;
    (A => Y) = (tpllh$A$Y, tphhl$A$Y);
  endspecify
endmodule
`endcelldefine

`timescale 1ns/1ps
module MUX (A, B, S, Y);
input A, B, S; output Y;
  specify
    specparam tA = 0.1:0.12:0.15, tB = 0.2;
    if (S == 1'b0) (A +=> Y) = (tA, 0.11);
    if (S) (B => Y) = tB;
    ifnone (A, B *> Y) = (0.3, 0.05, 0.4);
    $setup(A, posedge S, 0.1);
  endspecify
endmodule

module DFF (CLK, D, Q);
input CLK, D; output Q;
  specify
    (posedge CLK => (Q : D)) = (0.094, -0.0);
    $hold(posedge CLK, D, 0.01);
  endspecify
endmodule

module TIE (Y);
output Y;
endmodule
)";

const ArcDelay* arc(const SpecifyDelays& d, const std::string& cell, const std::string& from, const std::string& to) {
  for (const ArcDelay& a : d.cells.at(cell))
    if (a.from == from && a.to == to) return &a;
  return nullptr;
}

std::string error_of(const std::string& text) {
  try {
    parse_specify(text, "cells.v");
  } catch (const Error& e) {
    return e.what();
  }
  return "(read)";
}

}  // namespace

TEST_CASE("specify blocks: specparams, typical values, paths, conditions, edges and rounding to the precision") {
  const SpecifyDelays d = parse_specify(kCells, "cells.v");
  CHECK(d.cells.size() == 3);  // TIE has no specify block
  const ArcDelay* inv = arc(d, "INV", "A", "Y");
  REQUIRE(inv);
  CHECK(inv->rise == doctest::Approx(70e-12).epsilon(1e-9));  // typ 0.065 ns, rounded to 10 ps as a simulator does
  CHECK(inv->fall == doctest::Approx(90e-12).epsilon(1e-9));
  // Conditional variants of one arc: the slowest rise and fall of them; one value for both; full paths.
  const ArcDelay* a = arc(d, "MUX", "A", "Y");
  REQUIRE(a);
  CHECK(a->rise == doctest::Approx(300e-12).epsilon(1e-9));
  CHECK(a->fall == doctest::Approx(110e-12).epsilon(1e-9));
  const ArcDelay* b = arc(d, "MUX", "B", "Y");
  REQUIRE(b);
  CHECK(b->rise == doctest::Approx(300e-12).epsilon(1e-9));
  CHECK(b->fall == doctest::Approx(200e-12).epsilon(1e-9));
  CHECK(arc(d, "MUX", "S", "Y") == nullptr);  // a timing check is no path
  const ArcDelay* q = arc(d, "DFF", "CLK", "Q");  // an edge, and Q of the data destination (Q : D)
  REQUIRE(q);
  CHECK(q->rise == doctest::Approx(94e-12).epsilon(1e-9));
  CHECK(q->fall == 0);
}

TEST_CASE("specify blocks: the OSU 0.18 library's models, and a netlist's delays by cell") {
  const auto cells = resolve_library("osu018").parent_path() / "osu018_stdcells.v";
  const SpecifyDelays d = read_specify(cells);
  const Library lib = read_liberty(resolve_library("osu018"));
  CHECK(d.cells.size() == 32);  // every module but the filler
  for (const LibertyCell& cell : lib.cells)
    if (cell.name != "FILL") CHECK_MESSAGE(d.cells.count(cell.name), cell.name);
  const ArcDelay* nand = arc(d, "NAND2X1", "A", "Y");
  REQUIRE(nand);
  CHECK(nand->rise > 0);
  REQUIRE(arc(d, "DFFPOSX1", "CLK", "Q"));
  CHECK(d.cells.at("FAX1").size() == 6);  // A, B, C to YC and YS

  Netlist n;
  n.top = "t";
  const LibertyCell* inv = lib.find_cell("INVX1");
  n.net_names = {"a", "y"};
  n.net_by_name = {{"a", 0}, {"y", 1}};
  n.ports = {{"a", false, {0}}, {"y", true, {1}}};
  n.instances = {{"u1", inv, {{inv->find_pin("A"), 0}, {inv->find_pin("Y"), 1}}}};
  const ArcDelays delays = specify_arc_delays(n, d);
  REQUIRE(delays.per_instance.size() == 1);
  CHECK(delays.per_instance[0].size() == d.cells.at("INVX1").size());
  // Another library's models: the missing cell named, unless allowed.
  const SpecifyDelays other = parse_specify(kCells, "other.v");
  CHECK_THROWS_WITH_AS(specify_arc_delays(n, other), doctest::Contains("other.v: no path delays for cell INVX1 (instance u1)"),
                       Error);
  CHECK(specify_arc_delays(n, other, true).per_instance[0].empty());
}

TEST_CASE("specify blocks: each fault is one error naming the file and line") {
  CHECK(error_of("module M (A, Y);\nspecify\n  (A => Y) = (tnone, 1);\nendspecify\nendmodule\n") ==
        "cells.v:3: 'tnone' is not a specparam of this module");
  CHECK(error_of("module M (A, Y);\nspecify\n  specparam t = 1:2;\nendspecify\nendmodule\n")
            .find("cells.v:3: delay value with 2 parts") == 0);
  CHECK(error_of("module M (A, Y);\nspecify\n  (A => Y) = (0.1x);\nendspecify\nendmodule\n") ==
        "cells.v:3: '0.1x' is not a number");
  CHECK(error_of("module M (A, Y);\nspecify\n  (A Y) = 1;\nendspecify\nendmodule\n").find("cells.v:3: malformed path") == 0);
  CHECK(error_of("module M (A, Y);\nspecify\n  (A => Y) = 1;\n") .find("never closed") != std::string::npos);
  CHECK(error_of("module M (A, Y);\nspecify\n  (A => Y) = 1\nendspecify\nendmodule\n").find("without its ';'") !=
        std::string::npos);
  CHECK(error_of("`timescale 1ns\nmodule M (A, Y);\nendmodule\n") == "cells.v:1: `timescale '1ns': expected UNIT/PRECISION");
  CHECK(error_of("`timescale 3ns/1ps\n").find("expected 1, 10 or 100") != std::string::npos);
  CHECK(error_of("module M (A, Y);\n  and (Y, A, A);\nendmodule\n").find("cells.v: no module with path delays") == 0);
  CHECK(error_of("") .find("no module with path delays") != std::string::npos);
}
