// neuroppa paper: every table in every format with the same numbers,
// reproducible to the byte apart from the timestamp, plots that a real
// renderer (rsvg-convert) draws into a non-blank image.
#include <doctest/doctest.h>

#include <cmath>
#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <sstream>
#include <zlib.h>

#include "neuroppa/base/file.hpp"
#include "support.hpp"

using neuroppa::test::run_command;
namespace fs = std::filesystem;

namespace {

const std::string kBin = NEUROPPA_BINARY;

std::string without_timestamp(const std::string& text) {
  std::istringstream in(text);
  std::string line, out;
  while (std::getline(in, line))
    if (line.find("generated: ") == std::string::npos) out += line + "\n";
  return out;
}

std::vector<std::string> split(const std::string& line, char sep) {
  std::vector<std::string> cells;
  std::string cell;
  std::istringstream in(line);
  while (std::getline(in, cell, sep)) cells.push_back(cell);
  return cells;
}

std::string trim(const std::string& s) {
  const auto a = s.find_first_not_of(' '), b = s.find_last_not_of(' ');
  return a == std::string::npos ? "" : s.substr(a, b - a + 1);
}

// Table rows of a Markdown table (header and separator dropped).
std::vector<std::vector<std::string>> markdown_rows(const std::string& text) {
  std::vector<std::vector<std::string>> rows;
  std::istringstream in(text);
  std::string line;
  int seen = 0;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] != '|') continue;
    if (seen++ < 2) continue;
    auto cells = split(line.substr(1, line.size() - 2), '|');
    for (auto& c : cells) c = trim(c);
    rows.push_back(cells);
  }
  return rows;
}

// The Markdown cell agrees with the full-precision value to the digits it shows.
bool same_number(const std::string& shown, double value) {
  if (shown == "n/a") return !std::isfinite(value);
  const double v = std::stod(shown);
  const auto dot = shown.find('.');
  const auto e = shown.find('e');
  double half_unit = 0.5;
  if (e != std::string::npos) half_unit = 0.5 * std::pow(10.0, std::stoi(shown.substr(e + 1))) *
                                          std::pow(10.0, -double(e - dot - 1));
  else if (dot != std::string::npos) half_unit = 0.5 * std::pow(10.0, -double(shown.size() - dot - 1));
  return std::fabs(v - value) <= half_unit * 1.0001 + 1e-12;
}

// Minimal PNG reader (8-bit RGB/RGBA, not interlaced: what rsvg-convert writes):
// the share of pixels that are not white.
double non_white_share(const fs::path& png) {
  const std::string data = neuroppa::base::read_file(png);
  REQUIRE(data.substr(1, 3) == "PNG");
  const auto be32 = [&](std::size_t at) {
    return (std::uint32_t(std::uint8_t(data[at])) << 24) | (std::uint32_t(std::uint8_t(data[at + 1])) << 16) |
           (std::uint32_t(std::uint8_t(data[at + 2])) << 8) | std::uint32_t(std::uint8_t(data[at + 3]));
  };
  std::uint32_t width = 0, height = 0, channels = 0;
  std::string idat;
  for (std::size_t at = 8; at + 8 <= data.size();) {
    const std::uint32_t length = be32(at);
    const std::string type = data.substr(at + 4, 4);
    if (type == "IHDR") {
      width = be32(at + 8);
      height = be32(at + 12);
      REQUIRE(data[at + 16] == 8);
      REQUIRE(data[at + 20] == 0);  // not interlaced
      channels = data[at + 17] == 6 ? 4 : data[at + 17] == 2 ? 3 : 0;
      REQUIRE(channels != 0);
    } else if (type == "IDAT") {
      idat += data.substr(at + 8, length);
    }
    at += 12 + length;
  }
  const std::size_t stride = std::size_t{width} * channels;
  std::vector<unsigned char> raw((stride + 1) * height);
  uLongf size = raw.size();
  REQUIRE(uncompress(raw.data(), &size, reinterpret_cast<const Bytef*>(idat.data()), idat.size()) == Z_OK);
  std::vector<unsigned char> image(stride * height), prior(stride, 0);
  std::size_t coloured = 0;
  for (std::uint32_t y = 0; y < height; ++y) {
    const unsigned char filter = raw[y * (stride + 1)];
    unsigned char* row = &image[y * stride];
    const unsigned char* in = &raw[y * (stride + 1) + 1];
    for (std::size_t i = 0; i < stride; ++i) {
      const int a = i >= channels ? row[i - channels] : 0, b = prior[i], c = i >= channels ? prior[i - channels] : 0;
      int predictor = 0;
      if (filter == 1) predictor = a;
      if (filter == 2) predictor = b;
      if (filter == 3) predictor = (a + b) / 2;
      if (filter == 4) {
        const int p = a + b - c, pa = std::abs(p - a), pb = std::abs(p - b), pc = std::abs(p - c);
        predictor = pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
      }
      row[i] = static_cast<unsigned char>(in[i] + predictor);
    }
    std::copy(row, row + stride, prior.begin());
    for (std::uint32_t x = 0; x < width; ++x) {
      const unsigned char* px = row + std::size_t{x} * channels;
      const bool transparent = channels == 4 && px[3] == 0;
      coloured += !transparent && (px[0] < 240 || px[1] < 240 || px[2] < 240);
    }
  }
  return double(coloured) / double(std::size_t{width} * height);
}

}  // namespace

TEST_CASE("paper: tables in four formats with the same numbers, byte-identical reruns, plots that render") {
  const fs::path a = neuroppa::test::temp_dir("paper-a"), b = neuroppa::test::temp_dir("paper-b");
  // --net-K 9: the networks' lanes are the kernels `neuroppa kernels` builds (a cold cache pays once).
  const std::vector<std::string> args = {"-q", "paper", "--lib", "osu018", "--K", "9", "--net-K", "9", "--models",
                                         "mac-mlp,shift-mlp,spike-mlp", "--images", "8", "--beats", "2000"};
  for (const fs::path& dir : {a, b}) {
    std::vector<std::string> argv = {kBin};
    argv.insert(argv.end(), args.begin(), args.end());
    argv.insert(argv.end(), {"--out", dir.string()});
    const auto r = run_command(argv);
    CAPTURE(r.err);
    REQUIRE(r.status == 0);
  }
  const std::vector<std::string> tables = {"t1_kernels", "t2_networks", "t3a_energy_by_cell_group",
                                           "t3b_energy_by_layer", "t3c_memories"};
  const std::vector<std::string> plots = {"energy_vs_accuracy", "kernel_power", "kernel_area", "energy_breakdown"};
  std::vector<std::string> files;
  for (const auto& t : tables)
    for (const char* ext : {".md", ".csv", ".json", ".tex"}) files.push_back(t + ext);
  for (const auto& p : plots) files.push_back(p + ".svg");

  for (const auto& f : files) {
    CAPTURE(f);
    REQUIRE(fs::exists(a / f));
    const std::string first = neuroppa::base::read_file(a / f);
    // Provenance in every file: the command, the tools, the library checksum, the time.
    CHECK(first.find("paper --lib osu018") != std::string::npos);
    CHECK(first.find("Verilator 5.006") != std::string::npos);
    CHECK(first.find("sha256 ") != std::string::npos);
    CHECK(first.find("generated: ") != std::string::npos);
    // The other run differs in its output folder (part of the command line) and its timestamp only.
    std::string second = neuroppa::base::read_file(b / f);
    for (std::size_t at; (at = second.find(b.string())) != std::string::npos;) second.replace(at, b.string().size(), a.string());
    CHECK(without_timestamp(first) == without_timestamp(second));
  }

  for (const auto& t : tables) {
    CAPTURE(t);
    const auto md = markdown_rows(neuroppa::base::read_file(a / (t + ".md")));
    std::vector<std::vector<std::string>> csv;
    std::istringstream in(neuroppa::base::read_file(a / (t + ".csv")));
    std::string line;
    while (std::getline(in, line))
      if (!line.empty() && line[0] != '#') csv.push_back(split(line, ','));
    csv.erase(csv.begin());  // header
    const auto json = nlohmann::json::parse(neuroppa::base::read_file(a / (t + ".json")));
    REQUIRE(md.size() == csv.size());
    REQUIRE(md.size() == json["rows"].size());
    REQUIRE(!md.empty());
    const auto& columns = json["columns"];
    for (std::size_t r = 0; r < md.size(); ++r)
      for (std::size_t c = 0; c < md[r].size(); ++c) {
        CAPTURE(md[r][c]);
        const auto& cell = json["rows"][r][columns[c]["name"].get<std::string>()];
        if (cell.is_string()) {
          CHECK(cell.get<std::string>() == md[r][c]);
          continue;
        }
        const double value = cell.is_null() ? NAN : cell.get<double>();
        CHECK(same_number(md[r][c], value));
        if (std::isfinite(value)) CHECK(std::stod(csv[r][c]) == doctest::Approx(value).epsilon(1e-12));
      }
  }
  const std::string t1 = neuroppa::base::read_file(a / "t1_kernels.md");
  CHECK(t1.find("7.51–8.19× lower power and 3.89–4.33× lower area") != std::string::npos);
  CHECK(t1.find("its synapse datapath alone") != std::string::npos);
  // The synapse datapath's own savings: measured for every kind (none is built as chain by default),
  // 1 for mac against itself, and larger than the whole kernel's for threshold (the shared blocks dilute).
  const auto t1_json = nlohmann::json::parse(neuroppa::base::read_file(a / "t1_kernels.json"));
  for (const auto& row : t1_json["rows"]) {
    CAPTURE(row.dump());
    REQUIRE(row["synapse power saving"].is_number());
    REQUIRE(row["synapse area saving"].is_number());
    if (row["kernel"] == "mac") CHECK(row["synapse area saving"].get<double>() == doctest::Approx(1));
    if (row["kernel"] == "threshold")
      CHECK(row["synapse area saving"].get<double>() > row["area saving"].get<double>());
    // osu018 ships its Verilog cell models: every kernel also timed with their specify delays, another
    // delay model, another saving (mac's own: 1).
    REQUIRE(row["specify-delay power"].is_number());
    CHECK(row["specify-delay power"].get<double>() > 0);
    if (row["kernel"] == "mac") CHECK(row["specify-delay power saving"].get<double>() == doctest::Approx(1));
    if (row["kernel"] == "threshold")
      CHECK(row["specify-delay power saving"].get<double>() != doctest::Approx(row["power saving"].get<double>()));
  }
  CHECK(t1.find("Delay models: with the fixed specify-block delays") != std::string::npos);
  const std::string t2 = neuroppa::base::read_file(a / "t2_networks.md");
  CHECK(t2.find("more energy-efficient with memories") != std::string::npos);
  CHECK(t2.find("on the lanes alone (claimed ≥ 1.4×)") != std::string::npos);
  // Memories priced: in every model's energy, and by memory in T3c.
  const auto t2_json = nlohmann::json::parse(neuroppa::base::read_file(a / "t2_networks.json"));
  for (const auto& row : t2_json["rows"]) {
    CAPTURE(row.dump());
    CHECK(row["memories"].get<double>() > 0);
    CHECK(row["energy/inference"].get<double>() ==
          doctest::Approx(row["lanes"].get<double>() + row["memories"].get<double>()).epsilon(1e-3));
  }
  const auto t3c = nlohmann::json::parse(neuroppa::base::read_file(a / "t3c_memories.json"));
  REQUIRE(t3c["rows"].size() == 3);
  for (const auto& row : t3c["rows"]) {
    CHECK(row["weight memory area"].get<double>() > 0);
    CHECK(row["memories / all energy"].get<double>() > 0);
  }
  CHECK(t3c["rows"][2]["membrane memory energy"].get<double>() > 0);  // spike-mlp
  CHECK(t2.find("27× less power, only 5× less energy") != std::string::npos);

  for (const auto& p : plots) {
    CAPTURE(p);
    const fs::path png = a / (p + ".png");
    const auto r = run_command({"rsvg-convert", "-o", png.string(), (a / (p + ".svg")).string()});
    CAPTURE(r.err);
    REQUIRE(r.status == 0);
    const double share = non_white_share(png);
    CHECK(share > 0.01);  // axes, bars, points and text: not a blank image
    CHECK(share < 0.9);   // nor a filled one
  }
}

TEST_CASE("paper --kinds with a kernel package: T1 rows beside mac, its network in T2, the package named") {
  const fs::path dir = neuroppa::test::temp_dir("paper-package");
  const std::string packages = (neuroppa::test::source_dir() / "examples" / "kernels").string();
  const std::string model = (dir / "ternary-mlp.json.gz").string();
  const auto trained = run_command({kBin, "-q", "train", "--kernel-path", packages, "--kind", "ternary", "--arch",
                                    "d32,d10", "--epochs", "1", "--train-images", "2000", "--test-images", "200",
                                    "--out", model});
  CAPTURE(trained.err);
  REQUIRE(trained.status == 0);
  const fs::path out = dir / "paper";
  const auto r = run_command({kBin, "-q", "paper", "--lib", "osu018", "--K", "9", "--net-K", "9", "--kinds", "ternary",
                              "--kernel-path", packages, "--models", "mac-mlp," + model, "--images", "4", "--beats",
                              "1000", "--out", out.string()});
  CAPTURE(r.err);
  REQUIRE(r.status == 0);
  const auto t1 = nlohmann::json::parse(neuroppa::base::read_file(out / "t1_kernels.json"));
  std::vector<std::string> kernels;
  for (const auto& row : t1["rows"]) kernels.push_back(row["kernel"].get<std::string>());
  CHECK(kernels == std::vector<std::string>{"mac", "ternary"});  // mac always, first
  const auto t2 = nlohmann::json::parse(neuroppa::base::read_file(out / "t2_networks.json"));
  REQUIRE(t2["rows"].size() == 2);
  const auto& ternary = t2["rows"][1];
  CHECK(ternary["model"] == "ternary-mlp");  // a file's name, without folder and extensions
  // Compared with mac-mlp, the mac model of its family: a ratio, not n/a.
  CHECK(ternary["energy vs mac"].is_number());
  const std::string md = neuroppa::base::read_file(out / "t2_networks.md");
  CHECK(md.find("Kernel packages: ternary from " + packages + "/ternary (hash ") != std::string::npos);
}
