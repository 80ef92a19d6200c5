#include "support.hpp"

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "neuroppa/base/error.hpp"
#include "neuroppa/base/process.hpp"
#include "neuroppa/tech/liberty.hpp"
#include "neuroppa/vmodel/model_build.hpp"

extern char** environ;

namespace neuroppa::test {
namespace fs = std::filesystem;

fs::path source_dir() { return NEUROPPA_SOURCE_DIR; }

fs::path model_cache_dir() { return vmodel::default_cache_dir(); }

fs::path shared_dir() {
  if (const char* env = std::getenv("NEUROPPA_SHARED_DIR"); env && *env) return env;
  return fs::path(NEUROPPA_SOURCE_DIR) / ".." / "shared";
}

const tech::Library& osu018() {
  static const tech::Library lib = tech::read_liberty(tech::resolve_library("osu018"));
  return lib;
}

fs::path osu_library(const std::string& node) {
  return tech::resolve_library(node);
}

fs::path write_temp_file(const std::string& name, const std::string& text) {
  const fs::path path = temp_dir("file") / name;
  std::ofstream(path, std::ios::binary) << text;
  return path;
}

namespace {

struct TempRoot {
  fs::path path;
  TempRoot() {
    char name[] = "/tmp/neuroppa-test-XXXXXX";
    if (!::mkdtemp(name)) throw std::runtime_error("mkdtemp failed");
    path = name;
  }
  ~TempRoot() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
};

}  // namespace

fs::path temp_dir(const std::string& tag) {
  static TempRoot root;
  static int counter = 0;
  const fs::path dir = root.path / (tag + "-" + std::to_string(counter++));
  fs::create_directories(dir);
  return dir;
}

CommandResult run_command(const std::vector<std::string>& argv) {
  try {
    const base::ProcessResult r = base::run_captured(argv);
    return {r.status, r.out, r.err};
  } catch (const Error& e) {
    return {-1, "", e.what()};
  }
}

}  // namespace neuroppa::test
