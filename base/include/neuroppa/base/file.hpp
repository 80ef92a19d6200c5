#pragma once

#include <filesystem>
#include <string>
#include <string_view>

namespace neuroppa::base {

// The whole file, gunzipped if it is gzip-compressed (plain files are read
// as they are). Throws neuroppa::Error naming the file if it cannot be
// opened or its compressed data are corrupt or truncated.
std::string read_file(const std::filesystem::path& path);

// Writes `text` to `path` (replacing it); throws neuroppa::Error naming the
// file if it cannot be written completely.
void write_file(const std::filesystem::path& path, std::string_view text);

}  // namespace neuroppa::base
