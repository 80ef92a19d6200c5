#pragma once

#include <filesystem>
#include <string>

namespace neuroppa::models {

// The whole file, gunzipped if it is gzip-compressed (plain files are read
// as they are). Throws neuroppa::Error naming the file if it cannot be
// opened or its compressed data are corrupt or truncated.
std::string read_file(const std::filesystem::path& path);

}  // namespace neuroppa::models
