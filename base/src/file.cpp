#include "neuroppa/base/file.hpp"

#include <zlib.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <fmt/format.h>

#include "neuroppa/base/error.hpp"

namespace neuroppa::base {

std::string read_file(const std::filesystem::path& path) {
  gzFile f = ::gzopen(path.c_str(), "rb");  // reads plain files unchanged too
  if (!f) throw Error(fmt::format("{}: cannot open: {}", path.string(), std::strerror(errno)));
  std::string text;
  char buf[1 << 16];
  int n = 0;
  while ((n = ::gzread(f, buf, sizeof buf)) > 0) text.append(buf, static_cast<std::size_t>(n));
  int err = Z_OK;
  const char* msg = ::gzerror(f, &err);
  const std::string error_text = (n < 0 || (err != Z_OK && err != Z_STREAM_END)) ? msg : "";
  ::gzclose(f);
  if (!error_text.empty())
    throw Error(fmt::format("{}: cannot read (corrupt or truncated gzip data?): {}", path.string(), error_text));
  return text;
}

void write_file(const std::filesystem::path& path, std::string_view text) {
  std::ofstream out(path, std::ios::binary);
  if (!out) throw Error(fmt::format("{}: cannot write: {}", path.string(), std::strerror(errno)));
  out.write(text.data(), static_cast<std::streamsize>(text.size()));
  if (!out.flush()) throw Error(fmt::format("{}: cannot write (disk full?)", path.string()));
}

}  // namespace neuroppa::base
