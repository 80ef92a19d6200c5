// TOML files a user writes (sweep files, kernel package manifests), read
// with toml11 behind the checks toml11 lacks, so that every fault is one line
// naming the file and the line.
#pragma once

#include <filesystem>
#include <map>
#include <string>
#include <toml.hpp>
#include <utility>
#include <vector>

namespace neuroppa::base {

// std::map keeps nothing of the file's order; values carry their line, by
// which entries are put back in the order they were written (in_file_order).
using TomlValue = toml::basic_value<toml::discard_comments, std::map, std::vector>;

// The parsed file. `what` names it in errors ("sweep file"); a file larger
// than `max_bytes`, not UTF-8, nested deeper than any such file needs, or not
// valid TOML is a neuroppa::Error "path:line: ...".
TomlValue read_toml_file(const std::filesystem::path& path, const std::string& what, std::size_t max_bytes);

// The same checks and parse for text already in memory; `path` names it in
// errors.
TomlValue parse_toml_text(const std::string& text, const std::filesystem::path& path);

// Throws neuroppa::Error "path:line: what".
[[noreturn]] void fail_at(const std::filesystem::path& path, int line, const std::string& what);

// The line a value was written on (1 for values without a location).
int line_of(const TomlValue& value);

// Entries of a table in the order they were written.
std::vector<std::pair<std::string, const TomlValue*>> in_file_order(const TomlValue& table);

}  // namespace neuroppa::base
