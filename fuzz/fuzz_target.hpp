// Shared by the fuzz targets: each defines LLVMFuzzerTestOneInput, which
// feeds one input to a parser. A neuroppa::Error is the expected answer to
// malformed input; anything else (another exception, a crash, a sanitizer
// report) is a bug. Built with clang's -fsanitize=fuzzer by scripts/fuzz.sh,
// or with the replay driver (replay_main.cpp) that the default tests run
// over the corpus in fuzz/corpus/<target>/.
#pragma once

#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>

#include "neuroppa/base/error.hpp"

namespace neuroppa::fuzz {

inline std::string_view as_text(const std::uint8_t* data, std::size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

// Runs `parse`; a neuroppa::Error (malformed input, named) is fine. With
// NEUROPPA_FUZZ_VERBOSE set, prints what each input gave (to check that the
// seeds are accepted).
template <class F>
int expect_clean_error(F&& parse) {
  static const bool verbose = std::getenv("NEUROPPA_FUZZ_VERBOSE") != nullptr;
  try {
    parse();
    if (verbose) std::fprintf(stderr, "accepted\n");
  } catch (const neuroppa::Error& e) {
    if (verbose) std::fprintf(stderr, "error: %s\n", e.what());
  }
  return 0;
}

// The input as a file (the file readers take paths), removed afterwards.
class TempFile {
 public:
  TempFile(const std::uint8_t* data, std::size_t size, std::string_view suffix)
      : path_(std::filesystem::temp_directory_path() /
              ("neuroppa-fuzz-" + std::to_string(::getpid()) + std::string(suffix))) {
    std::ofstream(path_, std::ios::binary).write(reinterpret_cast<const char*>(data), std::streamsize(size));
  }
  ~TempFile() {
    std::error_code ignored;
    std::filesystem::remove(path_, ignored);
  }
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

}  // namespace neuroppa::fuzz
