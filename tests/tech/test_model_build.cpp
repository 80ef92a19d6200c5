// Run-time model builds: generation, caching by content, concurrency, errors.
#include <doctest/doctest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fmt/format.h>

#include "neuroppa/base/error.hpp"
#include "neuroppa/base/file.hpp"
#include "neuroppa/sim/kernel_models.hpp"
#include "neuroppa/vmodel/model_build.hpp"
#include "support.hpp"

using namespace neuroppa;
namespace fs = std::filesystem;

namespace {

// A small registered adder with a wide port: quick to build, and exercises
// every storage class of the ABI (8-, 16-, 32-, 64-bit and wide words).
vmodel::ModelSpec adder_spec(const std::string& tag) {
  vmodel::ModelSpec s;
  s.top = "adder";
  s.label = "test adder " + tag;
  s.clock = "clk";
  s.sources.push_back({"adder.sv", fmt::format(R"(// {}
module adder #(parameter int W = 8) (
  input  logic clk,
  input  logic [W-1:0] a, b,
  input  logic [99:0] wide_i,
  output logic [W-1:0] sum_q,
  output logic [99:0] wide_o
);
  always_ff @(posedge clk) begin
    sum_q  <= a + b;
    wide_o <= ~wide_i;
  end
endmodule
)", tag)});
  s.parameters = {{"W", "40"}};
  s.ports = {{"clk", 1, false}, {"a", 40, false}, {"b", 40, false}, {"wide_i", 100, false},
             {"sum_q", 40, true}, {"wide_o", 100, true}};
  return s;
}

void check_adder(const std::shared_ptr<const vmodel::LoadedModel>& model) {
  vmodel::ModelInstance inst(model);
  const auto a = inst.port("a"), b = inst.port("b"), sum = inst.port("sum_q");
  a.set(0xff'ffff'fff0ULL);
  b.set(0x20);
  inst.tick();
  CHECK(sum.get() == 0x10);  // wraps at 40 bits
  const std::uint32_t in[4] = {0x12345678, 0, 0xffffffff, 0xf};
  inst.port("wide_i").set_words(in);
  inst.tick();
  std::uint32_t out[4] = {};
  inst.port("wide_o").get_words(out);
  CHECK(out[0] == ~0x12345678u);
  CHECK(out[1] == 0xffffffffu);
  CHECK(out[2] == 0);
  CHECK(out[3] == 0);  // only 4 bits of the top word exist, all were one
  CHECK_THROWS_AS(inst.port("nope"), Error);
}

}  // namespace

TEST_CASE("cache keys follow the content") {
  vmodel::ModelCache cache(test::temp_dir("keys"));
  const auto s = adder_spec("k");
  CHECK(cache.key(s) == cache.key(adder_spec("k")));
  auto relabelled = s;
  relabelled.label = "another name";
  CHECK(cache.key(relabelled) == cache.key(s));  // names do not split the cache
  auto changed = s;
  changed.parameters[0].second = "41";
  CHECK(cache.key(changed) != cache.key(s));
  changed = s;
  changed.sources[0].text += " ";
  CHECK(cache.key(changed) != cache.key(s));
  const auto mac = sim::kernel_rtl_spec({neuroppa::models::kind_named("mac"), 9, 8, 8, 32});
  const auto mac25 = sim::kernel_rtl_spec({neuroppa::models::kind_named("mac"), 25, 8, 8, 32});
  CHECK(cache.key(mac) != cache.key(mac25));
}

TEST_CASE("a model is built once, then loaded from the cache") {
  const fs::path root = test::temp_dir("cache");
  std::vector<std::string> lines;
  vmodel::ModelCache cache(root, [&](std::string_view l) { lines.emplace_back(l); });
  vmodel::BuildReport first, second;
  check_adder(cache.load(adder_spec("once"), &first));
  CHECK_FALSE(first.cached);
  check_adder(cache.load(adder_spec("once"), &second));
  CHECK(second.cached);
  CHECK(first.key == second.key);
  CHECK(fs::exists(root / "models" / first.key / "model.so"));
  // The Verilator runtime first (a new cache), then the model, then the cache.
  REQUIRE(lines.size() == 5);  // "building ... ", "done ..." twice, "using cached ..."
  CHECK(lines[0].find("building the Verilator runtime") == 0);
  CHECK(lines[2].find("building model test adder once") == 0);
  CHECK(lines[4].find("using cached model") == 0);
}

TEST_CASE("the Verilator runtime is compiled once and linked into every model") {
  const fs::path root = test::temp_dir("runtime");
  std::vector<std::string> lines;
  vmodel::ModelCache cache(root, [&](std::string_view l) { lines.emplace_back(l); });
  check_adder(cache.load(adder_spec("runtime one")));
  check_adder(cache.load(adder_spec("runtime two")));
  int runtime_builds = 0, model_builds = 0;
  for (const auto& l : lines) {
    runtime_builds += l.starts_with("building the Verilator runtime");
    model_builds += l.starts_with("building model");
  }
  CHECK(runtime_builds == 1);
  CHECK(model_builds == 2);
  // One runtime folder with the objects its makefile named; the models carry
  // their own copy (dlopen RTLD_LOCAL): both load and run side by side above.
  std::vector<fs::path> runtimes;
  for (const auto& e : fs::directory_iterator(root / "runtime")) runtimes.push_back(e.path());
  REQUIRE(runtimes.size() == 1);
  CHECK(fs::exists(runtimes[0] / "verilated.o"));
  CHECK(fs::exists(runtimes[0] / "verilated_threads.o"));
  // Neither model compiled the runtime again: its object is not in the build log.
  for (const auto& e : fs::directory_iterator(root / "logs")) {
    if (!e.path().filename().string().starts_with("models-")) continue;
    const std::string log = base::read_file(e.path());
    CHECK(log.find("-o verilated.o") == std::string::npos);
  }
}

TEST_CASE("concurrent processes building the same model share one build") {
  const fs::path root = test::temp_dir("concurrent");
  const auto spec = adder_spec("concurrent");
  std::vector<pid_t> children;
  for (int i = 0; i < 3; ++i) {
    const pid_t pid = ::fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
      int rc = 1;
      try {
        vmodel::ModelCache cache(root);
        vmodel::ModelInstance inst(cache.load(spec));
        inst.port("a").set(2);
        inst.port("b").set(3);
        inst.tick();
        rc = inst.port("sum_q").get() == 5 ? 0 : 2;
      } catch (...) {
        rc = 3;
      }
      ::_exit(rc);
    }
    children.push_back(pid);
  }
  for (pid_t pid : children) {
    int status = 0;
    ::waitpid(pid, &status, 0);
    CHECK(WIFEXITED(status));
    CHECK(WEXITSTATUS(status) == 0);
  }
  int models = 0;
  for (const auto& e : fs::directory_iterator(root / "models")) models += e.is_directory();
  CHECK(models == 1);
  CHECK(fs::is_empty(root / "tmp"));  // no half-built leftovers
}

TEST_CASE("a build that fails says which model and where the log is") {
  auto spec = adder_spec("broken");
  spec.sources[0].text = "module adder(input logic clk; endmodule\n";
  const fs::path root = test::temp_dir("broken");
  vmodel::ModelCache cache(root);
  try {
    cache.load(spec);
    FAIL("expected an error");
  } catch (const Error& e) {
    const std::string msg = e.what();
    CHECK(msg.find("building model test adder broken failed") != std::string::npos);
    const fs::path log = root / "logs" / ("models-" + cache.key(spec) + ".log");
    CHECK(msg.find("full log: " + log.string()) != std::string::npos);
    CHECK(fs::file_size(log) > 0);  // the log survives; the half-built folder does not
    CHECK(fs::is_empty(root / "tmp"));
    CHECK_FALSE(fs::exists(root / "models" / cache.key(spec)));
  }
}

TEST_CASE("kernel specs refuse invalid parameters") {
  CHECK_THROWS_AS(sim::kernel_rtl_spec({neuroppa::models::kind_named("mac"), 0, 8, 8, 32}), Error);
  const auto spike = sim::kernel_rtl_spec({neuroppa::models::kind_named("spike"), 4, 0, 6, 16});
  CHECK(spike.top == "np_spike_kernel");
  // The package, the shared parameter checks, register, beat stage,
  // accumulator and reduction, the membrane update, the kernel; no output stage.
  REQUIRE(spike.sources.size() == 8);
  CHECK(spike.sources[6].name == "np_membrane.sv");
  CHECK(spike.sources.front().name == "np_pkg.sv");
  CHECK(spike.sources.back().name == "np_spike_kernel.sv");
  for (const auto& s : spike.sources) CHECK(s.name != "np_output_stage.sv");
  CHECK(spike.ports[5].name == "x_i");
  CHECK(spike.ports[5].width == 4);
  CHECK(spike.ports[6].width == 24);
}
