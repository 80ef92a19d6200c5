// Every numeric option of run, kernels, verify and train at the ends of its
// advertised range (the range --help prints), cheap settings otherwise: each
// invocation ends with exit 0, or with exit 2 and one line on stderr —
// never a signal (K >= 900 was a segmentation fault of `run`). Options whose
// largest value only costs time (beats, epochs at full data) are run at the
// largest value that is cheap and shown refused one past the maximum.
#include <doctest/doctest.h>

#include <algorithm>
#include <fmt/format.h>

#include "support.hpp"

using neuroppa::test::run_command;

namespace {

const std::string kBin = NEUROPPA_BINARY;

struct Case {
  std::vector<std::string> args;
  int expect = 0;  // 0: must succeed; 2: must be refused in one line
};

std::string joined(const std::vector<std::string>& args) {
  std::string s = "neuroppa";
  for (const auto& a : args) s += " " + a;
  return s;
}

void check_cases(const std::vector<Case>& cases) {
  for (const Case& c : cases) {
    std::vector<std::string> argv = {kBin, "-q"};
    argv.insert(argv.end(), c.args.begin(), c.args.end());
    const auto r = run_command(argv);
    const std::string line = joined(c.args);
    CAPTURE(line);
    CAPTURE(r.err);
    INFO("exit status ", r.status);
    CHECK(r.status < 128);  // a signal shows as 128 + its number
    CHECK(r.status == c.expect);
    if (r.status == 2) {
      CHECK(std::count(r.err.begin(), r.err.end(), '\n') == 1);
      CHECK(r.err.rfind("neuroppa: error: ", 0) == 0);
    }
    MESSAGE(fmt::format("{} -> exit {}", line, r.status));
  }
}

// `base` with `option value`: the option's value replaced where `base` has
// it (an option given twice is refused), else both appended.
std::vector<std::string> with(std::vector<std::string> base, std::initializer_list<std::string> more) {
  const auto option = std::find(base.begin(), base.end(), *more.begin());
  if (more.size() == 2 && option != base.end() && option + 1 != base.end()) {
    *(option + 1) = *(more.begin() + 1);
    return base;
  }
  base.insert(base.end(), more);
  return base;
}

}  // namespace

TEST_CASE("run: every numeric option at both ends of its range") {
  const std::vector<std::string> run = {"run", "--model", "mac-mlp", "--format", "csv"};
  const auto one = with(run, {"--images", "1"});
  check_cases({
      {with(run, {"--images", "1"})},
      {with(run, {"--images", "10000"})},
      {with(run, {"--images", "10001"}), 2},
      {with(one, {"--lanes", "1"})},
      {with(one, {"--lanes", "4096"})},
      {with(one, {"--lanes", "4097"}), 2},
      {with(run, {"--images", "2", "--threads", "1"})},
      {with(run, {"--images", "2", "--threads", "256"})},
      {with(run, {"--images", "2", "--threads", "257"}), 2},
      {with(run, {"--images", "10", "--K", "1", "--check"})},
      // The crash of K >= 900: Verilated frames outgrew the SystemC thread's stack.
      {with(run, {"--images", "10", "--K", "1024", "--check"})},
      {with(one, {"--K", "1025"}), 2},
      {with(one, {"--freq", "1Hz"})},
      {with(one, {"--freq", "1000GHz"})},
      {with(one, {"--freq", "1e13"}), 2},  // finer than SystemC's time resolution (1 ps)
  });
}

TEST_CASE("verify: every numeric option at both ends of its range") {
  const std::vector<std::string> mac = {"verify", "--kinds", "mac", "--beats", "200"};
  check_cases({
      {with(mac, {"--K", "1"})},
      {{"verify", "--kinds", "spike", "--beats", "200", "--K", "1024"}},
      {with(mac, {"--K", "1025"}), 2},
      {with(mac, {"--XW", "1"})},
      {with(mac, {"--XW", "16"})},
      {with(mac, {"--XW", "17"}), 2},
      {with(mac, {"--WW", "1"})},
      {with(mac, {"--WW", "16"})},
      {with(mac, {"--WW", "17"}), 2},
      {with(mac, {"--AW", "2"}), 2},  // in range, too small for K=9 mac terms: refused naming the need
      {with(mac, {"--AW", "64"})},
      {with(mac, {"--AW", "65"}), 2},
      {with(mac, {"--pipeline", "0"})},
      {with(mac, {"--pipeline", "1"})},
      {with(mac, {"--pipeline", "2"}), 2},
      {{"verify", "--kinds", "mac", "--beats", "1"}},
      {{"verify", "--kinds", "mac", "--beats", "1000000001"}, 2},
      {with(mac, {"--seed", "0"})},
      {with(mac, {"--seed", "9999999999999999999"})},
      {with(mac, {"--seed", "99999999999999999999"}), 2},
      {with(mac, {"--level", "gate", "--K", "1", "--AW", "64"})},
  });
}

TEST_CASE("kernels: every numeric option at both ends of its range") {
  // One small kernel, zero-delay activity, few beats: the options, not the costs, are under test.
  const std::vector<std::string> k = {"kernels", "--kinds", "threshold", "--K", "1", "--beats", "50",
                                      "--activity", "zero-delay"};
  check_cases({
      {with(k, {"--XW", "1"})},
      {with(k, {"--XW", "15"})},
      {with(k, {"--XW", "16"}), 2},  // threshold's codes would be 17 bits (at most 16)
      {{"kernels", "--kinds", "mac", "--K", "1", "--beats", "50", "--activity", "zero-delay", "--XW", "16"}},
      {with(k, {"--XW", "17"}), 2},
      {with(k, {"--AW", "2"}), 2},  // too small for one threshold term
      {with(k, {"--AW", "64"})},
      {with(k, {"--AW", "65"}), 2},
      {with(k, {"--pipeline", "1"})},
      {with(k, {"--pipeline", "2"}), 2},
      {{"kernels", "--kinds", "threshold", "--K", "1", "--beats", "1", "--activity", "zero-delay"}},
      {{"kernels", "--kinds", "threshold", "--K", "1", "--beats", "100000001"}, 2},
      {with(k, {"--sparsity", "0"})},
      {with(k, {"--sparsity", "1"})},
      {with(k, {"--sparsity", "1.01"}), 2},
      {with(k, {"--beats-per-output", "1"})},
      {with(k, {"--beats-per-output", "1000000"})},
      {with(k, {"--beats-per-output", "1000001"}), 2},
      {with(k, {"--seed", "0"})},
      {with(k, {"--seed", "9999999999999999999"})},
      {with(k, {"--freq", "1Hz"})},
      {with(k, {"--freq", "1000GHz"})},
      {with(k, {"--freq", "0"}), 2},
      {{"kernels", "--kinds", "threshold", "--K", "1025"}, 2},
      {{"kernels", "--kinds", "threshold", "--K", "0"}, 2},
      // The layout's shape: each end places and routes threshold K=1 (a layout that fails costs its row only).
      {with(with(k, {"--layout"}), {"--layout-density", "0.1"})},
      {with(with(k, {"--layout"}), {"--layout-density", "1"})},
      {with(with(k, {"--layout"}), {"--layout-density", "0.09"}), 2},
      {with(with(k, {"--layout"}), {"--layout-aspect", "0.2"})},
      {with(with(k, {"--layout"}), {"--layout-aspect", "5"})},
      {with(with(k, {"--layout"}), {"--layout-aspect", "5.1"}), 2},
  });
}

TEST_CASE("train: every numeric option at both ends of its range") {
  const auto out = neuroppa::test::temp_dir("range-train") / "model.json";
  // A one-layer network on a handful of images, evaluated on a few test images.
  const std::vector<std::string> t = {"train", "--kind", "mac", "--arch", "d10", "--out", out.string(),
                                      "--train-images", "20", "--batch", "10", "--test-images", "20",
                                      "--epochs", "1"};
  check_cases({
      {with(t, {"--epochs", "1000"})},
      {with(t, {"--epochs", "1001"}), 2},
      {with(t, {"--batch", "1"})},
      {{"train", "--kind", "mac", "--arch", "d10", "--out", out.string(), "--epochs", "1", "--train-images", "0",
        "--batch", "60000", "--test-images", "20"}},
      {with(t, {"--batch", "60001"}), 2},
      {with(t, {"--lr", "1e-9"})},
      {with(t, {"--lr", "10"})},
      {with(t, {"--lr", "11"}), 2},
      {{"train", "--kind", "mac", "--arch", "d10", "--out", out.string(), "--epochs", "1", "--train-images",
        "60000", "--batch", "1000", "--test-images", "20"}},
      {with(t, {"--train-images", "60001"}), 2},
      {with(t, {"--test-images", "1"})},
      {with(t, {"--test-images", "10000"})},
      {with(t, {"--test-images", "10001"}), 2},
      {with(t, {"--seed", "0"})},
      {with(t, {"--seed", "9999999999999999999"})},
      {{"train", "--kind", "spike", "--arch", "d10", "--out", out.string(), "--train-images", "20", "--batch", "10",
        "--test-images", "2", "--epochs", "1", "--timesteps", "1"}},
      {{"train", "--kind", "spike", "--arch", "d10", "--out", out.string(), "--train-images", "20", "--batch", "10",
        "--test-images", "2", "--epochs", "1", "--timesteps", "10000"}},
      {{"train", "--kind", "spike", "--arch", "d10", "--out", out.string(), "--timesteps", "10001"}, 2},
      {with(t, {"--sharpness", "1"})},
      {with(t, {"--sharpness", "1000000"})},
      {with(t, {"--sharpness", "0"}), 2},
      {with(t, {"--sharpness", "1000001"}), 2},
      {with(with(t, {"--kind", "threshold"}), {"--theta-init", "0"})},
      {with(with(t, {"--kind", "threshold"}), {"--theta-init", "1"})},
      {with(with(t, {"--kind", "threshold"}), {"--theta-init", "1.01"}), 2},
      {with(with(t, {"--optimizer", "sgd"}), {"--lr", "10"})},
  });
}
