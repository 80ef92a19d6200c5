#include "neuroppa/base/toml.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <sstream>

#include "neuroppa/base/error.hpp"
#include "neuroppa/base/file.hpp"
#include "neuroppa/base/text.hpp"

namespace neuroppa::base {
namespace fs = std::filesystem;

namespace {

constexpr int kMaxNesting = 32;  // a sweep file or manifest needs 2; toml11's parser recurses per level


// Brackets nested deeper than any of our files needs are refused before the
// recursive TOML parser sees them (strings and comments roughly skipped: a
// bracket in a string only counts against a generous limit).
void check_nesting(const std::string& text, const fs::path& path) {
  int depth = 0, line = 1;
  char quote = 0;
  bool comment = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '\n') ++line, comment = false;
    if (comment) continue;
    if (quote) {
      if (c == '\\' && quote == '"') ++i;
      else if (c == quote) quote = 0;
      continue;
    }
    if (c == '#') comment = true;
    else if (c == '"' || c == '\'') quote = c;
    else if (c == '[' || c == '{') {
      if (++depth > kMaxNesting) fail_at(path, line, fmt::format("brackets nested more than {} deep", kMaxNesting));
    } else if (c == ']' || c == '}') {
      depth = std::max(0, depth - 1);
    }
  }
}

// Length of the UTF-8 sequence starting at text[i], or 0 if it is not valid
// (overlong forms, surrogates and code points past U+10FFFF included).
std::size_t utf8_sequence(const std::string& text, std::size_t i) {
  const auto byte = [&](std::size_t k) { return static_cast<unsigned char>(text[k]); };
  const unsigned c = byte(i);
  if (c < 0x80) return 1;
  std::size_t n;
  unsigned low = 0x80, high = 0xBF;  // the range of the second byte
  if (c >= 0xC2 && c <= 0xDF) n = 2;
  else if (c >= 0xE0 && c <= 0xEF) n = 3, low = c == 0xE0 ? 0xA0 : 0x80, high = c == 0xED ? 0x9F : 0xBF;
  else if (c >= 0xF0 && c <= 0xF4) n = 4, low = c == 0xF0 ? 0x90 : 0x80, high = c == 0xF4 ? 0x8F : 0xBF;
  else return 0;
  if (i + n > text.size() || byte(i + 1) < low || byte(i + 1) > high) return 0;
  for (std::size_t k = 2; k < n; ++k)
    if (byte(i + k) < 0x80 || byte(i + k) > 0xBF) return 0;
  return n;
}

// TOML files are UTF-8. toml11 3.7 checks that only inside strings, and its
// error path for a bad multi-line string reads past its buffer (found by
// fuzz_sweep), so the whole text is checked before toml11 sees it.
void check_utf8(const std::string& text, const fs::path& path) {
  int line = 1;
  for (std::size_t i = 0; i < text.size();) {
    const std::size_t n = utf8_sequence(text, i);
    if (n == 0)
      fail_at(path, line, fmt::format("not valid UTF-8 (byte 0x{:02X}); TOML is UTF-8 text",
                                   static_cast<unsigned char>(text[i])));
    if (text[i] == '\n') ++line;
    i += n;
  }
}

// toml11's message is several lines with a source excerpt; one line of it:
// what it expected, and its hint after "^---" if there is one.
std::string syntax_message(const std::string& what) {
  std::string first = what.substr(0, what.find('\n'));
  if (first.rfind("[error] ", 0) == 0) first = first.substr(8);
  if (const auto colon = first.find(": "); first.rfind("toml::", 0) == 0 && colon != std::string::npos)
    first = first.substr(colon + 2);
  if (const auto hint = what.find("^---"); hint != std::string::npos) {
    std::string h = what.substr(hint + 4, what.find('\n', hint) - hint - 4);
    while (!h.empty() && h.front() == '-') h.erase(0, 1);
    while (!h.empty() && h.front() == ' ') h.erase(0, 1);
    if (!h.empty()) first += " (" + h + ")";
  }
  return first;
}

}  // namespace

TomlValue read_toml_file(const fs::path& path, const std::string& what, std::size_t max_bytes) {
  check_input_file(path, what);
  if (fs::file_size(path) > max_bytes)
    throw Error(fmt::format("{}: a {} of more than {} bytes", path.string(), what, max_bytes));
  return parse_toml_text(read_file(path), path);
}

TomlValue parse_toml_text(const std::string& text, const fs::path& path) {
  check_utf8(text, path);
  check_nesting(text, path);
  try {
    std::istringstream in(text);
    return toml::parse<toml::discard_comments, std::map, std::vector>(in, path.string());
  } catch (const toml::syntax_error& e) {
    fail_at(path, static_cast<int>(e.location().line()), "not valid TOML: " + syntax_message(e.what()));
  } catch (const toml::exception& e) {
    fail_at(path, static_cast<int>(e.location().line()), "not valid TOML: " + syntax_message(e.what()));
  } catch (const std::out_of_range& e) {  // e.g. an integer beyond 64 bits
    throw Error(fmt::format("{}: not valid TOML: {}", path.string(), e.what()));
  }
}

[[noreturn]] void fail_at(const fs::path& path, int line, const std::string& what) {
  throw Error(fmt::format("{}:{}: {}", path.string(), line, printable(what)));
}

int line_of(const TomlValue& v) { return static_cast<int>(v.location().line()); }

// Entries of a table in the order they were written.
std::vector<std::pair<std::string, const TomlValue*>> in_file_order(const TomlValue& table) {
  std::vector<std::pair<std::string, const TomlValue*>> entries;
  for (const auto& [key, value] : table.as_table()) entries.emplace_back(key, &value);
  std::stable_sort(entries.begin(), entries.end(),
                   [](const auto& a, const auto& b) { return line_of(*a.second) < line_of(*b.second); });
  return entries;
}

}  // namespace neuroppa::base
