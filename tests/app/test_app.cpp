// The commands' work as app/ functions, called in-process.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "neuroppa/app/context.hpp"
#include "neuroppa/app/kernels.hpp"
#include "neuroppa/app/paper.hpp"
#include "neuroppa/app/train.hpp"
#include "neuroppa/base/error.hpp"
#include "neuroppa/base/file.hpp"
#include "kernel_fixtures.hpp"
#include "support.hpp"

using namespace neuroppa;
namespace fs = std::filesystem;

namespace {

app::KernelRow row(const std::string& lib, models::KernelKind kind, double area, double power_w) {
  app::KernelRow r;
  r.lib = lib;
  r.cost.params = test::default_kernel(kind);
  r.cost.area.total = area;
  r.cost.area.cells = 100;
  r.cost.timing.min_period = 10e-9;
  r.cost.power.frequency = 50e6;
  r.cost.power.cycles = 1000;
  r.cost.power.total.internal = power_w;
  r.cost.beats = 1000;
  return r;
}

double cell(const reports::Table& t, std::size_t r, std::size_t c) { return std::get<double>(t.rows[r][c]); }

}  // namespace

TEST_CASE("kernel cost table: savings against mac on the same library, a library column for several") {
  using models::KernelKind;
  const std::vector<app::KernelRow> one = {row("a", neuroppa::models::kind_named("mac"), 1000, 4e-3), row("a", neuroppa::models::kind_named("threshold"), 250, 1e-3)};
  const reports::Table t = app::kernel_cost_table(one);
  REQUIRE(t.columns.size() == 12);
  CHECK(t.columns[0].name == "kernel");
  CHECK(t.columns[2].name == "x bits");
  CHECK(cell(t, 0, 2) == 8);                       // mac's 8-bit activations
  CHECK(cell(t, 0, 9) == doctest::Approx(1.0));   // mac against itself
  CHECK(cell(t, 1, 9) == doctest::Approx(4.0));   // power saving
  CHECK(cell(t, 1, 10) == doctest::Approx(4.0));  // area saving
  CHECK(cell(t, 1, 11) == doctest::Approx(4.0));  // energy per op, same beats and K
  const std::vector<app::KernelRow> two = {row("a", neuroppa::models::kind_named("mac"), 1000, 4e-3), row("b", neuroppa::models::kind_named("mac"), 500, 1e-3),
                                           row("b", neuroppa::models::kind_named("shift"), 250, 0.5e-3)};
  const reports::Table u = app::kernel_cost_table(two);
  REQUIRE(u.columns.size() == 13);
  CHECK(u.columns[0].name == "library");
  CHECK(std::get<std::string>(u.rows[2][0]) == "b");
  CHECK(cell(u, 2, 10) == doctest::Approx(2.0));  // against b's mac, not a's
}

TEST_CASE("paper: the tables come from app::write_paper, in-process, as written to every file") {
  app::PaperRequest r;
  r.out = test::temp_dir("paper-app");
  r.libs = {"osu018"};
  r.Ks = {9};
  r.net_K = 9;  // the lanes are the kernels `neuroppa kernels` builds (a cold cache pays once)
  r.models = {"mac-mlp", "threshold-mlp"};
  r.images = 4;
  r.beats = 1000;
  app::Context context;
  context.cache_dir = test::model_cache_dir();
  context.command_line = "test";
  const app::PaperResult result = app::write_paper(r, context);
  REQUIRE(result.tables.size() == 5);
  CHECK(result.tables[0].first == "t1_kernels");
  CHECK(result.tables[4].first == "t3c_memories");
  CHECK(result.files.size() == 5 * 4 + 4);  // five tables in four formats, four plots
  for (const auto& f : result.files) CHECK(fs::exists(f));

  const reports::Table& t1 = result.tables[0].second;
  REQUIRE(t1.rows.size() == 5);  // five kinds at K=9 on one library
  const auto column_of = [](const reports::Table& t, std::string_view name) {
    for (std::size_t c = 0; c < t.columns.size(); ++c)
      if (t.columns[c].name == name) return c;
    FAIL(t.title, " has no column ", name);
    return std::size_t{0};
  };
  const auto column = [&](std::string_view name) { return column_of(t1, name); };
  for (const auto& row : t1.rows) {
    const std::string kind = std::get<std::string>(row[column("kernel")]);
    const double power_saving = std::get<double>(row[column("power saving")]);
    const double area_saving = std::get<double>(row[column("area saving")]);
    CHECK(std::get<std::string>(row[column("arch")]) == models::to_string(models::default_arch(
                                                             *models::parse_kernel_kind(kind))));
    CAPTURE(kind);
    if (kind == "mac") {
      CHECK(power_saving == doctest::Approx(1.0));
    } else if (kind == "sigma-delta") {
      // 4-bit graded spikes against mac's 8-bit activations: narrower multipliers, but an end of
      // timestep (sigma, act and residue in and out, rounding, two shifts) far dearer than mac's
      // output stage, so the kernel costs about as much as mac.
      CHECK(power_saving > 0.5);
      CHECK(power_saving < 3.0);
      CHECK(area_saving > 0.5);
      CHECK(area_saving < 3.0);
    } else {
      CHECK(power_saving > 1.2);  // every other kind is cheaper than mac on these designs
      CHECK(area_saving > 1.2);
    }
  }
  // The note quotes threshold's own savings (one row at K = 9: each range is that value).
  for (const auto& row : t1.rows)
    if (std::get<std::string>(row[column("kernel")]) == "threshold") {
      const auto quoted = [&](std::string_view name, std::string_view what) {
        const double v = std::get<double>(row[column(name)]);
        return fmt::format("{:.2f}–{:.2f}× {}", v, v, what);
      };
      REQUIRE(!t1.notes.empty());
      CAPTURE(t1.notes[0]);
      CHECK(t1.notes[0].find("kernel saves " + quoted("power saving", "power")) != std::string::npos);
      CHECK(t1.notes[0].find(quoted("area saving", "area") + " (") != std::string::npos);
      CHECK(t1.notes[0].find("alone (the K terms, without the adders, accumulator, output stage and registers every "
                             "kernel shares) saves " + quoted("synapse power saving", "power")) != std::string::npos);
    }
  const reports::Table& t2 = result.tables[1].second;
  REQUIRE(t2.rows.size() == 2);
  CHECK(std::get<std::string>(t2.rows[0][0]) == "mac-mlp");
  const std::size_t vs_mac = column_of(t2, "energy vs mac");
  CHECK(std::get<double>(t2.rows[0][vs_mac]) == doctest::Approx(1.0));
  CHECK(std::get<double>(t2.rows[1][vs_mac]) > 1.0);
  // Its note sets threshold against mac: energy both ways and the full-test-set accuracies.
  CHECK(std::any_of(t2.notes.begin(), t2.notes.end(), [](const std::string& n) {
    return n.starts_with("Threshold against MAC (mlp): ") && n.find("accuracy 0.8780 against 0.8733") != std::string::npos;
  }));
  // T3c prices the memories of both networks; neither is spiking, so no membrane memory.
  const reports::Table& t3c = result.tables[4].second;
  REQUIRE(t3c.rows.size() == 2);
  for (const auto& row : t3c.rows) {
    CHECK(std::get<double>(row[1]) > 0);             // weight memory energy
    CHECK(std::get<double>(row[2]) > 0);             // activation buffers energy
    CHECK(std::isnan(std::get<double>(row[3])));     // membrane memory
    CHECK(std::get<double>(row[4]) > 0);             // weight memory area
    CHECK(std::get<double>(row[7]) > 0);
    CHECK(std::get<double>(row[7]) < 100);           // memories' share of all energy
  }
  // What was returned is what was written.
  CHECK(base::read_file(r.out / "t1_kernels.md") == reports::write(t1, reports::Format::markdown));
  CHECK(base::read_file(r.out / "t2_networks.csv") == reports::write(t2, reports::Format::csv));
}

TEST_CASE("read_library: Liberty warnings go to the context, ten and a count of the rest") {
  std::string text = "library (warns) {\n  time_unit : \"1ns\";\n";
  for (int i = 0; i < 12; ++i)
    text += fmt::format("  cell (c{0}) {{ area : 1; pin (Y) {{ direction : output; function : \"1\"; }}\n"
                        "    pin (Z) {{ direction : output; function : \"Y\"; timing () {{ related_pin : \"Y\"; }} }} }}\n", i);
  text += "}\n";
  const auto path = test::write_temp_file("warns.lib", text);
  app::Context context;
  std::vector<std::string> said;
  context.warning = [&](std::string_view line) { said.emplace_back(line); };
  const tech::Library lib = app::read_library(path.string(), context);
  CHECK(lib.cells.size() == 12);
  REQUIRE(said.size() == 11);
  CHECK(said[0].find("warns.lib:4: cell 'c0' pin 'Z': timing group from output pin 'Y'") != std::string::npos);
  CHECK(said[10] == path.string() + ": 2 more warnings like these");
}

TEST_CASE("train: a diverging run names its step and leaves the model file as it was") {
  app::TrainRequest r;
  r.out = test::temp_dir("train-diverging") / "model.json.gz";
  base::write_file(r.out, "the last good model");
  r.train.arch = "d32,d10";
  r.train.epochs = 1;
  r.train.train_images = 640;
  r.train.test_images = 100;
  r.train.optimizer = models::Optimizer::sgd;
  r.train.learning_rate = 1e38;  // beyond --lr's range: the logits overflow
  app::Context context;
  context.cache_dir = test::model_cache_dir();
  CHECK_THROWS_WITH_AS(app::train(r, context), doctest::Contains("training diverged"), Error);
  CHECK(base::read_file(r.out) == "the last good model");
}
