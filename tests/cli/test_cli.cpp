// The neuroppa command as a user runs it.
#include <doctest/doctest.h>

#include <algorithm>

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
  for (const char* opt : {"--kernel", "--K", "--XW", "--WW", "--AW", "--beats", "--seed"})
    CHECK(r.out.find(opt) != std::string::npos);
  r = run_command({kBin, "--version"});
  CHECK(r.status == 0);
  CHECK(r.out.find("neuroppa 0.") == 0);
}

TEST_CASE("invalid parameters: one clear line each, exit 2") {
  check_one_line_error({"verify", "--K", "0"}, "K=0");
  check_one_line_error({"verify", "--XW", "0"}, "XW=0");
  check_one_line_error({"verify", "--kernel", "mac", "--AW", "12"}, "AW=12");
  check_one_line_error({"verify", "--kernel", "shift", "--WW", "8"}, "WW=8");
  check_one_line_error({"verify", "--kernel", "mult"}, "unknown kernel");
  check_one_line_error({"verify", "--beats", "0"}, "--beats");
}

TEST_CASE("verify on a parameter set no other test uses, then again from the cache") {
  const std::vector<std::string> args = {kBin, "verify", "--K", "7", "--XW", "5", "--WW", "5",
                                         "--AW", "30", "--beats", "30000", "--seed", "11"};
  auto r = run_command(args);
  CAPTURE(r.out);
  CAPTURE(r.err);
  REQUIRE(r.status == 0);
  CHECK(r.out.find("PASS: 4 of 4 kernels") != std::string::npos);
  CHECK(std::count(r.out.begin(), r.out.end(), '\n') == 5);
  r = run_command(args);
  REQUIRE(r.status == 0);
  // Every model comes from the cache the second time.
  CHECK(r.out.find("model built") == std::string::npos);
  CHECK(r.err.find("building") == std::string::npos);
  CHECK(r.err.find("using cached model rtl mac K=7 XW=5 WW=5 AW=30") != std::string::npos);
}
