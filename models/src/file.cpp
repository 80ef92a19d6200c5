#include "neuroppa/models/file.hpp"

#include <zlib.h>

#include <cerrno>
#include <cstring>
#include <fmt/format.h>

#include "neuroppa/models/error.hpp"

namespace neuroppa::models {

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

}  // namespace neuroppa::models
