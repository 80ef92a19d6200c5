// Reading text a user wrote (options, files): no exceptions, no locale.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace neuroppa::base {

// The number at the start of `text` (as std::stod reads it) and how many
// characters it took; `used` is 0 when there is none (or it overflows).
double leading_number(const std::string& text, std::size_t& used);

// "a,b,,c" -> {"a", "b", "c"}: the non-empty items of a comma-separated list.
std::vector<std::string> split_list(std::string_view text);

// " a\tb\n c " -> {"a", "b", "c"}: the words of a text, split at whitespace.
std::vector<std::string> split_words(std::string_view text);

// `text` with every control character (below 0x20, and 0x7f) as \xNN, so that
// a message echoing what a user wrote stays one line on a terminal.
std::string printable(std::string_view text);

// The text up to its first newline (an error's headline; a tool's log may follow it).
std::string first_line(std::string_view text);

}  // namespace neuroppa::base
