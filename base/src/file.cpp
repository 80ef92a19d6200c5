#include "neuroppa/base/file.hpp"

#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <unistd.h>
#include <fmt/format.h>

#include "neuroppa/base/error.hpp"

namespace neuroppa::base {

void check_input_file(const std::filesystem::path& path, std::string_view what) {
  namespace fs = std::filesystem;
  const std::string name = what.empty() ? path.string() : fmt::format("{} {}", what, path.string());
  std::error_code ec;
  const fs::file_status status = fs::status(path, ec);
  if (status.type() == fs::file_type::not_found) throw Error(fmt::format("{}: no such file", name));
  if (ec) throw Error(fmt::format("{}: cannot be read: {}", name, ec.message()));
  switch (status.type()) {
    case fs::file_type::regular:
    case fs::file_type::fifo: break;  // a pipe (e.g. <(zcat big.vcd.gz)) is read as a stream
    case fs::file_type::directory: throw Error(fmt::format("{}: is a folder, not a file", name));
    case fs::file_type::character: throw Error(fmt::format("{}: is a character device, not a regular file", name));
    case fs::file_type::block: throw Error(fmt::format("{}: is a block device, not a regular file", name));
    case fs::file_type::socket: throw Error(fmt::format("{}: is a socket, not a regular file", name));
    default: throw Error(fmt::format("{}: is not a regular file", name));
  }
  if (::access(path.c_str(), R_OK) != 0)
    throw Error(fmt::format("{}: cannot be read: {}", name, std::strerror(errno)));
}

InputFile::InputFile(const std::filesystem::path& path) : path_(path) {
  check_input_file(path);
  gzFile f = ::gzopen(path.c_str(), "rb");  // reads plain files unchanged too
  if (!f) throw Error(fmt::format("{}: cannot open: {}", path.string(), std::strerror(errno)));
  ::gzbuffer(f, 1 << 17);
  file_ = f;
}

InputFile::~InputFile() { ::gzclose(static_cast<gzFile>(file_)); }

std::size_t InputFile::read(char* buffer, std::size_t size) {
  gzFile f = static_cast<gzFile>(file_);
  const int n = ::gzread(f, buffer, static_cast<unsigned>(std::min<std::size_t>(size, 1u << 30)));
  int err = Z_OK;
  const char* msg = ::gzerror(f, &err);
  if (n < 0 || (err != Z_OK && err != Z_STREAM_END))
    throw Error(fmt::format("{}: cannot read (corrupt or truncated gzip data?): {}", path_.string(), msg));
  return static_cast<std::size_t>(n);
}

std::string read_file(const std::filesystem::path& path) {
  InputFile in(path);
  std::string text;
  char buf[1 << 16];
  while (const std::size_t n = in.read(buf, sizeof buf)) text.append(buf, n);
  return text;
}

void write_file(const std::filesystem::path& path, std::string_view text) {
  std::ofstream out(path, std::ios::binary);
  if (!out) throw Error(fmt::format("{}: cannot write: {}", path.string(), std::strerror(errno)));
  out.write(text.data(), static_cast<std::streamsize>(text.size()));
  if (!out.flush()) throw Error(fmt::format("{}: cannot write (disk full?)", path.string()));
}

void check_writable_file(const std::filesystem::path& path, std::string_view option) {
  namespace fs = std::filesystem;
  std::error_code ec;
  const fs::file_status status = fs::status(path, ec);
  if (fs::exists(status)) {
    if (!fs::is_regular_file(status))
      throw Error(fmt::format("{} {}: exists and is not a regular file", option, path.string()));
    if (::access(path.c_str(), W_OK) != 0)
      throw Error(fmt::format("{} {}: cannot be written: {}", option, path.string(), std::strerror(errno)));
    return;
  }
  const fs::path folder = path.parent_path().empty() ? fs::path(".") : path.parent_path();
  if (!fs::is_directory(folder, ec))
    throw Error(fmt::format("{} {}: the folder {} does not exist", option, path.string(), folder.string()));
  if (::access(folder.c_str(), W_OK) != 0)
    throw Error(fmt::format("{} {}: cannot write in {}: {}", option, path.string(), folder.string(),
                            std::strerror(errno)));
}

void prepare_output_folder(const std::filesystem::path& path, std::string_view option) {
  namespace fs = std::filesystem;
  std::error_code ec;
  fs::create_directories(path, ec);
  if (ec) throw Error(fmt::format("{} {}: cannot create the folder: {}", option, path.string(), ec.message()));
  if (!fs::is_directory(path, ec)) throw Error(fmt::format("{} {}: is not a folder", option, path.string()));
  if (::access(path.c_str(), W_OK) != 0)
    throw Error(fmt::format("{} {}: cannot write in it: {}", option, path.string(), std::strerror(errno)));
}

}  // namespace neuroppa::base
