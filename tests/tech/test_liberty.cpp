// Liberty parsing and the cell-library model, on the seven real libraries
// and on malformed input.
#include <doctest/doctest.h>
#include <algorithm>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <fstream>
#include <map>
#include <sstream>

#include "neuroppa/base/error.hpp"
#include "neuroppa/models/random.hpp"
#include "neuroppa/tech/liberty.hpp"
#include "support.hpp"

using namespace neuroppa;
using namespace neuroppa::tech;

namespace {

// The error message of reading `text` as a library, or "" if it parses.
std::string liberty_error(const std::string& text, const std::string& name = "bad.lib") {
  const auto path = test::write_temp_file(name, text);
  try {
    read_liberty(path);
    return "";
  } catch (const Error& e) {
    return e.what();
  }
}

const char* kSmallLibrary = R"(library (tiny) {
  time_unit : "1ns";
  voltage_unit : "1V";
  leakage_power_unit : "1nW";
  capacitive_load_unit (1, pf);
  nom_voltage : 1.2;
  lu_table_template (t2x2) {
    variable_1 : input_net_transition;
    variable_2 : total_output_net_capacitance;
    index_1 ("0.1, 0.3");
    index_2 ("0.01, 0.03");
  }
  cell (INV) {
    area : 2.5;
    cell_leakage_power : 1.5;
    pin (A) { direction : input; capacitance : 0.002; }
    pin (Y) {
      direction : output;
      function : "!A";
      timing () {
        related_pin : "A";
        cell_rise (t2x2) { values ("1, 2", "3, 4"); }
      }
    }
  }
}
)";

}  // namespace

TEST_CASE("a small library: units, area, leakage, a table with interpolation and extrapolation") {
  const Library lib = read_liberty_text(kSmallLibrary, "tiny.lib");
  CHECK(lib.name == "tiny");
  CHECK(lib.nominal_voltage == doctest::Approx(1.2));
  const LibertyCell* inv = lib.find_cell("INV");
  REQUIRE(inv);
  CHECK(inv->area == 2.5);
  CHECK(*inv->cell_leakage_power == doctest::Approx(1.5e-9));
  CHECK(inv->find_pin("A")->capacitance == doctest::Approx(2e-15));
  const Table& t = inv->find_pin("Y")->timing.at(0).cell_rise;
  CHECK(t.lookup(0.1e-9, 0.01e-12) == doctest::Approx(1e-9));
  CHECK(t.lookup(0.3e-9, 0.03e-12) == doctest::Approx(4e-9));
  CHECK(t.lookup(0.2e-9, 0.02e-12) == doctest::Approx(2.5e-9));   // centre
  CHECK(t.lookup(0.5e-9, 0.01e-12) == doctest::Approx(5e-9));     // extrapolated in slew
  CHECK(t.lookup(0.1e-9, 0.0) == doctest::Approx(0.5e-9));        // extrapolated in load
}

TEST_CASE("malformed Liberty: one clear error naming file and line") {
  const std::string good = kSmallLibrary;
  // Truncated in the middle of the INV cell.
  std::string msg = liberty_error(good.substr(0, good.find("pin (Y)")), "truncated.lib");
  CHECK(msg.find("truncated.lib:") != std::string::npos);
  CHECK(msg.find("not closed") != std::string::npos);
  // Unbalanced braces: one closing brace too many.
  msg = liberty_error(good + "}\n", "extra_brace.lib");
  CHECK(msg.find("extra_brace.lib:27:") != std::string::npos);
  // Unknown unit.
  std::string text = good;
  text.replace(text.find("\"1ns\""), 5, "\"1xs\"");
  msg = liberty_error(text, "unit.lib");
  CHECK(msg.find("unit.lib:2: unknown unit '1xs' in time_unit") != std::string::npos);
  // Table of the wrong size.
  text = good;
  text.replace(text.find("\"1, 2\", \"3, 4\""), 14, "\"1, 2, 3\"");
  msg = liberty_error(text, "size.lib");
  CHECK(msg.find("size.lib:22: table 'cell_rise' has 3 values; its template 't2x2' needs 4 (2x2)") !=
        std::string::npos);
  // Undefined template.
  text = good;
  text.replace(text.find("cell_rise (t2x2)"), 16, "cell_rise (t9x9)");
  msg = liberty_error(text, "template.lib");
  CHECK(msg.find("template.lib:22: table 'cell_rise' uses undefined template 't9x9'") != std::string::npos);
  // A value that is not a number.
  text = good;
  text.replace(text.find("area : 2.5"), 10, "area : 2.5x");
  msg = liberty_error(text, "number.lib");
  CHECK(msg.find("number.lib:14: '2.5x' is not a number (in area)") != std::string::npos);
  // Empty file, missing file, unclosed string and comment.
  CHECK(liberty_error("", "empty.lib").find("empty.lib:1: no library group") != std::string::npos);
  CHECK(liberty_error("library (x) {\n  a : \"open;\n}\n", "str.lib").find("str.lib:2: string is not closed") !=
        std::string::npos);
  CHECK(liberty_error("library (x) {\n /* open\n}\n", "cmt.lib").find("cmt.lib:2: comment is not closed") !=
        std::string::npos);
  // Deep nesting (a fuzzer's 200,000 levels overflowed the stack): an error at the level past the limit.
  std::string deep = "library (x) {\n";
  for (int i = 0; i < 200000; ++i) deep += "g() {\n";
  msg = liberty_error(deep, "deep.lib");
  CHECK(msg.find("deep.lib:257: group 'g' is nested more than 256 deep") != std::string::npos);
  try {
    read_liberty("/nonexistent/none.lib");
    FAIL("expected an error");
  } catch (const Error& e) {
    CHECK(std::string(e.what()).find("/nonexistent/none.lib: no such file") == 0);
  }
}

TEST_CASE("bus pins: bit ranges in pin names, or the bits of the bus_type") {
  const std::string text = R"(library (buses) {
  time_unit : "1ns"; capacitive_load_unit (1, pf);
  type (b4) { base_type : array; data_type : bit; bit_width : 4; bit_from : 3; bit_to : 0; }
  type (b2) { base_type : array; data_type : bit; bit_width : 2; bit_from : 0; bit_to : 1; }
  cell (regs) {
    area : 10;
    bus (D) { bus_type : b4; direction : input; capacitance : 0.01; }
    bus (Q) { bus_type : b2; direction : output;
      pin (Q[1:0]) { function : "D[0]"; }
    }
  }
})";
  const Library lib = read_liberty(test::write_temp_file("buses.lib", text));
  const LibertyCell* c = lib.find_cell("regs");
  REQUIRE(c);
  std::vector<std::string> names;
  for (const auto& p : c->pins) names.push_back(p.name);
  CHECK(names == std::vector<std::string>{"D[3]", "D[2]", "D[1]", "D[0]", "Q[1]", "Q[0]"});
  CHECK(c->find_pin("D[2]")->capacitance == doctest::Approx(0.01e-12));
  CHECK(c->find_pin("Q[0]")->direction == PinDirection::output);
  CHECK(c->find_pin("Q[0]")->function == "D[0]");
  CHECK(lib.warnings.empty());
  std::string bad = text;
  bad.replace(bad.find("Q[1:0]"), 6, "Q[1:x]");
  CHECK(liberty_error(bad, "range.lib").find("range.lib:9: pin 'Q[1:x]': the bit range is not two numbers") !=
        std::string::npos);
  bad = text;
  bad.replace(bad.find("Q[1:0]"), 6, "Q[99999:0]");
  CHECK(liberty_error(bad, "wide.lib").find("bit range out of bounds") != std::string::npos);
}

TEST_CASE("fuzzed Liberty text parses or fails with neuroppa::Error, never anything else") {
  const std::string good = kSmallLibrary;
  models::Rng rng(5);
  const char alphabet[] = "(){}:;,\"\\/*\n a1.-";
  int parsed = 0, rejected = 0;
  for (int i = 0; i < 3000; ++i) {
    std::string text = good;
    const int edits = 1 + static_cast<int>(rng.below(4));
    for (int e = 0; e < edits; ++e) {
      const std::size_t at = rng.below(text.size());
      switch (rng.below(3)) {
        case 0: text.erase(at, 1 + rng.below(8)); break;
        case 1: text.insert(at, 1, alphabet[rng.below(sizeof alphabet - 1)]); break;
        default: text[at] = alphabet[rng.below(sizeof alphabet - 1)]; break;
      }
    }
    try {
      read_liberty_text(text, "fuzz.lib");
      ++parsed;
    } catch (const Error& e) {
      CHECK(std::string(e.what()).find("fuzz.lib:") == 0);
      ++rejected;
    }
  }
  CHECK(parsed > 100);
  CHECK(rejected > 100);
}

TEST_CASE("the Debian OSU libraries") {
  const Library lib = read_liberty(test::osu_library("osu018"));
  CHECK(lib.name == "osu018_stdcells");
  CHECK(lib.cells.size() == 32);
  CHECK(lib.units.time == 1e-9);
  CHECK(lib.units.capacitance == 1e-12);
  CHECK(lib.units.current == doctest::Approx(1e-6));
  CHECK(lib.units.leakage_power == 1e-9);
  CHECK(lib.nominal_voltage == doctest::Approx(1.8));
  const LibertyCell* inv = lib.find_cell("INVX1");
  REQUIRE(inv);
  CHECK(inv->area == 16);
  CHECK(*inv->cell_leakage_power == doctest::Approx(0.0221741e-9));
  const LibertyPin* a = inv->find_pin("A");
  CHECK(a->capacitance == doctest::Approx(0.00932456e-12));
  CHECK(a->rise_capacitance == doctest::Approx(0.00932196e-12));
  const LibertyPin* y = inv->find_pin("Y");
  CHECK(y->function == "(!A)");
  // osu018 puts the load on the first axis: index_1 is capacitance.
  const Table& fall = y->timing.at(0).cell_fall;
  CHECK(fall.lookup(0.06e-9, 0.005e-12) == doctest::Approx(0.030906e-9));
  CHECK(fall.lookup(0.12e-9, 0.005e-12) == doctest::Approx(0.03417e-9));
  CHECK(fall.lookup(0.0, 0.005e-12) == doctest::Approx(0.027642e-9));
  CHECK(y->internal_power.at(0).fall.lookup(0.06e-9, 0.005e-12) == doctest::Approx(0.009213e-12));
  const LibertyCell* dff = lib.find_cell("DFFPOSX1");
  REQUIRE(dff);
  REQUIRE(dff->sequential);
  CHECK_FALSE(dff->sequential->latch);
  CHECK(dff->sequential->clocked_on == "CLK");
  CHECK(dff->sequential->next_state == "D");
  for (const char* node : {"osu035", "osu050"}) {
    const Library other = read_liberty(test::osu_library(node));
    CHECK(other.cells.size() == 39);
    CHECK(other.find_cell("INVX1"));
  }
}

TEST_SUITE("shared") {
  TEST_CASE("SKY130 HD: define, state-dependent leakage, negative internal power, wire loads") {
    const Library lib = read_liberty(test::shared_dir() / "libs/sky130_fd_sc_hd__tt_025C_1v80.lib.gz");
    CHECK(lib.name == "sky130_fd_sc_hd__tt_025C_1v80");
    CHECK(lib.cells.size() == 428);
    CHECK(lib.units.capacitance == 1e-12);
    CHECK(lib.units.current == doctest::Approx(1e-3));
    CHECK(lib.nominal_voltage == doctest::Approx(1.8));
    CHECK(lib.wire_loads.size() == 4);
    CHECK(lib.default_wire_load == "Small");
    REQUIRE(lib.default_wire_load_model());
    // Small: 1.42e-05 pF per unit length, fanout 2 -> length 32.1136.
    CHECK(lib.default_wire_load_model()->capacitance(2) == doctest::Approx(32.1136 * 1.42e-17));
    const LibertyCell* nand = lib.find_cell("sky130_fd_sc_hd__nand2_1");
    REQUIRE(nand);
    CHECK(nand->area == doctest::Approx(3.7536));
    CHECK(*nand->cell_leakage_power == doctest::Approx(0.00211796e-9));
    REQUIRE(nand->leakage_power.size() == 4);
    CHECK(nand->leakage_power[0].when == "!A&B");
    CHECK(nand->leakage_power[0].power == doctest::Approx(0.0002796e-9));
    const LibertyPin* a = nand->find_pin("A");
    CHECK(a->fall_capacitance == doctest::Approx(0.002254e-12));
    CHECK(a->internal_power.at(0).rise.lookup(0.01e-9, 0) == doctest::Approx(-0.0038955e-12));
    CHECK(nand->find_pin("Y")->function == "(!A) | (!B)");
  }

  TEST_CASE("Nangate45, ASAP7 (ps, fF, attributes without semicolons), IHP SG13G2") {
    const Library nangate = read_liberty(test::shared_dir() / "libs/nangate45_typ.lib.gz");
    CHECK(nangate.cells.size() == 134);
    CHECK(nangate.find_cell("INV_X1")->area == doctest::Approx(0.532));
    CHECK(nangate.units.capacitance == 1e-15);
    const Library asap7 = read_liberty(test::shared_dir() / "libs/asap7_small_ff.lib.gz");
    CHECK(asap7.units.time == 1e-12);
    CHECK(asap7.units.capacitance == 1e-15);
    CHECK(asap7.units.leakage_power == 1e-12);
    CHECK(asap7.find_cell("BUFx2_ASAP7_75t_R")->area == doctest::Approx(0.0729));
    const Library ihp = read_liberty(test::shared_dir() / "libs/sg13g2_stdcell_typ_1p20V_25C.lib.gz");
    const LibertyCell* inv = ihp.find_cell("sg13g2_inv_1");
    REQUIRE(inv);
    CHECK(inv->area == doctest::Approx(5.4432));
    CHECK(*inv->cell_leakage_power == doctest::Approx(62.9723e-12));
    CHECK(inv->leakage_power.at(0).when == "A&!Y");
  }

  TEST_CASE("edge cases: backslash line ends, floats as strings, latches") {
    const auto dir = test::shared_dir() / "libs/edge-cases";
    const Library eol = read_liberty(dir / "liberty_backslash_eol.lib");
    CHECK(eol.units.capacitance == 1e-12);
    CHECK(eol.find_cell("my_inv")->find_pin("Y")->timing.at(0).cell_rise.lookup(0, 0) == doctest::Approx(1e-9));
    const Library str = read_liberty(dir / "liberty_float_as_str.lib");
    CHECK(str.units.capacitance == 1e-15);
    const Library latch = read_liberty(dir / "liberty_latch3.lib");
    bool found_latch = false;
    for (const auto& c : latch.cells) found_latch |= c.sequential && c.sequential->latch;
    CHECK(found_latch);
  }

  TEST_CASE("the shared standard-cell libraries: no warnings, as from Debian's OpenSTA") {
    for (const char* file : {"asap7_small_ff.lib.gz", "nangate45_typ.lib.gz", "sg13g2_stdcell_typ_1p20V_25C.lib.gz",
                             "sky130_fd_sc_hd__tt_025C_1v80.lib.gz"}) {
      const Library lib = read_liberty(test::shared_dir() / "libs" / file);
      CAPTURE(file);
      INFO(fmt::format("{}", fmt::join(lib.warnings, "\n")));
      CHECK(lib.warnings.empty());
    }
  }

  TEST_CASE("SRAM macros: bus pins with bit ranges expand into bit pins with the bus's attributes") {
    struct Expect {
      const char* file;
      int data_bits, addr_bits;
    };
    for (const Expect e : {Expect{"sky130_sram_1kbyte_1rw1r_32x256_8_TT_1p8V_25C.lib.gz", 32, 8},
                           Expect{"sky130_sram_1kbyte_1rw1r_8x1024_8_TT_1p8V_25C.lib.gz", 8, 10},
                           Expect{"sky130_sram_2kbyte_1rw1r_32x512_8_TT_1p8V_25C.lib.gz", 32, 9}}) {
      CAPTURE(e.file);
      const Library lib = read_liberty(test::shared_dir() / "libs/sram" / e.file);
      REQUIRE(lib.cells.size() == 1);
      const LibertyCell& sram = lib.cells.front();
      std::map<std::string, int> bits;  // per bus: its bit pins
      for (const LibertyPin& p : sram.pins)
        if (const auto open = p.name.find('['); open != std::string::npos) ++bits[p.name.substr(0, open)];
      MESSAGE(fmt::format("{}: cell {}, area {} µm², leakage {:.4g} µW, buses {}", e.file, sram.name, sram.area,
                          sram.cell_leakage_power.value_or(0) * 1e6, fmt::join(bits, ", ")));
      CHECK(sram.area > 0);
      CHECK(sram.cell_leakage_power.value_or(0) > 0);
      CHECK(lib.warnings.empty());  // OpenSTA reads them without a warning too
      CHECK(bits["din0"] == e.data_bits);
      CHECK(bits["dout0"] == e.data_bits);
      CHECK(bits["dout1"] == e.data_bits);
      CHECK(bits["addr0"] == e.addr_bits);
      CHECK(bits["addr1"] == e.addr_bits);
      const LibertyPin* din = sram.find_pin("din0[0]");
      REQUIRE(din);
      CHECK(din->direction == PinDirection::input);
      CHECK(din->capacitance > 0);            // from the bus group
      CHECK(din->timing.size() == 2);         // setup and hold, from the pin group
      const LibertyPin* dout = sram.find_pin(fmt::format("dout0[{}]", e.data_bits - 1));
      REQUIRE(dout);
      CHECK(dout->direction == PinDirection::output);
      CHECK_FALSE(dout->timing.empty());
      CHECK(sram.find_pin("clk0"));
    }
  }

  TEST_CASE("a truncated gzip file is an error naming the file") {
    std::ifstream in(test::shared_dir() / "libs/nangate45_typ.lib.gz", std::ios::binary);
    std::string bytes(20000, '\0');
    in.read(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    const auto path = test::write_temp_file("cut.lib.gz", bytes);
    try {
      read_liberty(path);
      FAIL("expected an error");
    } catch (const Error& e) {
      const std::string msg = e.what();
      CHECK(msg.find("cut.lib.gz") != std::string::npos);
    }
  }
}

TEST_CASE("Liberty warnings: OpenSTA's kinds, on stderr's behalf, and the library still read") {
  const std::string text = R"(library (dubious) {
  time_unit : "1ns"; capacitive_load_unit (1, pf);
  default_fanout_load : 0.0;
  type (b4) { base_type : array; data_type : bit; bit_width : 8; bit_from : 3; bit_to : 0; }
  type (half) { base_type : array; data_type : bit; bit_from : 3; }
  cell (fa) {
    area : 10;
    pin (A) { direction : input; capacitance : 0.01; }
    pin (CON) { direction : output; function : "!A"; timing () { related_pin : "A"; } }
    pin (SN) { direction : output; function : "A";
      timing () { related_pin : "A"; }
      timing () { related_pin : "A CON"; }
    }
    bus (D) { bus_type : b4; direction : input;
      pin (D[5:4]) { capacitance : 0.01; }
    }
    bus (H) { bus_type : half; direction : input; }
  }
})";
  const Library lib = read_liberty(test::write_temp_file("dubious.lib", text));
  INFO(fmt::format("{}", fmt::join(lib.warnings, "\n")));
  REQUIRE(lib.warnings.size() == 6);
  const auto warned = [&](const std::string& what) {
    return std::any_of(lib.warnings.begin(), lib.warnings.end(), [&](const std::string& w) { return w.find(what) != std::string::npos; });
  };
  CHECK(warned("dubious.lib:3: default_fanout_load is 0.0"));
  CHECK(warned("dubious.lib:4: bus type 'b4': bit_width 8 but bit_from 3 .. bit_to 0 is 4 bits"));
  CHECK(warned("dubious.lib:5: bus type 'half' has no bit_to; buses of this type are skipped"));
  CHECK(warned("dubious.lib:12: cell 'fa' pin 'SN': timing group from output pin 'CON'"));
  CHECK(warned("dubious.lib:15: bus 'D' (4 bits, 3..0): member pin 'D[5]' is not one of its bits"));
  CHECK(warned("dubious.lib:17: bus 'H': bus_type 'half' is not defined (or has no range); the bus is skipped"));
  // Read anyway: the arcs kept, the bus members as written, the rangeless bus left out.
  const LibertyCell* fa = lib.find_cell("fa");
  REQUIRE(fa);
  CHECK(fa->find_pin("SN")->timing.size() == 2);
  CHECK(fa->find_pin("D[5]"));
  CHECK(!fa->find_pin("H[0]"));
  // The real libraries OpenSTA reads without a word: none from neuroppa either.
  CHECK(read_liberty(resolve_library("osu018")).warnings.empty());
}
