// neuroppa sweep as a user runs it: bad sweep files refused before anything
// runs, a local sweep, its resumption after a kill, a failing point recorded
// without stopping the others, and collect.
#include <doctest/doctest.h>
#include <fmt/format.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <thread>

#include "neuroppa/base/file.hpp"
#include "support.hpp"

namespace fs = std::filesystem;
using neuroppa::test::run_command;

namespace {

const std::string kBin = NEUROPPA_BINARY;

fs::path write_sweep(const fs::path& dir, const std::string& name, const std::string& text) {
  fs::create_directories(dir);
  neuroppa::base::write_file(dir / name, text);
  return dir / name;
}

// A sweep file refused: exit 2, one line naming file:line and `what`.
void check_refused(const std::string& text, const std::string& what) {
  const fs::path file = write_sweep(neuroppa::test::temp_dir("sweep-bad"), "bad.toml", text);
  const auto r = run_command({kBin, "sweep", "plan", file.string()});
  CAPTURE(text);
  CAPTURE(r.err);
  CHECK(r.status == 2);
  CHECK(std::count(r.err.begin(), r.err.end(), '\n') == 1);
  CHECK(r.err.find(file.string() + ":" + what) != std::string::npos);
  CHECK(!fs::exists(file.parent_path() / "bad-results"));  // nothing ran, nothing was written
}

const std::string kRuns = R"(# two models at RTL, two lane counts
name = "runs"
command = "run"

[axes]
model = ["mac-mlp", "shift-mlp"]
lanes = [8, 16]

[options]
images = 10
threads = 1
check = true
)";

std::size_t tables_done(const fs::path& results) {
  std::size_t n = 0;
  if (fs::exists(results / "points"))
    for (const auto& e : fs::directory_iterator(results / "points")) n += fs::exists(e.path() / "table.json");
  return n;
}

}  // namespace

TEST_CASE("sweep files: each fault one line with file:line and the fix, before anything runs") {
  check_refused("command = \"run\"\n[axes]\nmodel = [\"mac-mlp\"]\nvoltage = [1, 2]\n",
                "4: unknown axis 'voltage': neuroppa run has no option --voltage");
  check_refused("command = \"run\"\n[axes]\nmodel = [\"mac-mlp\"]\nimages = [10, 0]\n",
                "4: axis 'images' value 0 is refused: --images 0: choose 1..10000");
  check_refused("command = \"kernels\"\n[axes]\nK = [9, 25, 9]\n",
                "3: axis 'K' lists 9 twice: that would be a duplicate point; remove one");
  check_refused("name = \"x\"\n[axes]\nK = [9]\n", "1: no 'command': add command = \"kernels\" or command = \"run\"");
  check_refused("command = \"run\"\n[axes]\nmodel = [\"mac-mlp\"\n", "4: not valid TOML");
  check_refused("command = \"run\"\ncolour = \"blue\"\n[axes]\nmodel = [\"mac-mlp\"]\n", "2: unknown key 'colour'");
  check_refused("command = \"verify\"\n[axes]\nepochs = [1]\n", "1: command 'verify': a sweep runs kernels, run or train");
  check_refused("command = \"run\"\n[axes]\nmodel = [\"mac-mlp\"]\n[options]\nformat = \"csv\"\n",
                "5: 'format' cannot be set: the sweep sets --format itself");
  check_refused("command = \"run\"\n[axes]\nmodel = [\"mac-mlp\"]\n[slurm]\nmem = \"lots\"\n",
                "5: slurm.mem 'lots': give megabytes or a size like \"4G\" or \"500M\"");
  std::string deep = "command = \"run\"\n[axes]\nmodel = ";
  for (int i = 0; i < 100000; ++i) deep += "[";
  check_refused(deep, "3: brackets nested more than 32 deep");
  // fuzz_sweep: bytes that are not UTF-8 in a multi-line string sent toml11
  // reading past its buffer; they are refused before toml11 sees them.
  check_refused("command = \"run\"\n[axes]\nmodel = '''mac\xf8-mlp\n",
                "3: not valid UTF-8 (byte 0xF8); TOML is UTF-8 text");
  check_refused("command = \"run\"\nname = \"caf\xc3\"\n", "2: not valid UTF-8 (byte 0xC3)");
  check_refused("command = \"run\"\n# \xed\xa0\x80 a surrogate\n", "2: not valid UTF-8 (byte 0xED)");
  check_refused("command = \"run\"\n[axes]\nmodel = [\"mac-mlp\"]\n[then]\ncommand = \"run\"\n",
                "4: [then] follows a train sweep (it runs each point's model); this one runs run");
  check_refused("command = \"train\"\n[axes]\nseed = [1]\n[then]\nimages = 5\n",
                "4: [then] needs command = \"run\"");
  check_refused("command = \"train\"\n[axes]\nseed = [1]\n[then]\ncommand = \"run\"\nepochs = 2\n",
                "6: unknown option 'epochs': neuroppa run has no option --epochs");
  check_refused("command = \"train\"\n[axes]\nseed = [1]\n[then]\ncommand = \"run\"\nimages = 0\n",
                "4: the [then] options are refused: --images 0");
  check_refused("command = \"run\"\n[axes]\nmodel = [\"mac-mlp\"]\n[plot]\nx = \"energy per inference\"\n",
                "4: [plot] needs x and y");
  check_refused("command = \"run\"\n[axes]\nmodel = [\"mac-mlp\"]\n[plot]\nx = \"a\"\ny = \"b\"\nwith = [\"no.toml\"]\n",
                "7: plot.with: no sweep file");
}

TEST_CASE("sweep --executor slurm without sbatch: one line saying what to install") {
  const fs::path file = write_sweep(neuroppa::test::temp_dir("sweep-nosbatch"), "runs.toml", kRuns);
  const auto r = run_command({"/usr/bin/env", "PATH=/nonexistent", kBin, "sweep", "run", file.string(), "--executor", "slurm"});
  CAPTURE(r.err);
  CHECK(r.status == 2);
  CHECK(r.err.find("sbatch") != std::string::npos);
  CHECK(r.err.find("slurm-client") != std::string::npos);
}

TEST_CASE("sweep run locally: plan, run, nothing again on a rerun, resume after a kill, collect") {
  const fs::path dir = neuroppa::test::temp_dir("sweep-local");
  const fs::path file = write_sweep(dir, "runs.toml", kRuns);
  const fs::path results = dir / "runs-results";
  const std::string cache = neuroppa::test::model_cache_dir().string();

  auto r = run_command({kBin, "sweep", "plan", file.string(), "--format", "csv"});
  REQUIRE(r.status == 0);
  CHECK(std::count(r.out.begin(), r.out.end(), '\n') == 1 + 4);  // header and four points
  CHECK(r.out.find("0,") != std::string::npos);

  // Killed once the first point is done: what was done stays done.
  const pid_t pid = fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    ::execl(kBin.c_str(), kBin.c_str(), "--quiet", "--cache-dir", cache.c_str(), "sweep", "run", file.string().c_str(),
            "--jobs", "1", static_cast<char*>(nullptr));
    ::_exit(127);
  }
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
  while (tables_done(results) == 0 && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  ::kill(pid, SIGKILL);
  ::waitpid(pid, nullptr, 0);
  std::this_thread::sleep_for(std::chrono::seconds(2));  // a point's own process may still finish
  const std::size_t done_before = tables_done(results);
  REQUIRE(done_before >= 1);
  REQUIRE(done_before < 4);
  std::vector<fs::file_time_type> stamps;
  for (const auto& e : fs::directory_iterator(results / "points"))
    if (fs::exists(e.path() / "table.json")) stamps.push_back(fs::last_write_time(e.path() / "table.json"));

  r = run_command({kBin, "--cache-dir", cache, "sweep", "run", file.string()});
  CAPTURE(r.err);
  REQUIRE(r.status == 0);
  CHECK(r.err.find(fmt::format("4 points, {} done already; running {}", done_before, 4 - done_before)) != std::string::npos);
  CHECK(r.out.find("4 points done, 0 failed, 0 not run") != std::string::npos);
  std::size_t unchanged = 0;
  for (const auto& e : fs::directory_iterator(results / "points"))
    unchanged += std::count(stamps.begin(), stamps.end(), fs::last_write_time(e.path() / "table.json"));
  CHECK(unchanged == done_before);  // not run again

  r = run_command({kBin, "--cache-dir", cache, "sweep", "run", file.string()});
  CHECK(r.err.find("all 4 points are done; nothing to run") != std::string::npos);

  r = run_command({kBin, "sweep", "status", file.string()});
  CHECK(r.out.find("4 points: 4 done, 0 failed, 0 not done") != std::string::npos);

  // collect: a row per point, and the values equal what `neuroppa run` prints for that point.
  r = run_command({kBin, "sweep", "collect", file.string(), "--format", "json"});
  REQUIRE(r.status == 0);
  const auto table = nlohmann::json::parse(r.out);
  REQUIRE(table.at("rows").size() == 4);
  CHECK(table["rows"][3]["model"] == "shift-mlp");
  CHECK(table["rows"][3]["lanes"] == "16");
  const auto direct = run_command({kBin, "--quiet", "--cache-dir", cache, "run", "--model", "shift-mlp", "--lanes", "16",
                                   "--images", "10", "--threads", "1", "--format", "json"});
  REQUIRE(direct.status == 0);
  const auto direct_doc = nlohmann::json::parse(direct.out);  // not a temporary: the loop outlives it
  for (const auto& row : direct_doc[0]["rows"]) {
    const std::string quantity = row["quantity"];
    if (quantity.find("cycles per inference") != std::string::npos || quantity.find("accuracy (platform)") != std::string::npos)
      CHECK(table["rows"][3][quantity] == row["value"]);
  }
  for (const char* ext : {"md", "csv", "json", "tex"}) CHECK(fs::exists(results / fmt::format("collected.{}", ext)));
}

TEST_CASE("sweep: a failing point is recorded with its error and does not stop the others") {
  const fs::path dir = neuroppa::test::temp_dir("sweep-fail");
  const fs::path file = write_sweep(dir, "mem.toml", R"(command = "run"
[axes]
mem = ["standard", "standard,weights.capacity=1KiB"]
[options]
model = "mac-mlp"
images = 5
threads = 1
)");
  const std::string cache = neuroppa::test::model_cache_dir().string();
  auto r = run_command({kBin, "--cache-dir", cache, "sweep", "run", file.string()});
  CAPTURE(r.err);
  CHECK(r.status == 1);
  CHECK(r.out.find("1 points done, 1 failed") != std::string::npos);
  CHECK(r.err.find("failed mem=standard,weights.capacity=1KiB") != std::string::npos);
  CHECK(r.err.find("too small") != std::string::npos);
  r = run_command({kBin, "sweep", "collect", file.string(), "--format", "md"});
  CHECK(r.status == 1);
  CHECK(r.out.find("| standard |") != std::string::npos);  // the done point's row
  CHECK(r.out.find("FAILED (mem=standard,weights.capacity=1KiB): exit status 2") != std::string::npos);  // the failure, in the notes
  CHECK(r.err.find("point 1 (") != std::string::npos);
}

TEST_CASE("sweep over a kernel package: its kind is an axis value, and an edited package is a new point") {
  const fs::path dir = neuroppa::test::temp_dir("sweep-package");
  fs::create_directories(dir / "packages");
  fs::copy(neuroppa::test::source_dir() / "examples" / "kernels" / "ternary", dir / "packages" / "ternary",
           fs::copy_options::recursive);
  const fs::path file = write_sweep(dir, "pk.toml", R"(name = "packages"
command = "kernels"

[axes]
kinds = ["mac,ternary"]
K = [2]

[options]
kernel-path = "packages"
beats = 200
)");
  const auto key = [&] {
    const auto r = run_command({kBin, "sweep", "plan", file.string(), "--format", "json"});
    REQUIRE(r.status == 0);
    return nlohmann::json::parse(r.out)["rows"][0]["key"].get<std::string>();
  };
  const std::string before = key();
  const auto ran = run_command({kBin, "-q", "sweep", "run", file.string()});
  CAPTURE(ran.err);
  REQUIRE(ran.status == 0);
  const auto collected = run_command({kBin, "sweep", "collect", file.string(), "--format", "json"});
  REQUIRE(collected.status == 0);
  const auto rows = nlohmann::json::parse(collected.out)["rows"];
  REQUIRE(rows.size() == 2);
  CHECK(rows[1]["kernel"] == "ternary");
  CHECK(rows[1]["power saving"].get<double>() > 1);

  // The same command line over other package contents: not the cached result.
  const fs::path golden = dir / "packages" / "ternary" / "golden.cpp";
  neuroppa::base::write_file(golden, neuroppa::base::read_file(golden) + "\n// edited\n");
  CHECK(key() != before);
}

TEST_CASE("a training sweep: each point's model and curves in its own folder, accuracies collected") {
  const fs::path dir = neuroppa::test::temp_dir("sweep-train");
  const fs::path file = write_sweep(dir, "study.toml", R"(name = "study"
command = "train"

[axes]
lr = [0.05, 0.5]

[options]
kind = "threshold"
optimizer = "sgd"
arch = "d16,d10"
epochs = 1
train-images = 640
test-images = 200
sharpness = 5
)");
  auto r = run_command({kBin, "-q", "sweep", "run", file.string(), "--jobs", "2"});
  CAPTURE(r.err);
  REQUIRE(r.status == 0);
  std::size_t models = 0;
  for (const auto& point : fs::directory_iterator(dir / "study-results" / "points")) {
    CHECK(fs::exists(point.path() / "model.json.gz"));
    CHECK(neuroppa::base::read_file(point.path() / "model.curves.csv").starts_with("step,phase,epoch,lr,"));
    CHECK(fs::exists(point.path() / "model.curves.svg"));
    ++models;
  }
  CHECK(models == 2);
  r = run_command({kBin, "-q", "sweep", "collect", file.string(), "--format", "json"});
  REQUIRE(r.status == 0);
  const auto table = nlohmann::json::parse(r.out);
  REQUIRE(table["rows"].size() == 2);
  CHECK(table["rows"][0]["final training loss"] != table["rows"][1]["final training loss"]);
  for (const auto& row : table["rows"]) {
    CHECK(row["integer test accuracy"].get<double>() > 0.1);  // 10 steps: above chance
    CHECK(row["final sharpness"].get<double>() > 0);
    CHECK(row["2/lr at the end"].get<double>() == doctest::Approx(row["lr"] == "0.05" ? 80.0 : 8.0));
  }
}

TEST_CASE("a training sweep with [then]: each point's model runs on the platform; [plot] draws the collected columns") {
  const fs::path dir = neuroppa::test::temp_dir("sweep-then");
  write_sweep(dir, "refs.toml", R"(name = "refs"
command = "run"
[axes]
model = ["mac-mlp"]
[options]
images = 20
threads = 1
)");
  // The plot names the recorded accuracy as run called it before the count of
  // test images got a row of its own ("..., full test set)"): still plotted.
  const fs::path file = write_sweep(dir, "bt.toml", R"toml(name = "bt"
command = "train"

[axes]
timesteps = [3, 4]

[options]
kind = "sigma-delta"
XW = 4
arch = "d16,d10"
epochs = 1
train-images = 640
test-images = 200

[then]
command = "run"
model = "{point}/model.json.gz"
images = 20
threads = 1
check = true

[plot]
x = "bits moved per inference (compute layers' outputs)"
y = "accuracy recorded at training (integer network, full test set)"
label = "T={timesteps}"
with = ["refs.toml"]
)toml");
  auto r = run_command({kBin, "-q", "sweep", "plan", file.string()});
  CHECK(r.out.find("; then neuroppa run --model {point}/model.json.gz --images 20") != std::string::npos);
  REQUIRE(run_command({kBin, "-q", "sweep", "run", (dir / "refs.toml").string()}).status == 0);
  r = run_command({kBin, "-q", "sweep", "run", file.string(), "--jobs", "2"});
  CAPTURE(r.err);
  REQUIRE(r.status == 0);
  for (const auto& point : fs::directory_iterator(dir / "bt-results" / "points")) {
    CHECK(fs::exists(point.path() / "model.json.gz"));
    CHECK(fs::exists(point.path() / "train.json"));  // train's own table, beside run's
  }
  r = run_command({kBin, "-q", "sweep", "collect", file.string(), "--format", "json"});
  CAPTURE(r.err);
  REQUIRE(r.status == 0);
  const auto table = nlohmann::json::parse(r.out);
  REQUIRE(table["rows"].size() == 2);
  // run's own "timesteps" is the axis column, not a second column of the same name.
  CHECK(std::count_if(table["columns"].begin(), table["columns"].end(),
                      [](const auto& c) { return c["name"] == "timesteps"; }) == 1);
  for (const auto& row : table["rows"]) {
    CHECK(row["graded spike bits (B)"].get<double>() == 4);
    CHECK(row["mean bits per event (nonzero spike)"].get<double>() <= 4);
    // The recorded accuracy and, beside it, the test images it was measured on (train --test-images 200).
    CHECK(row["accuracy recorded at training (integer network)"].get<double>() > 0.1);
    CHECK(row["measured on the first test images"].get<double>() == 200);
  }
  CHECK(r.err.find("bt-results/collected.svg") != std::string::npos);
  const std::string svg = neuroppa::base::read_file(dir / "bt-results" / "collected.svg");
  for (const char* label : {">T=3<", ">T=4<", ">mac-mlp<", ">refs<", ">bt<"}) {
    CAPTURE(label);
    CHECK(svg.find(label) != std::string::npos);
  }

  // A column none of the tables has: one line naming it and the columns there are.
  std::string text = neuroppa::base::read_file(file);
  text.replace(text.find("x = \"bits moved"), 9, "x = \"volts");
  write_sweep(dir, "bt.toml", text);
  r = run_command({kBin, "-q", "sweep", "collect", file.string()});
  CHECK(r.status == 2);
  CHECK(r.err.find("plot column 'volts moved per inference (compute layers' outputs)' is not in the collected table") !=
        std::string::npos);
}
