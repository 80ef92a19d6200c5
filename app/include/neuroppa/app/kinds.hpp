// neuroppa kinds: every kernel kind the catalogue holds, built-in or a
// package found on the kernel path, with what a user needs to choose one.
#pragma once

#include <filesystem>
#include <vector>

#include "neuroppa/reports/table.hpp"

namespace neuroppa::app {

// One row per package of kernels::assemble_catalogue(search_path).
reports::Table kinds_table(const std::vector<std::filesystem::path>& search_path);

struct PackageCheck {
  std::string package, origin;
  std::string fault;  // "" when it passed
};
// Everything neuroppa checks of a package before it builds one of its kernels
// (kernels::register_packages, then prepare_kinds: the golden model compiles
// and loads, code 0 at x = 0 adds 0, the synapse module keeps its port
// contract), for every package on the path; the built-ins are neuroppa's own.
// Compiles into `cache_dir`.
std::vector<PackageCheck> check_packages(const std::vector<std::filesystem::path>& search_path,
                                         const std::filesystem::path& cache_dir);

}  // namespace neuroppa::app
