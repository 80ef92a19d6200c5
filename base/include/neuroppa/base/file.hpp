#pragma once

#include <filesystem>
#include <string>
#include <string_view>

namespace neuroppa::base {

// Checks that `path` can be opened for reading before anything else says
// why not: missing, a folder, a special file (a device or socket; a pipe is
// accepted and read as a stream), or no read permission, each its own message
// naming the path (after `what`, e.g. "--model", when given). Every reader
// below calls it first.
void check_input_file(const std::filesystem::path& path, std::string_view what = {});

// The whole file, gunzipped if it is gzip-compressed (plain files are read
// as they are). Throws neuroppa::Error naming the file if it cannot be
// opened or its compressed data are corrupt or truncated.
std::string read_file(const std::filesystem::path& path);

// A file read piece by piece, gunzipped if it is gzip-compressed: for inputs
// too big to hold whole (a VCD of gigabytes). Errors as read_file's.
class InputFile {
 public:
  explicit InputFile(const std::filesystem::path& path);
  ~InputFile();
  InputFile(const InputFile&) = delete;
  InputFile& operator=(const InputFile&) = delete;
  // Up to `size` bytes into `buffer`; 0 at the end of the file.
  std::size_t read(char* buffer, std::size_t size);
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
  void* file_ = nullptr;  // gzFile
};

// Writes `text` to `path` (replacing it); throws neuroppa::Error naming the
// file if it cannot be written completely.
void write_file(const std::filesystem::path& path, std::string_view text);

// Checks, before any work starts, that `option`'s file could be written: an
// existing regular file that is writable, or a new name in an existing,
// writable folder. Nothing is created or changed. Throws neuroppa::Error
// naming the option and the path.
void check_writable_file(const std::filesystem::path& path, std::string_view option);
// The same for an output folder: created if missing (with its parents),
// then it must be a writable folder.
void prepare_output_folder(const std::filesystem::path& path, std::string_view option);

}  // namespace neuroppa::base
