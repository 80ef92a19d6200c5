#include <doctest/doctest.h>

#include "neuroppa/base/error.hpp"
#include "neuroppa/base/process.hpp"
#include "neuroppa/base/sha256.hpp"
#include "support.hpp"

using namespace neuroppa;

TEST_CASE("require_tool finds tools and names the package of a missing one") {
  CHECK(base::require_tool("sh", "dash").is_absolute());
  try {
    base::require_tool("neuroppa-no-such-tool", "some-package");
    FAIL("expected an error");
  } catch (const Error& e) {
    const std::string msg = e.what();
    CHECK(msg.find("neuroppa-no-such-tool") != std::string::npos);
    CHECK(msg.find("some-package") != std::string::npos);
  }
}

TEST_CASE("capture_output and run_logged") {
  CHECK(base::capture_output({"sh", "-c", "echo hello"}) == "hello\n");
  CHECK_THROWS_AS(base::capture_output({"sh", "-c", "exit 3"}), Error);
  const auto dir = test::temp_dir("proc");
  const auto log = dir / "log";
  CHECK(base::run_logged({"sh", "-c", "echo out; echo err >&2; exit 5"}, log, dir) == 5);
  CHECK(base::tail_of_file(log, 2) == "out\nerr\n");
}

TEST_CASE("Sha256 frames fields and gives the 64-digit hex digest") {
  const std::string ab_c = base::Sha256().update("ab").update("c").hex();
  const std::string a_bc = base::Sha256().update("a").update("bc").hex();
  CHECK(ab_c.size() == 64);
  CHECK(ab_c != a_bc);
  CHECK(ab_c == base::Sha256().update("ab").update("c").hex());
}
