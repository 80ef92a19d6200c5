// Kernel packages registered as kinds (the built-ins, then register_packages):
// what the catalogue needs of each beyond models::RegisteredKind. Internal to kernels/.
#pragma once

#include <memory>
#include <string>

#include "neuroppa/kernels/catalogue.hpp"
#include "neuroppa/kernels/golden.hpp"
#include "neuroppa/kernels/package.hpp"

namespace neuroppa::kernels {

struct PackageKind {
  Package package;
  models::KernelKind kind{};
  std::shared_ptr<GoldenModel> golden;
  std::string top;  // the kernel's top: a whole kernel's own, or the one built around a synapse, np_<name>_kernel
  std::filesystem::path cache_root;  // where its golden model and contract check are cached
  KernelTraits traits{};  // its strings point into `package` and `top`
};

// The package behind a registered kind.
const PackageKind& package_kind(models::KernelKind kind);

// The kernel neuroppa builds around a synapse package: rtl/synapse/np_synapse_kernel.sv
// with the module named `u.top` and the synapse instance naming the package's top.
std::string synapse_kernel_text(const PackageKind& u);

}  // namespace neuroppa::kernels
