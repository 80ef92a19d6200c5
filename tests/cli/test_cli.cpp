// The neuroppa command as a user runs it.
#include <doctest/doctest.h>

#include <algorithm>
#include <map>
#include <set>
#include <unistd.h>
#include <nlohmann/json.hpp>

#include "neuroppa/base/file.hpp"
#include "neuroppa/sim/kernel_models.hpp"
#include "neuroppa/tech/sdf.hpp"
#include "neuroppa/tech/timed_activity.hpp"
#include "support.hpp"

using neuroppa::test::run_command;

namespace {

const std::string kBin = NEUROPPA_BINARY;

int lines(const std::string& text) { return static_cast<int>(std::count(text.begin(), text.end(), '\n')); }

// An invalid invocation: exit 2, nothing on stdout, one line on stderr naming `what`.
void check_one_line_error(std::vector<std::string> args, const std::string& what) {
  args.insert(args.begin(), kBin);
  const auto r = run_command(args);
  CAPTURE(r.err);
  CHECK(r.status == 2);
  CHECK(r.out.empty());
  CHECK(lines(r.err) == 1);
  CHECK(r.err.find(what) != std::string::npos);
}

}  // namespace

TEST_CASE("--help and --version") {
  auto r = run_command({kBin, "--help"});
  CHECK(r.status == 0);
  CHECK(r.out.find("verify") != std::string::npos);
  r = run_command({kBin, "verify", "--help"});
  CHECK(r.status == 0);
  for (const char* opt : {"--kinds", "--K", "--XW", "--WW", "--AW", "--beats", "--seed"})
    CHECK(r.out.find(opt) != std::string::npos);
  r = run_command({kBin, "--version"});
  CHECK(r.status == 0);
  CHECK(r.out.find("neuroppa 0.") == 0);
}

TEST_CASE("invalid parameters: one clear line each, exit 2") {
  check_one_line_error({"verify", "--K", "0"}, "K=0");
  check_one_line_error({"verify", "--XW", "0"}, "XW=0");
  check_one_line_error({"verify", "--kinds", "mac", "--AW", "12"}, "AW=12");
  check_one_line_error({"verify", "--kinds", "shift", "--WW", "8"}, "WW=8");
  check_one_line_error({"verify", "--kinds", "mult"}, "unknown kernel");
  check_one_line_error({"verify", "--beats", "0"}, "--beats");
  check_one_line_error({"verify", "--seed", "-1"}, "--seed -1: give a whole number");
  check_one_line_error({"kernels", "--beats", "2e4"}, "--beats 2e4: give a whole number");
  check_one_line_error({"train", "--kind", "mac", "--lr", "-0.1"}, "--lr -0.1: choose");
  // Refused before the dataset is read (they used to be checked after, or not at all).
  check_one_line_error({"train", "--train-images", "70000"}, "--train-images 70000: choose 0..60000");
  check_one_line_error({"train", "--epochs", "0"}, "--epochs 0: choose 1..1000");
  check_one_line_error({"train", "--batch", "0"}, "--batch 0: choose 1..60000");
  check_one_line_error({"train", "--timesteps", "0"}, "--timesteps 0: choose 1..10000");
  check_one_line_error({"train", "--epochs", "2.5"}, "--epochs 2.5: give a whole number");
}

TEST_CASE("renamed options are refused with the new spelling") {
  check_one_line_error({"verify", "--kernel", "mac"}, "--kernel is no longer an option: use --kinds");
  check_one_line_error({"kernels", "--libs", "osu018"}, "--libs is no longer an option: use --lib");
  check_one_line_error({"paper", "--libs", "osu018"}, "--libs is no longer an option: use --lib");
  check_one_line_error({"train", "--learn-scale"}, "--learn-scale is no longer an option: use --layer-scale learnt");
  check_one_line_error({"train", "--layer-scale", "float"}, "--layer-scale float: unknown; choose learnt or fixed");
  check_one_line_error({"paper", "--images", "0"}, "--images 0: choose 1..10000");
  check_one_line_error({"run", "--model", "mac-mlp", "--K", "0"}, "--K 0: choose 1..1024");
}

TEST_CASE("verify on a parameter set no other test uses, then again from the cache") {
  const std::vector<std::string> args = {kBin, "verify", "--K", "7", "--XW", "5", "--WW", "5",
                                         "--AW", "30", "--beats", "30000", "--seed", "11"};
  auto r = run_command(args);
  CAPTURE(r.out);
  CAPTURE(r.err);
  REQUIRE(r.status == 0);
  CHECK(r.out.find("PASS: 5 of 5 kernels") != std::string::npos);
  CHECK(std::count(r.out.begin(), r.out.end(), '\n') == 6);
  r = run_command(args);
  REQUIRE(r.status == 0);
  // Every model comes from the cache the second time.
  CHECK(r.out.find("model built") == std::string::npos);
  CHECK(r.err.find("building") == std::string::npos);
  CHECK(r.err.find("using cached model rtl mac K=7 XW=5 WW=5 AW=30") != std::string::npos);
}

TEST_CASE("verify at gate level: the synthesised netlist against the golden model") {
  check_one_line_error({"verify", "--level", "fpga"}, "--level fpga");
  check_one_line_error({"verify", "--level", "gate", "--lib", "/nonexistent.lib"}, "library '/nonexistent.lib' not found");
  const auto r = run_command({kBin, "-q", "verify", "--level", "gate", "--kinds", "spike", "--beats", "20000"});
  CAPTURE(r.err);
  REQUIRE(r.status == 0);
  CHECK(r.out.find("gate spike K=9 WW=8 AW=32") == 0);
  CHECK(r.out.find("mismatches      0") != std::string::npos);
  CHECK(r.out.find("PASS: 1 of 1 kernels") != std::string::npos);
}

TEST_CASE("kernels: invalid options, one clear line each") {
  check_one_line_error({"kernels", "--kinds", "mac,mult"}, "unknown kernel 'mult'");
  check_one_line_error({"kernels", "--K", "0"}, "K=0");
  check_one_line_error({"kernels", "--K", "9,x"}, "'x' is not a whole number");
  check_one_line_error({"kernels", "--freq", "fast"}, "--freq fast");
  check_one_line_error({"kernels", "--format", "xml"}, "--format xml");
  check_one_line_error({"kernels", "--lib", "/nonexistent/x.lib"}, "library '/nonexistent/x.lib' not found");
  check_one_line_error({"kernels", "--sparsity", "1.5", "--kinds", "mac"}, "--sparsity 1.5");
  check_one_line_error({"kernels", "--arch", "tree,wallace"},
                       "unknown micro-architecture 'wallace'; choose from chain, tree, csa, booth-csa, shift-add or all");
  check_one_line_error({"kernels", "--kinds", "threshold,spike", "--arch", "booth-csa"},
                       "--arch booth-csa: no such micro-architecture for the kernels asked for; it exists for mac");
  check_one_line_error({"kernels", "--pipeline", "2"}, "pipeline=2 is out of range: 0 (none) or 1");
  check_one_line_error({"verify", "--pipeline", "7"}, "pipeline=7 is out of range");
  check_one_line_error({"kernels", "--reset", "both"}, "--reset both: unknown reset style; choose from async, sync");
  const auto bad = neuroppa::test::write_temp_file("acts.txt", "1 2 3\n4 300\n");
  check_one_line_error({"kernels", "--kinds", "mac", "--activations", bad.string()}, "acts.txt:2: activation value '300'");
}

TEST_CASE("kernels: a table of measured costs, with mac as the baseline") {
  const auto r = run_command({kBin, "-q", "kernels", "--kinds", "mac,threshold", "--beats", "3000", "--format", "json",
                              "--activity", "zero-delay"});
  CAPTURE(r.err);
  REQUIRE(r.status == 0);
  const auto doc = nlohmann::json::parse(r.out);
  REQUIRE(doc["rows"].size() == 2);
  const auto& mac = doc["rows"][0];
  const auto& thr = doc["rows"][1];
  CHECK(mac["kernel"] == "mac");
  CHECK(thr["kernel"] == "threshold");
  CHECK(mac["K"] == 9);
  CHECK(mac["power saving"] == 1.0);
  CHECK(mac["cells"].get<double>() > 1000);
  CHECK(thr["area"].get<double>() < mac["area"].get<double>());
  CHECK(thr["area saving"].get<double>() == doctest::Approx(mac["area"].get<double>() / thr["area"].get<double>()));
  CHECK(thr["power saving"].get<double>() == doctest::Approx(mac["power"].get<double>() / thr["power"].get<double>()));
  CHECK(mac["f_max"].get<double>() > 10);
  CHECK(mac["energy/op"].get<double>() > 0);
  bool caveat = false;
  for (const auto& note : doc["notes"]) caveat |= note.get<std::string>().find("glitches are not seen") != std::string::npos;
  CHECK(caveat);
}

TEST_CASE("kernels: timed activity by default, beside zero-delay power and the glitch share") {
  const auto r = run_command({kBin, "-q", "kernels", "--kinds", "mac,spike", "--beats", "2000", "--format", "json"});
  CAPTURE(r.err);
  REQUIRE(r.status == 0);
  const auto doc = nlohmann::json::parse(r.out);
  REQUIRE(doc["rows"].size() == 2);
  for (const auto& row : doc["rows"]) {
    CHECK(row["glitch share"].get<double>() > 1.5);  // these adders glitch
    CHECK(row["zero-delay power"].get<double>() < row["power"].get<double>());
  }
  bool note = false;
  for (const auto& n : doc["notes"]) note |= n.get<std::string>().find("Activity: timed") == 0;
  CHECK(note);
  check_one_line_error({"kernels", "--activity", "timed:0"}, "--activity timed:0: choose zero-delay, timed, or timed:F");
  check_one_line_error({"kernels", "--activity", "glitchy"}, "--activity glitchy");
  check_one_line_error({"kernels", "--sdf", "x.sdf"}, "--sdf x.sdf: an SDF describes one netlist");
}

TEST_CASE("kernels --sdf: delays of the kernel's own netlist; a missing arc is named, --allow-partial counts it") {
  using namespace neuroppa;
  const tech::Library lib = tech::read_liberty(tech::resolve_library("osu018"));
  // The netlist `kernels --kinds threshold` builds: the kind's default arch.
  const models::KernelParams p{neuroppa::models::kind_named("threshold"), 9, 8, 9, 32,
                               models::default_arch(neuroppa::models::kind_named("threshold"))};
  const sim::KernelNetlist kernel = sim::synthesize_kernel(p, lib, test::model_cache_dir());
  tech::ArcDelays delays = tech::liberty_arc_delays(kernel.netlist, lib);
  const auto full = test::write_temp_file("full.sdf", tech::write_sdf(delays, kernel.netlist));
  const std::vector<std::string> base = {kBin, "-q", "kernels", "--kinds", "threshold", "--beats", "1500", "--format", "json"};
  auto args = base;
  args.insert(args.end(), {"--sdf", full.string()});
  auto r = run_command(args);
  CAPTURE(r.err);
  REQUIRE(r.status == 0);
  auto doc = nlohmann::json::parse(r.out);
  CHECK(doc["rows"][0]["glitch share"].get<double>() > 1.5);
  // One instance left out of the SDF.
  std::size_t dropped = 0;
  while (delays.per_instance[dropped].empty()) ++dropped;
  delays.per_instance[dropped].clear();
  const auto partial = test::write_temp_file("partial.sdf", tech::write_sdf(delays, kernel.netlist));
  args = base;
  args.insert(args.end(), {"--sdf", partial.string()});
  r = run_command(args);
  CHECK(r.status == 2);
  CHECK(lines(r.err) == 1);
  CHECK(r.err.find("instance " + kernel.netlist.instances[dropped].name + " (") != std::string::npos);
  CHECK(r.err.find("the SDF gives no delay from") != std::string::npos);
  args.push_back("--allow-partial");
  r = run_command(args);
  REQUIRE(r.status == 0);
  doc = nlohmann::json::parse(r.out);
  bool counted = false;
  for (const auto& n : doc["notes"]) counted |= n.get<std::string>().find("timing arcs it does not give took Liberty's") != std::string::npos;
  CHECK(counted);
}

TEST_CASE("kernels --layout: pre- and post-layout side by side; layout options checked, other libraries refused") {
  const auto r = run_command({kBin, "-q", "kernels", "--kinds", "mac,threshold", "--K", "2", "--beats", "1000",
                              "--layout", "--format", "json"});
  CAPTURE(r.err);
  REQUIRE(r.status == 0);
  const auto doc = nlohmann::json::parse(r.out);
  REQUIRE(doc.is_array());
  REQUIRE(doc.size() == 2);
  const auto& pre = doc[0]["rows"];
  const auto& post = doc[1]["rows"];
  REQUIRE(post.size() == 2);
  for (std::size_t i = 0; i < 2; ++i) {
    CAPTURE(post[i].dump());
    CHECK(post[i]["kernel"] == pre[i]["kernel"]);
    CHECK(post[i]["power pre"] == pre[i]["power"]);
    CHECK(post[i]["f_max pre"] == pre[i]["f_max"]);
    CHECK(post[i]["power post"].get<double>() > post[i]["power pre"].get<double>());  // the wires' load
    CHECK(post[i]["f_max post"].get<double>() < post[i]["f_max pre"].get<double>());  // and their delay
    CHECK(post[i]["core area"].get<double>() > post[i]["cell area"].get<double>());
    CHECK(post[i]["utilisation"].get<double>() == doctest::Approx(100 * post[i]["cell area"].get<double>() /
                                                                  post[i]["core area"].get<double>()));
    CHECK(post[i]["wire length"].get<double>() > 0);
    CHECK(post[i]["wire cap share"].get<double>() > 0.5);
    CHECK(post[i]["wire cap share"].get<double>() < 50);
  }
  CHECK(post[1]["power saving post"].get<double>() ==
        doctest::Approx(post[0]["power post"].get<double>() / post[1]["power post"].get<double>()));
  CHECK(post[1]["area saving post"].get<double>() ==
        doctest::Approx(post[0]["core area"].get<double>() / post[1]["core area"].get<double>()));

  check_one_line_error({"kernels", "--layout-density", "0.6"}, "--layout-density and --layout-aspect shape the layout: give --layout too");
  check_one_line_error({"kernels", "--layout", "--layout-density", "1.5"}, "--layout-density");
  const auto elsewhere = neuroppa::test::temp_dir("layout-lib") / "osu018_copy.lib";
  std::filesystem::copy_file(neuroppa::tech::resolve_library("osu018"), elsewhere,
                             std::filesystem::copy_options::overwrite_existing);
  check_one_line_error({"kernels", "--layout", "--kinds", "mac", "--lib", elsewhere.string()},
                       "has no qflow technology (LEF, router setup) to place and route on");
}

TEST_CASE("kernels --by-block: a second table whose blocks add up to each kernel") {
  const auto r = run_command({kBin, "-q", "kernels", "--kinds", "mac,threshold", "--by-block", "--beats", "2000",
                              "--activity", "zero-delay", "--format", "json"});
  CAPTURE(r.err);
  REQUIRE(r.status == 0);
  const auto doc = nlohmann::json::parse(r.out);
  REQUIRE(doc.is_array());
  REQUIRE(doc.size() == 2);
  const auto& kernels = doc[0]["rows"];
  const auto& blocks = doc[1]["rows"];
  REQUIRE(kernels.size() == 2);
  for (const auto& k : kernels) {
    double area = 0, power = 0;
    std::set<std::string> names;
    for (const auto& b : blocks)
      if (b["kernel"] == k["kernel"]) {
        area += b["area"].get<double>();
        power += b["power"].get<double>();
        names.insert(b["block"].get<std::string>());
      }
    CAPTURE(k.dump());
    CHECK(area == doctest::Approx(k["area"].get<double>()).epsilon(1e-3));
    CHECK(power == doctest::Approx(k["power"].get<double>()).epsilon(1e-3));
    CHECK(names == std::set<std::string>{"synapses", "adders", "accumulator adder", "accumulator register",
                                         "output stage", "output register", "control", "input nets"});
  }
  // threshold's synapses against mac's: the block saving the table reports.
  double mac_synapses = 0, threshold_synapses = 0, saving = 0;
  for (const auto& b : blocks)
    if (b["block"] == "synapses") {
      (b["kernel"] == "mac" ? mac_synapses : threshold_synapses) = b["area"].get<double>();
      if (b["kernel"] == "threshold") saving = b["area saving"].get<double>();
    }
  CHECK(saving == doctest::Approx(mac_synapses / threshold_synapses));
  CHECK(saving > 2);
}

TEST_SUITE("shared") {
  TEST_CASE("kernels on the ASAP7 subset: one line naming what the library lacks and the option that avoids it") {
    const std::string asap7 = (neuroppa::test::shared_dir() / "libs/asap7_small_ff.lib.gz").string();
    check_one_line_error({"kernels", "--lib", asap7, "--kinds", "threshold"},
                         "has no flip-flop with an asynchronous clear or preset: give --reset sync");
    check_one_line_error({"kernels", "--lib", asap7, "--kinds", "threshold", "--reset", "sync"},
                         "has no inverting combinational cell (inverter, NAND or NOR)");
  }

  TEST_CASE("power: gcd on SKY130 from its VCD; a wrong scope is an error") {
    const auto dir = neuroppa::test::shared_dir() / "designs/gcd_sky130hd";
    const std::vector<std::string> base = {
        kBin, "-q", "power", "--lib", (neuroppa::test::shared_dir() / "libs/sky130_fd_sc_hd__tt_025C_1v80.lib.gz").string(),
        "--netlist", (dir / "gcd_sky130hd.v").string(), "--top", "gcd", "--vcd", (dir / "gcd_sky130hd.vcd.gz").string()};
    auto args = base;
    args.insert(args.end(), {"--scope", "gcd_tb/gcd1", "--format", "csv"});
    auto r = run_command(args);
    CAPTURE(r.err);
    REQUIRE(r.status == 0);
    CHECK(r.out.find("group,internal (µW),switching (µW),leakage (µW),total (µW)") == 0);
    CHECK(r.out.find("\ntotal,") != std::string::npos);
    args = base;
    args.insert(args.end(), {"--format", "md"});
    r = run_command(args);
    REQUIRE(r.status == 0);
    CHECK(r.out.find("Annotated 883 of 883 instance pins") != std::string::npos);
    args = base;
    args.insert(args.end(), {"--scope", "gcd_tb/dut"});
    r = run_command(args);
    CHECK(r.status == 2);
    CHECK(lines(r.err) == 1);
    CHECK(r.err.find("no scope 'gcd_tb/dut'; scopes: gcd_tb/gcd1, gcd_tb") != std::string::npos);
  }

  TEST_CASE("power: nets driven by top-level inputs on their own line, left out on request; x transitions as OpenSTA") {
    const auto dir = neuroppa::test::shared_dir() / "designs/gcd_sky130hd";
    const auto total = [&](const std::vector<std::string>& extra, double* input_nets) {
      std::vector<std::string> args = {
          kBin, "-q", "power", "--lib", (neuroppa::test::shared_dir() / "libs/sky130_fd_sc_hd__tt_025C_1v80.lib.gz").string(),
          "--netlist", (dir / "gcd_sky130hd.v").string(), "--top", "gcd", "--vcd", (dir / "gcd_sky130hd.vcd.gz").string(),
          "--scope", "gcd_tb/gcd1", "--format", "json"};
      args.insert(args.end(), extra.begin(), extra.end());
      const auto r = run_command(args);
      CAPTURE(r.err);
      REQUIRE(r.status == 0);
      const auto doc = nlohmann::json::parse(r.out);
      double t = 0;
      *input_nets = 0;
      for (const auto& row : doc["rows"]) {
        if (row["group"] == "total") t = row["total"].get<double>();
        if (row["group"] == "of which nets driven by top-level inputs") *input_nets = row["total"].get<double>();
      }
      return t;
    };
    double in_included = 0, in_excluded = 0, in_half = 0;
    const double included = total({}, &in_included);
    const double excluded = total({"--input-nets", "exclude"}, &in_excluded);
    CHECK(in_included > 0);
    CHECK(in_excluded == 0);  // no such line when they are left out
    CHECK(excluded == doctest::Approx(included - in_included).epsilon(1e-3));
    const double half = total({"--x-transitions", "half"}, &in_half);
    CHECK(half > included);  // every net starts at x in the dump: half a transition more each
    check_one_line_error({"power", "--lib", "osu018", "--netlist", "n.v", "--top", "t", "--vcd", "v", "--input-nets", "maybe"},
                         "--input-nets maybe: choose include or exclude");
  }
}

TEST_CASE("output paths are checked before any work starts") {
  check_one_line_error({"kernels", "--out", "/proc/forbidden/x"},
                       "--out /proc/forbidden/x: the folder /proc/forbidden does not exist");
  check_one_line_error({"kernels", "--out", "/tmp"}, "--out /tmp: exists and is not a regular file");
  check_one_line_error({"paper", "--out", "/proc/forbidden/x"}, "--out /proc/forbidden/x: cannot create the folder");
  check_one_line_error({"train", "--out", "/nonexistent/dir/m.json.gz"},
                       "--out /nonexistent/dir/m.json.gz: the folder /nonexistent/dir does not exist");
  check_one_line_error({"kernels", "--arch", "chain,wallace"}, "--arch chain,wallace: unknown micro-architecture 'wallace'");
  check_one_line_error({"verify", "--arch", "booth"}, "--arch booth: unknown micro-architecture 'booth'");
}

TEST_CASE("a model build killed with SIGKILL leaves nothing that a later run trusts") {
  const auto cache = neuroppa::test::temp_dir("killed-cache");
  const std::vector<std::string> verify = {kBin,      "-q",          "--cache-dir", cache.string(), "verify", "--kinds",
                                           "threshold", "--K",       "5",           "--beats",      "2000"};
  std::vector<std::string> killed = {"timeout", "-s", "KILL", "1.5"};
  killed.insert(killed.end(), verify.begin(), verify.end());
  auto r = run_command(killed);
  CHECK(r.status == 137);  // killed in the middle of the Verilator build
  r = run_command(verify);
  CAPTURE(r.err);
  CHECK(r.status == 0);
  CHECK(r.out.find("model built") != std::string::npos);  // built again, not taken from the half-built entry
  r = run_command(verify);
  CHECK(r.out.find("model cached") != std::string::npos);
}

TEST_CASE("run and train: bad input gives one line and exit 2") {
  const auto bad_json = neuroppa::test::write_temp_file("bad-model.json", "{\"format\": \"neuroppa-model\", \"version\": 1,");
  check_one_line_error({"run", "--model", bad_json.string()}, "malformed JSON");
  check_one_line_error({"run", "--model", "no-such-model"}, "no bundled model of that name (bundled: ");
  check_one_line_error({"run", "--model", "mac-mlp", "--data", "/nonexistent"},
                       "install the Debian package dataset-fashion-mnist");
  check_one_line_error({"run", "--model", "mac-mlp", "--level", "switch"}, "--level switch");
  check_one_line_error({"run", "--model", "mac-mlp", "--images", "10001"}, "--images 10001: choose 1..10000");
  check_one_line_error({"run", "--model", "mac-mlp", "--images", "0"}, "--images 0: choose 1..10000");
  check_one_line_error({"run", "--model", "mac-mlp", "--mem-energy", "weights=2"}, "--mem-energy 'weights=2'");
  check_one_line_error({"run", "--model", "mac-mlp", "--lanes", "0"}, "--lanes 0");
  check_one_line_error({"train", "--kind", "mult"}, "--kind mult: unknown kind");
  check_one_line_error({"train", "--arch", "d128,q"}, "'q': unknown layer type");
  check_one_line_error({"train", "--data", "/nonexistent"}, "install the Debian package dataset-fashion-mnist");
  check_one_line_error({"train", "--lr", "nan"}, "--lr nan: choose 1e-09..10");
  check_one_line_error({"train", "--lr", "0"}, "--lr 0: choose 1e-09..10");
  check_one_line_error({"train", "--lr-schedule", "linear"}, "--lr-schedule linear: unknown; choose step, constant");
  check_one_line_error({"train", "--optimizer", "rmsprop"}, "--optimizer rmsprop: unknown; choose adam or sgd");
  check_one_line_error({"train", "--sign-ste", "clipped"}, "--sign-ste clipped: unknown");
  check_one_line_error({"train", "--sharpness", "0"}, "--sharpness 0: choose 1..1000000");
  check_one_line_error({"train", "--theta-init", "2"}, "--theta-init 2: choose 0..1");
  check_one_line_error({"train", "--format", "xml"}, "--format xml: unknown format");
}

TEST_CASE("train --sharpness: curves beside the model file, and a table with --format") {
  const auto dir = neuroppa::test::temp_dir("train-sharpness");
  const auto r = run_command({kBin, "-q", "train", "--kind", "threshold", "--arch", "d16,d10", "--epochs", "1",
                              "--train-images", "640", "--test-images", "100", "--optimizer", "sgd", "--lr", "0.2",
                              "--lr-schedule", "cosine", "--sharpness", "5", "--out", (dir / "m.json.gz").string(),
                              "--format", "json"});
  CAPTURE(r.err);
  REQUIRE(r.status == 0);
  const auto table = nlohmann::json::parse(r.out);
  std::map<std::string, nlohmann::json> quantity;
  for (const auto& row : table["rows"]) quantity[row["quantity"]] = row["value"];
  CHECK(quantity["lr schedule"] == "cosine");
  CHECK(quantity["final sharpness"].get<double>() > 0);
  CHECK(quantity["curves"] == (dir / "m.curves.csv").string());
  const std::string csv = neuroppa::base::read_file(dir / "m.curves.csv");
  CHECK(csv.starts_with("step,phase,epoch,lr,two_over_lr,loss,sharpness,thresholds_off_zero\n5,float,1,"));
  CHECK(std::count(csv.begin(), csv.end(), '\n') == 1 + 4);  // 10 float and 10 quantised steps, one sample every 5
  const std::string svg = neuroppa::base::read_file(dir / "m.curves.svg");
  CHECK(svg.starts_with("<svg"));
  CHECK(svg.find("<title>sharpness</title>") != std::string::npos);
  CHECK(svg.find("stroke-dasharray") != std::string::npos);  // 2/lr, dashed
}

TEST_CASE("run --level gate: timed activity chosen automatically, beside zero-delay energy") {
  check_one_line_error({"run", "--model", "mac-mlp", "--level", "gate", "--activity", "glitchy"}, "--activity glitchy");
  const auto r = run_command({kBin, "-q", "run", "--model", "shift-mlp", "--level", "gate", "--K", "9", "--images", "20", "--format",
                              "json"});
  CAPTURE(r.err);
  REQUIRE(r.status == 0);
  const auto tables = nlohmann::json::parse(r.out);
  double energy = 0, zero_delay = 0, share = 0, interval = -1;
  for (const auto& row : tables[0]["rows"]) {
    const std::string q = row["quantity"];
    if (q == "energy per inference") energy = row["value"];
    if (q.find("zero-delay activity of the same run") != std::string::npos) zero_delay = row["value"];
    if (q.find("glitch share") != std::string::npos) share = row["value"];
    if (q.find("95% interval") != std::string::npos) interval = row["value"];
  }
  CHECK(zero_delay > 0);
  CHECK(energy > 1.5 * zero_delay);
  CHECK(share > 1.5);
  CHECK(interval >= 0);
  CHECK(tables[0]["notes"].dump().find("chosen automatically") != std::string::npos);
}

TEST_CASE("run: a bundled model on the platform prints accuracy, cycles and the check") {
  const auto r = run_command(
      {kBin, "-q", "run", "--model", "mac-mlp", "--images", "50", "--check", "--mem", "ideal", "--format", "json"});
  CAPTURE(r.err);
  REQUIRE(r.status == 0);
  // One JSON array of tables: summary, layers, memories.
  const auto tables = nlohmann::json::parse(r.out);
  REQUIRE(tables.size() == 3);
  CHECK(tables[2]["title"] == "Memories (ideal)");
  bool found_accuracy = false, found_cycles = false;
  for (const auto& row : tables[0]["rows"]) {
    if (row["quantity"] == "accuracy (platform)") {
      found_accuracy = true;
      CHECK(row["value"].get<double>() > 0.7);
    }
    if (row["quantity"] == "cycles per inference") {
      found_cycles = true;
      CHECK(row["value"].get<double>() == 402);  // 8 groups x 49 beats + 1 drain, 1 group x 8 beats + 1 drain
    }
  }
  CHECK(tables[1]["rows"].size() == 3);
  CHECK(found_accuracy);
  CHECK(found_cycles);
  CHECK(tables[0]["notes"].dump().find("equals the reference inference") != std::string::npos);

  // The standard memories: a read latency of one cycle at each layer's start, the weights' first load.
  const auto s = run_command({kBin, "-q", "run", "--model", "mac-mlp", "--images", "50", "--check", "--format", "json"});
  REQUIRE(s.status == 0);
  double cycles = 0, stalls = -1;
  const auto standard = nlohmann::json::parse(s.out);
  for (const auto& row : standard[0]["rows"]) {
    if (row["quantity"] == "cycles per inference") cycles = row["value"];
    if (row["quantity"] == "  of them stalled, waiting for operands") stalls = row["value"];
  }
  CHECK(stalls >= 2);  // two compute layers
  CHECK(cycles > 402 + stalls - 1e-9);

  const auto bad = run_command({kBin, "-q", "run", "--model", "mac-mlp", "--mem", "weights.capacity=1KiB"});
  CHECK(bad.status == 2);
  CHECK(bad.err.find("weight memory of 1024 bytes is too small: layer 2 (dense mac 784 -> 128)") != std::string::npos);
}

TEST_CASE("command lines the option parser refuses: one line, exit 2") {
  check_one_line_error({"run", "--model", "mac-mlp", "--K", "1.5"}, "Could not convert: --K = 1.5");
  check_one_line_error({"train", "--epochs", "1", "--epochs", "2"}, "--epochs: At Most 1 required but received 2");
  check_one_line_error({"kernels", "--no-such-option"}, "--no-such-option");
  check_one_line_error({}, "subcommand");
}

TEST_CASE("input paths: a folder, a special file, an unreadable file, each its own message") {
  check_one_line_error({"run", "--model", "/tmp"}, "/tmp: is a folder, not a file");
  check_one_line_error({"kernels", "--lib", "/tmp"}, "/tmp: is a folder, not a file");
  check_one_line_error({"sweep", "plan", "/dev/null"}, "sweep file /dev/null: is a character device, not a regular file");
  check_one_line_error({"sweep", "plan", "/nonexistent.toml"}, "sweep file /nonexistent.toml: no such file");
  check_one_line_error({"power", "--netlist", "/tmp", "--top", "gcd", "--lib", "osu018", "--vcd", "/tmp"},
                       "/tmp: is a folder, not a file");

  // Without read permission. root reads anything, so as root the command runs
  // as nobody (setpriv, util-linux).
  const auto file = neuroppa::test::write_temp_file("unreadable.json", "{}");
  std::filesystem::permissions(file, std::filesystem::perms::none);
  // nobody must reach the file (search permission on its folders) to find it unreadable.
  for (const auto& folder : {file.parent_path(), file.parent_path().parent_path()})
    std::filesystem::permissions(folder, std::filesystem::perms::others_exec, std::filesystem::perm_options::add);
  std::vector<std::string> args = {kBin, "run", "--model", file.string()};
  if (::geteuid() == 0)
    args.insert(args.begin(), {"setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"});
  const auto r = run_command(args);
  CAPTURE(r.err);
  CHECK(r.status == 2);
  CHECK(lines(r.err) == 1);
  CHECK(r.err.find(file.string() + ": cannot be read: Permission denied") != std::string::npos);
}

TEST_CASE("a model remembers the kernel packages it was trained with; run says when one changed") {
  namespace fs = std::filesystem;
  const fs::path dir = neuroppa::test::temp_dir("package-model");
  const fs::path package = dir / "packages" / "ternary";
  fs::create_directories(package.parent_path());
  fs::copy(neuroppa::test::source_dir() / "examples" / "kernels" / "ternary", package, fs::copy_options::recursive);
  const std::string model = (dir / "ternary-mlp.json").string();
  const auto trained = run_command({kBin, "-q", "train", "--kernel-path", package.parent_path().string(), "--kind",
                                    "ternary", "--arch", "d16,d10", "--epochs", "1", "--train-images", "1000",
                                    "--test-images", "100", "--out", model});
  CAPTURE(trained.err);
  REQUIRE(trained.status == 0);
  const auto j = nlohmann::json::parse(neuroppa::base::read_file(model));
  REQUIRE(j["training"]["kernel_packages"].contains("ternary"));
  const std::string hash = j["training"]["kernel_packages"]["ternary"];
  CHECK(hash.size() == 64);

  const std::vector<std::string> run = {kBin, "-q", "run", "--kernel-path", package.parent_path().string(), "--model",
                                        model, "--images", "5", "--check"};
  auto r = run_command(run);
  CAPTURE(r.err);
  REQUIRE(r.status == 0);
  CHECK(r.out.find("Kernel packages: ternary from " + package.string() + " (hash " + hash.substr(0, 12) + ")") !=
        std::string::npos);
  CHECK(r.out.find("Warning") == std::string::npos);

  // The package edited (its golden model gains a comment): still runs, and says so.
  const fs::path golden = package / "golden.cpp";
  neuroppa::base::write_file(golden, neuroppa::base::read_file(golden) + "\n// edited\n");
  r = run_command(run);
  REQUIRE(r.status == 0);
  CHECK(r.out.find("Warning: kernel package ternary was " + hash.substr(0, 12) + " when this model was trained") !=
        std::string::npos);

  // Without the package on the kernel path: one line naming the kind and the option.
  r = run_command({kBin, "run", "--model", model, "--images", "5"});
  CHECK(r.status == 2);
  CHECK(r.err.find("unknown kind \"ternary\"") != std::string::npos);
  CHECK(r.err.find("--kernel-path") != std::string::npos);
  CHECK(std::count(r.err.begin(), r.err.end(), '\n') == 1);
}

TEST_CASE("kinds --check: each package checked as a command that uses it would; a faulty one fails the run") {
  namespace fs = std::filesystem;
  const std::string examples = (neuroppa::test::source_dir() / "examples" / "kernels").string();
  auto r = run_command({kBin, "kinds", "--kernel-path", examples, "--check"});
  CAPTURE(r.err);
  CHECK(r.status == 0);
  CHECK(r.out.find("| adder |") != std::string::npos);
  CHECK(r.err.find("adder: checked: golden model, padding rule, port contract\n") != std::string::npos);
  CHECK(r.err.find("ternary: checked: golden model, padding rule, port contract\n") != std::string::npos);

  const fs::path dir = neuroppa::test::temp_dir("kinds-check") / "broken";
  fs::copy(neuroppa::test::source_dir() / "examples" / "kernels" / "adder", dir, fs::copy_options::recursive);
  std::string manifest = neuroppa::base::read_file(dir / "kernel.toml");
  manifest.replace(manifest.find("name = \"adder\""), 14, "name = \"broken\"");
  neuroppa::base::write_file(dir / "kernel.toml", manifest);
  neuroppa::base::write_file(dir / "golden.c", neuroppa::base::read_file(dir / "golden.c") + "int unfinished(\n");
  r = run_command({kBin, "kinds", "--kernel-path", examples + "," + dir.string(), "--check"});
  CHECK(r.status == 2);
  CHECK(r.err.find("broken: kernel package broken: golden model ") != std::string::npos);
  CHECK(r.err.find("does not compile") != std::string::npos);
  CHECK(r.err.find("neuroppa: error: 1 of 3 kernel packages failed their checks\n") != std::string::npos);
}

TEST_CASE("run --level macro: every lane cycle priced by its kernel's macro-model; beyond its bound, exit 4 unless warn") {
  namespace fs = std::filesystem;
  auto r = run_command({kBin, "-q", "run", "--model", "mac-mlp", "--level", "macro", "--images", "40", "--format", "json"});
  CAPTURE(r.err);
  REQUIRE(r.status == 0);
  const auto tables = nlohmann::json::parse(r.out);
  const auto& summary = tables[0];
  double energy = 0;
  for (const auto& row : summary["rows"])
    if (row["quantity"] == "energy per inference") energy = row["value"].get<double>();
  CHECK(energy > 1000);  // nJ: mac-mlp spends about 8 µJ an inference with its memories
  CHECK(energy < 100000);
  bool named = false;
  for (const auto& note : summary["notes"])
    named |= note.get<std::string>().find("mac K=16 XW=8 WW=8 AW=32 arch=tree: macro-model ") != std::string::npos;
  CHECK(named);

  // The same models, told they missed their bound: a cache of our own whose
  // macro-models say 25% (everything else linked to the shared cache).
  const fs::path shared = neuroppa::test::model_cache_dir(), own = neuroppa::test::temp_dir("macro-bound");
  for (const auto& entry : fs::directory_iterator(shared)) {
    const std::string name = entry.path().filename().string();
    if (name == "macro") {
      fs::copy(entry.path(), own / "macro", fs::copy_options::recursive);
    } else if (name != "locks" && name != "tmp") {
      fs::create_directory_symlink(entry.path(), own / name);
    }
  }
  int told = 0;
  for (const auto& entry : fs::recursive_directory_iterator(own / "macro"))
    if (entry.path().filename() == "macro-model.json") {
      auto j = nlohmann::json::parse(neuroppa::base::read_file(entry.path()));
      j["validation"]["total_error"] = 0.25;
      neuroppa::base::write_file(entry.path(), j.dump());
      ++told;
    }
  REQUIRE(told > 0);
  const std::vector<std::string> args = {kBin, "-q", "--cache-dir", own.string(), "run", "--model", "mac-mlp",
                                         "--level", "macro", "--images", "10"};
  r = run_command(args);
  CHECK(r.status == 4);
  CHECK(r.out.find("WARNING: macro-model error beyond ±3%") != std::string::npos);
  CHECK(r.err.find("macro-model validation error beyond ±3% for mac K=16") != std::string::npos);
  auto warned = args;
  warned.insert(warned.end(), {"--on-macro-error", "warn"});
  r = run_command(warned);
  CHECK(r.status == 0);
  CHECK(r.err.find("warning: macro-model validation error beyond") != std::string::npos);
  fs::remove_all(own);
}
