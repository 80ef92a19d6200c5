#include "neuroppa/base/process.hpp"

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <deque>
#include <mutex>
#include <map>
#include <fmt/format.h>
#include <fstream>

#include "neuroppa/base/error.hpp"

extern char** environ;

namespace neuroppa::base {
namespace fs = std::filesystem;

fs::path require_tool(const std::string& tool, const std::string& debian_package) {
  const char* path_env = std::getenv("PATH");
  std::string path = path_env ? path_env : "/usr/bin:/bin";
  std::size_t start = 0;
  while (start <= path.size()) {
    const std::size_t end = std::min(path.find(':', start), path.size());
    const fs::path candidate = fs::path(path.substr(start, end - start)) / tool;
    if (::access(candidate.c_str(), X_OK) == 0) return candidate;
    start = end + 1;
  }
  throw Error(fmt::format("'{}' was not found on PATH: install the Debian package '{}' "
                          "(bash scripts/setup.sh installs every dependency)",
                          tool, debian_package));
}

namespace {

std::vector<char*> c_argv(const std::vector<std::string>& argv) {
  std::vector<char*> out;
  for (const auto& a : argv) out.push_back(const_cast<char*>(a.c_str()));
  out.push_back(nullptr);
  return out;
}

int wait_for(pid_t pid) {
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) return 127;
  }
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  return 128 + WTERMSIG(status);
}

// posix_spawn with stdout/stderr sent to `out_fd` (stdin from /dev/null).
int spawn_and_wait(const std::vector<std::string>& argv, int out_fd, int err_fd,
                   const fs::path* cwd) {
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, out_fd, 1);
  posix_spawn_file_actions_adddup2(&actions, err_fd, 2);
  if (cwd) posix_spawn_file_actions_addchdir_np(&actions, cwd->c_str());
  auto args = c_argv(argv);
  pid_t pid = 0;
  const int rc = ::posix_spawnp(&pid, args[0], &actions, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) throw Error(fmt::format("cannot start '{}': {}", argv[0], std::strerror(rc)));
  return wait_for(pid);
}

}  // namespace

int run_logged(const std::vector<std::string>& argv, const fs::path& log, const fs::path& cwd) {
  const int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0) throw Error(fmt::format("cannot write log file {}: {}", log.string(), std::strerror(errno)));
  const int rc = spawn_and_wait(argv, fd, fd, &cwd);
  ::close(fd);
  return rc;
}

namespace {

// An unlinked temporary file: the child writes it, the parent reads it back.
int anonymous_file() {
  char name[] = "/tmp/neuroppa-capture-XXXXXX";
  const int fd = ::mkstemp(name);
  if (fd < 0) throw Error(fmt::format("cannot create a temporary file: {}", std::strerror(errno)));
  ::unlink(name);
  return fd;
}

std::string read_back(int fd) {
  std::string out;
  ::lseek(fd, 0, SEEK_SET);
  char buf[4096];
  for (ssize_t n; (n = ::read(fd, buf, sizeof buf)) > 0;) out.append(buf, static_cast<std::size_t>(n));
  ::close(fd);
  return out;
}

}  // namespace

ProcessResult run_captured(const std::vector<std::string>& argv) { return run_captured(argv, fs::path{}); }

ProcessResult run_captured(const std::vector<std::string>& argv, const fs::path& cwd) {
  const int out_fd = anonymous_file(), err_fd = anonymous_file();
  ProcessResult r;
  r.status = spawn_and_wait(argv, out_fd, err_fd, cwd.empty() ? nullptr : &cwd);
  r.out = read_back(out_fd);
  r.err = read_back(err_fd);
  return r;
}

std::string capture_output(const std::vector<std::string>& argv) {
  const ProcessResult r = run_captured(argv);
  if (r.status != 0) throw Error(fmt::format("'{}' failed with exit status {}", argv[0], r.status));
  return r.out;
}

const std::string& tool_version(const std::string& tool, const std::string& debian_package, const std::string& flag) {
  static std::mutex mutex;
  static std::map<std::string, std::string> versions;
  const std::lock_guard lock(mutex);
  const auto [it, inserted] = versions.try_emplace(tool + " " + flag);
  if (inserted) {
    try {
      require_tool(tool, debian_package);
      it->second = capture_output({tool, flag});
    } catch (...) {
      versions.erase(it);
      throw;
    }
  }
  return it->second;
}

std::string tail_of_file(const fs::path& file, int lines) {
  std::ifstream in(file);
  std::deque<std::string> last;
  for (std::string line; std::getline(in, line);) {
    last.push_back(line);
    if (static_cast<int>(last.size()) > lines) last.pop_front();
  }
  std::string out;
  for (const auto& l : last) out += l + "\n";
  return out;
}

}  // namespace neuroppa::base
