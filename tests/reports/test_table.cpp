// Table writers carry the same numbers in every format.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <nlohmann/json.hpp>

#include "neuroppa/base/error.hpp"
#include "neuroppa/reports/plot.hpp"
#include "neuroppa/reports/table.hpp"

using namespace neuroppa;
using namespace neuroppa::reports;

namespace {
Table sample() {
  Table t;
  t.title = "Kernel cost";
  t.columns = {{"kernel", ""}, {"K", "", 3, true}, {"area", "µm²", 4}, {"saving", "×", 3}};
  t.rows = {{std::string("mac"), 9.0, 156014.0, 1.0}, {std::string("a_b&c"), 25.0, 0.012345, std::nan("")}};
  t.notes = {"Command: neuroppa kernels"};
  return t;
}
}  // namespace

TEST_CASE("number formatting") {
  CHECK(format_number(156014, 4) == "156014");
  CHECK(format_number(18.666, 4) == "18.67");
  CHECK(format_number(0, 4) == "0");
  CHECK(format_number(2000, 5) == "2000.0");
  CHECK(format_number(1, 3) == "1.00");
  CHECK(format_number(0.012345, 3) == "0.0123");
  CHECK(format_number(1.5e-5, 3) == "1.50e-05");
  CHECK(format_number(std::nan(""), 3) == "n/a");
}

TEST_CASE("markdown, CSV, JSON and LaTeX of one table") {
  const Table t = sample();
  const std::string md = write(t, Format::markdown);
  CHECK(md.find("| kernel | K | area (µm²) | saving (×) |") != std::string::npos);
  CHECK(md.find("| mac | 9 | 156014 | 1.00 |") != std::string::npos);
  CHECK(md.find("n/a") != std::string::npos);
  const std::string csv = write(t, Format::csv);
  CHECK(csv.find("kernel,K,area (µm²),saving (×)\nmac,9,156014,1\n") == 0);
  const auto json = nlohmann::json::parse(write(t, Format::json));
  CHECK(json["rows"][0]["area"] == 156014.0);
  CHECK(json["rows"][1]["saving"].is_null());
  CHECK(json["notes"][0] == "Command: neuroppa kernels");
  const std::string tex = write(t, Format::latex);
  CHECK(tex.find("\\toprule") != std::string::npos);
  CHECK(tex.find("a\\_b\\&c & 25 & 0.01235") != std::string::npos);
  CHECK(parse_format("tex") == Format::latex);
  CHECK_THROWS_AS(parse_format("xml"), Error);
}

TEST_CASE("Pareto front: lower x and higher y win; SVG output is deterministic") {
  using neuroppa::reports::ScatterPoint;
  const std::vector<ScatterPoint> points = {
      {"a", 10, 0.80, "g"}, {"b", 5, 0.70, "g"}, {"c", 20, 0.90, "g"}, {"d", 15, 0.85, "g"}, {"e", 12, 0.75, "g"}};
  CHECK(neuroppa::reports::pareto_front(points) == std::vector<std::size_t>{1, 0, 3, 2});  // e is dominated by a
  neuroppa::reports::ScatterPlot plot;
  plot.title = "t <&>";
  plot.points = points;
  plot.pareto_min_x_max_y = true;
  const std::string svg = neuroppa::reports::write_svg(plot);
  CHECK(svg == neuroppa::reports::write_svg(plot));
  CHECK(svg.find("t &lt;&amp;&gt;") != std::string::npos);
  CHECK(svg.find("stroke-dasharray") != std::string::npos);
  // A ring round each of the four points on the front.
  std::size_t rings = 0;
  for (std::size_t at = svg.find("r=\"6.5\""); at != std::string::npos; at = svg.find("r=\"6.5\"", at + 1)) ++rings;
  CHECK(rings == 4);
}

TEST_CASE("line plots: log axis in decades, gaps where a value is missing, deterministic") {
  neuroppa::reports::LinePlot plot;
  plot.title = "curves";
  plot.log_y = true;
  plot.series = {{"sharpness", {1, 2, 3, 4}, {5, NAN, 50, 500}}, {"2/lr", {1, 4}, {40, 40}, true}};
  const std::string svg = neuroppa::reports::write_svg(plot);
  CHECK(svg == neuroppa::reports::write_svg(plot));
  for (const char* tick : {">1<", ">10<", ">100<", ">1000<"}) CHECK(svg.find(tick) != std::string::npos);
  // The missing value breaks the sharpness line into two pieces: two moves, one line.
  const std::size_t path = svg.find("<path d=\"M");
  REQUIRE(path != std::string::npos);
  const std::string d = svg.substr(path, svg.find('"', path + 9) - path);
  CHECK(std::count(d.begin(), d.end(), 'M') == 2);
  CHECK(std::count(d.begin(), d.end(), 'L') == 1);
  CHECK(svg.find("stroke-dasharray=\"4 2\"") != std::string::npos);
}
