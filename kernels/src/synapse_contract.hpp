// The port contract of a synapse package's module, checked with yosys before
// neuroppa builds a kernel around it. Internal to kernels/.
#pragma once

#include <filesystem>

#include "user_kinds.hpp"

namespace neuroppa::kernels {

// Elaborates the module at the package's default XW (and WW) and an unusual
// TW, then checks its ports (x_i [XW-1:0] in, code_i [CW-1:0] in, term_o
// [TW-1:0] out, nothing else) and that it keeps no state. Every fault is one
// error naming the package, its RTL file and the fault (yosys's own ERROR
// line when it does not elaborate). A package that passed is remembered in
// `cache_root` by its content hash.
void check_synapse_contract(const UserKind& u, const std::filesystem::path& cache_root);

}  // namespace neuroppa::kernels
