// neuroppa kinds: every kernel kind the catalogue holds, built-in or a
// package found on the kernel path, with what a user needs to choose one.
#pragma once

#include <filesystem>
#include <vector>

#include "neuroppa/reports/table.hpp"

namespace neuroppa::app {

// One row per package of kernels::assemble_catalogue(search_path).
reports::Table kinds_table(const std::vector<std::filesystem::path>& search_path);

}  // namespace neuroppa::app
