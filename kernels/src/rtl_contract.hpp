// The port contracts of a package's RTL, checked with yosys before neuroppa
// builds anything of it. Internal to kernels/.
#pragma once

#include <filesystem>

#include "package_kinds.hpp"

namespace neuroppa::kernels {

// A synapse package: elaborates the module at the package's default XW (and
// WW) and an unusual TW, then checks its ports (x_i [XW-1:0] in, code_i
// [CW-1:0] in, term_o [TW-1:0] out, nothing else) and that it keeps no state.
// A whole-kernel package: elaborates its top with neuroppa's shared blocks at
// K = 3, the package's default widths and its default arch, and checks that
// its ports are the kernel contract's (kernels::ports) for its back end,
// nothing more. Every fault is one error naming the package, its RTL file
// and the fault (yosys's own ERROR line when it does not elaborate). A
// package that passed is remembered in `cache_root` by its content hash.
void check_rtl_contract(const PackageKind& u, const std::filesystem::path& cache_root);

}  // namespace neuroppa::kernels
