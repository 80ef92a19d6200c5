// VCD and SAIF readers, annotation of a netlist, and the gcd reference case.
#include <doctest/doctest.h>
#include <algorithm>
#include <cstdlib>
#include <fmt/format.h>
#include <fstream>

#include "neuroppa/base/error.hpp"
#include "neuroppa/base/file.hpp"
#include "neuroppa/tech/activity_file.hpp"
#include "neuroppa/tech/power.hpp"
#include "neuroppa/tech/synthesis.hpp"
#include "gcd_design.hpp"
#include "support.hpp"

using namespace neuroppa;
using namespace neuroppa::tech;
using namespace neuroppa::vmodel;

namespace {

const char* kVcd = R"($date today $end
$timescale 1ns $end
$scope module tb $end
$var reg 1 ! clk $end
$scope module dut $end
$var wire 1 ! clk $end
$var wire 4 " bus [3:0] $end
$var wire 1 # \odd.name[2] $end
$var real 1 $ r $end
$upscope $end
$upscope $end
$enddefinitions $end
$comment after the definitions $end
#0
$dumpvars
0!
b0000 "
x#
r1.5 $
$end
#5
1!
b101 "
0#
#10
0!
b1111 "
1#
#15
1!
#20
0!
b1 "
)";

std::string error_of(const std::string& text, bool saif = false) {
  const auto path = test::write_temp_file(saif ? "bad.saif" : "bad.vcd", text);
  try {
    saif ? read_saif(path) : read_vcd(path);
    return "";
  } catch (const Error& e) {
    return e.what();
  }
}

}  // namespace

TEST_CASE("VCD: toggles, time high, vectors, aliases, x values") {
  const ActivityFile f = read_vcd(test::write_temp_file("t.vcd", kVcd));
  CHECK(f.duration == doctest::Approx(20e-9));
  const auto& dut = f.scopes.at("tb/dut");
  CHECK(dut.at("clk").toggles == 4);
  CHECK(dut.at("clk").high_time == doctest::Approx(10e-9));
  CHECK(f.scopes.at("tb").at("clk").toggles == 4);  // the same identifier in two scopes
  // bus: 0000 -> 0101 -> 1111 -> 0001
  CHECK(dut.at("bus[0]").toggles == 1);
  CHECK(dut.at("bus[0]").high_time == doctest::Approx(15e-9));
  CHECK(dut.at("bus[1]").toggles == 2);
  CHECK(dut.at("bus[3]").toggles == 2);
  CHECK(dut.at("bus[3]").high_time == doctest::Approx(5e-9));
  // An escaped name keeps its brackets; x -> 0 is not a toggle.
  CHECK(dut.at("odd.name[2]").toggles == 1);
  CHECK(dut.at("odd.name[2]").high_time == doctest::Approx(10e-9));
  CHECK(dut.at("odd.name[2]").x_transitions == 1);  // counted apart, for OpenSTA's convention
  CHECK(dut.at("clk").x_transitions == 1);  // its first value in the dump, from the unknown before it
  CHECK_FALSE(dut.count("r"));
}

TEST_CASE("VCD errors name the file and line") {
  CHECK(error_of("$var wire 1 ! a $end\n#0\n").find("no $enddefinitions") != std::string::npos);
  CHECK(error_of("$enddefinitions $end\n#0\n1?\n").find("bad.vcd:3: value change for undeclared identifier '?'") !=
        std::string::npos);
  CHECK(error_of("$var wire 1 ! a $end\n$enddefinitions $end\n#5\n#4\n").find("time goes back") != std::string::npos);
  CHECK(error_of("$timescale 1 parsecs $end\n").find("unknown time unit") != std::string::npos);
  // Times are whole numbers ("#2.14748e+09", as mawk prints big numbers, was read as 2).
  for (const char* bad : {"#2.14748e+09", "#-1", "#", "#12ns"})
    CHECK(error_of(std::string("$enddefinitions $end\n") + bad + "\n").find(fmt::format("bad.vcd:2: bad time '{}'", bad)) !=
          std::string::npos);
  CHECK(error_of("$timescale " + std::string(400, '9') + " ns $end\n").find("bad $timescale") != std::string::npos);
  // A size is bounded before anything is allocated from it (was a 64 GB request).
  CHECK(error_of("$var wire 2147483647 ! clk $end\n").find("bad.vcd:1: $var size 2147483647 is out of range") !=
        std::string::npos);
  CHECK(error_of("$var wire 0 ! clk $end\n").find("$var size 0 is out of range") != std::string::npos);
  CHECK(error_of("$var wire -3 ! clk $end\n").find("$var size -3 is out of range") != std::string::npos);
}

namespace {
// This process's resident set and its peak since the last reset, in bytes.
std::uint64_t status_bytes(const std::string& field) {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind(field + ":", 0) == 0) return std::stoull(line.substr(field.size() + 1)) * 1024;
  return 0;
}
}  // namespace

TEST_CASE("a VCD is read as a stream: a 200 MB file takes a bounded amount of memory") {
  const auto path = test::temp_dir("big-vcd") / "big.vcd";
  std::uint64_t changes = 0;
  {
    std::ofstream out(path);
    out << "$timescale 1ps $end\n$scope module top $end\n";
    for (int i = 0; i < 200; ++i) out << "$var wire 1 s" << i << " n" << i << " $end\n";
    out << "$var wire 16 v bus [15:0] $end\n$upscope $end\n$enddefinitions $end\n";
    std::string block;
    for (std::uint64_t t = 0; block.size() < (1u << 20); ++t) {  // 1 MB of changes, repeated with rising times
      block += "#" + std::to_string(t) + "\n";
      for (int i = 0; i < 200; i += 3) block += std::string(1, "01"[(t + i) & 1]) + "s" + std::to_string(i) + "\n";
      block += "b" + std::string(16, "01"[t & 1]) + " v\n";
    }
    const std::uint64_t steps = std::count(block.begin(), block.end(), '#');
    for (std::uint64_t rep = 0; rep < 200; ++rep) {
      std::string shifted;  // the same changes, later
      std::size_t pos = 0;
      while (pos < block.size()) {
        const std::size_t eol = block.find('\n', pos);
        if (block[pos] == '#') shifted += "#" + std::to_string(rep * steps + std::stoull(block.substr(pos + 1, eol - pos - 1)));
        else shifted += block.substr(pos, eol - pos);
        shifted += '\n';
        pos = eol + 1;
      }
      out << shifted;
    }
    changes = steps * 200;
  }
  const std::uint64_t size = std::filesystem::file_size(path);
  REQUIRE(size > 200'000'000);
  { std::ofstream("/proc/self/clear_refs") << "5"; }  // the peak starts again from here
  const std::uint64_t before = status_bytes("VmRSS");
  const ActivityFile f = read_vcd(path);
  const std::uint64_t growth = status_bytes("VmHWM") - before;
  MESSAGE(fmt::format("{} MB of VCD read with {} MB more resident at the peak", size >> 20, growth >> 20));
  CHECK(growth < 64ull << 20);
  const auto& top = f.scopes.at("top");
  CHECK(top.at("n0").toggles == changes - 1);     // every step flips it
  CHECK(top.at("bus[15]").toggles == changes - 1);
  std::filesystem::remove(path);
}

TEST_CASE("SAIF: toggle counts and time high per instance, escapes") {
  const auto path = test::write_temp_file("t.saif", R"((SAIFILE
(SAIFVERSION "2.0")
(DIRECTION "backward")
(DESIGN )
(DIVIDER / )
(TIMESCALE 1 ns)
(DURATION 100)
(INSTANCE tb
  (NET
    (clk (T0 50) (T1 50) (TX 0) (TC 20) (IG 0))
  )
  (INSTANCE dut
    (NET
      (a\[3\] (T0 70) (T1 30) (TX 0) (TC 3) (IG 0))
      (ctrl\.state (T0 100) (T1 0) (TX 0) (TC 0) (IG 0))
    )
  )
)
)
)");
  const ActivityFile f = read_saif(path);
  CHECK(f.duration == doctest::Approx(100e-9));
  CHECK(f.scopes.at("tb").at("clk").toggles == 20);
  CHECK(f.scopes.at("tb/dut").at("a[3]").toggles == 3);
  CHECK(f.scopes.at("tb/dut").at("a[3]").high_time == doctest::Approx(30e-9));
  CHECK(f.scopes.at("tb/dut").count("ctrl.state"));
  CHECK(error_of("(SAIFILE (TIMESCALE 1 ns) (INSTANCE tb (NET (a (TC 1)", true).find("bad.saif:1:") != std::string::npos);
  CHECK(error_of("(NOTSAIF)", true).find("not a SAIF file") != std::string::npos);
  // A count no 64-bit integer holds (fuzzing: the conversion was undefined behaviour).
  CHECK(error_of("(SAIFILE (TIMESCALE 1 ns) (DURATION 10) (INSTANCE tb (NET (a (TC 1e30)))))", true)
            .find("net a: TC 1e+30 is out of range") != std::string::npos);
  CHECK(error_of("(SAIFILE (TIMESCALE 1 ns) (DURATION 10) (INSTANCE tb (NET (a (T1 -5)))))", true)
            .find("net a: T1 -5 is out of range") != std::string::npos);
}

TEST_CASE("a SAIF is read as a stream, plain or gzipped; nesting is bounded") {
  const auto dir = test::temp_dir("big-saif");
  const auto path = dir / "big.saif";
  std::string nets;
  for (int i = 0; i < 100; ++i)
    nets += fmt::format("      (n{} (T0 {}) (T1 {}) (TX 0) (TC {}) (IG 0))\n", i, 1000 - i, i, 2 * i);
  {
    std::ofstream out(path);
    out << "(SAIFILE\n(SAIFVERSION \"2.0\")\n(TIMESCALE 1 ns)\n(DURATION 1000)\n";
    // The same instance again and again (a later entry replaces an earlier one): the file grows, the nets do not.
    const std::string block = "(INSTANCE top\n  (INSTANCE dut\n    (NET\n" + nets + "    )\n  )\n)\n";
    for (std::size_t written = 0; written < 64u << 20; written += block.size()) out << block;
    out << ")\n";
  }
  const std::uint64_t size = std::filesystem::file_size(path);
  REQUIRE(size > 64u << 20);
  { std::ofstream("/proc/self/clear_refs") << "5"; }
  const std::uint64_t before = status_bytes("VmRSS");
  const ActivityFile f = read_saif(path);
  const std::uint64_t growth = status_bytes("VmHWM") - before;
  MESSAGE(fmt::format("{} MB of SAIF read with {} MB more resident at the peak", size >> 20, growth >> 20));
  CHECK(growth < 16ull << 20);
  CHECK(f.scopes.at("top/dut").size() == 100);
  CHECK(f.scopes.at("top/dut").at("n7").toggles == 14);
  CHECK(f.scopes.at("top/dut").at("n7").high_time == doctest::Approx(7e-9));
  std::filesystem::remove(path);

  // gzipped, as simulators often write it
  const auto small = dir / "small.saif";
  base::write_file(small, "(SAIFILE (TIMESCALE 1 ps) (DURATION 10) (INSTANCE tb (NET\n" + nets + ")))");
  REQUIRE(std::system(fmt::format("gzip -kf '{}'", small.string()).c_str()) == 0);
  const ActivityFile zipped = read_saif(dir / "small.saif.gz");
  CHECK(zipped.scopes.at("tb").at("n99").toggles == 198);
  CHECK(zipped.duration == doctest::Approx(10e-12));

  // 100,000 nested instances: an error naming the depth, not a stack overflow (fuzzing's kind of input)
  std::string deep = "(SAIFILE (TIMESCALE 1 ns) (DURATION 10)";
  for (int i = 0; i < 100000; ++i) deep += " (INSTANCE i";
  CHECK(error_of(deep, true).find("INSTANCEs nested more than 256 deep") != std::string::npos);
}

TEST_SUITE("shared") {
  TEST_CASE("gcd on SKY130: every pin annotated from the VCD and from the SAIF") {
    const auto& gcd = test::gcd_design();
    const auto& dir = gcd.dir;
    const Library& lib = gcd.library;
    const Netlist& n = gcd.netlist;
    CHECK(n.instances.size() == 252);
    CHECK(n.physical_only.at("sky130_fd_sc_hd__tapvpwrvgnd_1") == 1040);
    double totals[2] = {};
    int i = 0;
    for (const ActivityFile& f : {read_vcd(dir / "gcd_sky130hd.vcd.gz"), read_saif(dir / "gcd_sky130hd.saif.gz")}) {
      CAPTURE(f.path.string());
      Annotation a;
      const Activity activity = annotate(n, f, "", "clk", 5e-9, false, a);
      CHECK(a.scope == "gcd_tb/gcd1");
      CHECK(a.pins_annotated + a.pins_constant == a.pins);
      CHECK(a.pins == 883);
      CHECK(a.cycles == doctest::Approx(25));
      PowerOptions o;
      o.frequency = 200e6;
      const PowerReport r = estimate_power(n, lib, activity, o);
      CHECK(r.total.total() > 1e-4);  // hundreds of µW at 200 MHz
      CHECK(r.total.total() < 1e-2);
      totals[i++] = r.total.total();
      // A wrong scope is an error, never a fall-back.
      CHECK_THROWS_WITH_AS(annotate(n, f, "gcd_tb/nothere", "clk", 5e-9, false, a), doctest::Contains("no scope 'gcd_tb/nothere'"), Error);
      CHECK_THROWS_WITH_AS(annotate(n, f, "gcd_tb", "clk", 5e-9, false, a), doctest::Contains("annotates only"), Error);
    }
    CHECK(totals[0] == doctest::Approx(totals[1]).epsilon(0.05));
  }
}
