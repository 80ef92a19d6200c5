#include "neuroppa/base/content_store.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fmt/format.h>

#include "neuroppa/base/error.hpp"

namespace neuroppa::base {
namespace fs = std::filesystem;

namespace {

// Holds an exclusive flock on a file for its lifetime; the kernel releases
// it if the process dies, so a crashed builder never blocks others.
class FileLock {
 public:
  explicit FileLock(const fs::path& path) {
    fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd_ < 0) throw Error(fmt::format("cannot open lock file {}: {}", path.string(), std::strerror(errno)));
    while (::flock(fd_, LOCK_EX) != 0) {
      if (errno != EINTR) {
        ::close(fd_);
        throw Error(fmt::format("cannot lock {}: {}", path.string(), std::strerror(errno)));
      }
    }
  }
  ~FileLock() { ::close(fd_); }
  FileLock(const FileLock&) = delete;
  FileLock& operator=(const FileLock&) = delete;

 private:
  int fd_ = -1;
};

void make_dirs(const fs::path& dir) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) throw Error(fmt::format("cannot create cache folder {}: {}", dir.string(), ec.message()));
}

}  // namespace

ContentStore::Entry ContentStore::get_or_build(std::string_view kind, const std::string& key,
                                               const std::function<void(const BuildContext&)>& build) const {
  const fs::path final_dir = path(kind, key);
  if (fs::exists(final_dir)) return {final_dir, true};  // published folders are complete
  for (const char* sub : {"locks", "tmp", "logs"}) make_dirs(root_ / sub);
  make_dirs(final_dir.parent_path());
  const std::string name = fmt::format("{}-{}", kind, key);
  FileLock lock(root_ / "locks" / (name + ".lock"));
  if (fs::exists(final_dir)) return {final_dir, true};  // built by another process while we waited

  const BuildContext ctx{root_ / "tmp" / fmt::format("{}.{}", name, ::getpid()), root_ / "logs" / (name + ".log")};
  fs::remove_all(ctx.dir);
  fs::create_directories(ctx.dir);
  fs::remove(ctx.log);
  try {
    build(ctx);
  } catch (...) {
    std::error_code ec;
    fs::remove_all(ctx.dir, ec);
    throw;
  }
  std::error_code ec;
  fs::rename(ctx.dir, final_dir, ec);  // atomic publish
  if (ec) {
    fs::remove_all(ctx.dir, ec);
    if (!fs::exists(final_dir))
      throw Error(fmt::format("cannot publish {} into the cache: {}", final_dir.string(), ec.message()));
  }
  return {final_dir, false};
}

}  // namespace neuroppa::base
