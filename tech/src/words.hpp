// Whitespace-separated words of a file read piece by piece (a VCD or a SPEF
// may be gigabytes), with line numbers. Internal to tech/.
#pragma once

#include <cctype>
#include <cstdint>
#include <filesystem>
#include <fmt/format.h>
#include <string>

#include "neuroppa/base/error.hpp"
#include "neuroppa/base/file.hpp"

namespace neuroppa::tech {

// Whitespace-separated words of a file read piece by piece (a VCD may be
// gigabytes), with line numbers.
class Words {
 public:
  explicit Words(const std::filesystem::path& path) : in_(path), buffer_(1 << 20, '\0') {}
  bool next(std::string& word) {
    word.clear();
    for (;;) {  // blanks
      if (pos_ == end_ && !fill()) return false;
      const char c = buffer_[pos_];
      if (!std::isspace(static_cast<unsigned char>(c))) break;
      line_ += c == '\n';
      ++pos_;
    }
    for (;;) {  // the word, perhaps across pieces
      std::size_t stop = pos_;
      while (stop < end_ && !std::isspace(static_cast<unsigned char>(buffer_[stop]))) ++stop;
      word.append(buffer_, pos_, stop - pos_);
      pos_ = stop;
      if (word.size() > kMaxWord)
        throw Error(fmt::format("{}:{}: a word of more than {} characters", in_.path().string(), line_, kMaxWord));
      if (pos_ < end_ || !fill()) return true;
    }
  }
  std::int64_t line() const { return line_; }

 private:
  static constexpr std::size_t kMaxWord = (1 << 20) + 64;  // a value of the widest $var, and its prefix
  bool fill() {
    end_ = in_.read(buffer_.data(), buffer_.size());
    pos_ = 0;
    return end_ > 0;
  }
  base::InputFile in_;
  std::string buffer_;
  std::size_t pos_ = 0, end_ = 0;
  std::int64_t line_ = 1;
};

}  // namespace neuroppa::tech
