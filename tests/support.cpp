#include "support.hpp"

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "neuroppa/tech/liberty.hpp"
#include "neuroppa/tech/model_build.hpp"

extern char** environ;

namespace neuroppa::test {
namespace fs = std::filesystem;

fs::path model_cache_dir() { return tech::default_cache_dir(); }

fs::path shared_dir() {
  if (const char* env = std::getenv("NEUROPPA_SHARED_DIR"); env && *env) return env;
  return fs::path(NEUROPPA_SOURCE_DIR) / ".." / "shared";
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

std::string slurp(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace

fs::path temp_dir(const std::string& tag) {
  static TempRoot root;
  static int counter = 0;
  const fs::path dir = root.path / (tag + "-" + std::to_string(counter++));
  fs::create_directories(dir);
  return dir;
}

CommandResult run_command(const std::vector<std::string>& argv) {
  const fs::path dir = temp_dir("cmd");
  const fs::path out = dir / "stdout", err = dir / "stderr";
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 1, out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_addopen(&actions, 2, err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_t pid = 0;
  CommandResult r;
  if (::posix_spawnp(&pid, args[0], &actions, nullptr, args.data(), environ) == 0) {
    int status = 0;
    ::waitpid(pid, &status, 0);
    r.status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  }
  posix_spawn_file_actions_destroy(&actions);
  r.out = slurp(out);
  r.err = slurp(err);
  return r;
}

}  // namespace neuroppa::test
