#include "neuroppa/app/kinds.hpp"

#include <fmt/format.h>

#include "neuroppa/base/error.hpp"
#include "neuroppa/base/text.hpp"
#include "neuroppa/kernels/package.hpp"

namespace neuroppa::app {

namespace {

std::string parameters_text(const kernels::Package& p) {
  std::string out = fmt::format("K 1..{}, AW 2..{}", models::kMaxK, models::kMaxAW);
  for (const auto& q : p.parameters) out += fmt::format(", {} {}..{} (default {})", q.name, q.min, q.max, q.default_value);
  return out;
}

std::string archs_text(const kernels::Package& p) {
  std::string out;
  for (const models::KernelArch a : p.archs)
    out += fmt::format("{}{}{}", out.empty() ? "" : ", ", models::to_string(a), a == p.default_arch ? " (default)" : "");
  return out;
}

}  // namespace

reports::Table kinds_table(const std::vector<std::filesystem::path>& search_path) {
  reports::Table t;
  t.title = "Kernel kinds";
  t.columns = {{"kind", ""},       {"description", ""}, {"from", ""},    {"package hash", ""},
               {"parameters", ""}, {"widths", ""},      {"back end", ""}, {"RTL", ""},
               {"archs", ""},      {"trainer", ""}};
  for (const kernels::Package& p : kernels::assemble_catalogue(search_path))
    t.rows.push_back({p.name, p.description, p.origin, p.hash.substr(0, 12), parameters_text(p),
                      fmt::format("activation {}, code {}", p.activation_bits.text, p.code_bits.text),
                      std::string(models::to_string(p.backend)),
                      fmt::format("{} {} ({})", kernels::to_string(p.shape), p.top, fmt::join(p.rtl_files, ", ")),
                      archs_text(p), p.trainer});
  t.notes.push_back(
      "Kinds come from the built-ins, then the folders of NEUROPPA_KERNEL_PATH (colon-separated), then --kernel-path; "
      "package hash: the first 12 hex digits of the sha256 of its manifest and every file it names. "
      "docs/kernel-packages.md has the manifest's reference.");
  return t;
}

std::vector<PackageCheck> check_packages(const std::vector<std::filesystem::path>& search_path,
                                         const std::filesystem::path& cache_dir) {
  std::vector<PackageCheck> out;
  for (const kernels::Package& p : kernels::assemble_catalogue(search_path)) {
    if (p.builtin) continue;
    PackageCheck& c = out.emplace_back(PackageCheck{p.name, p.origin, ""});
    try {
      kernels::register_packages({p}, cache_dir);
      kernels::prepare_kinds(std::vector{*models::parse_kernel_kind(p.name)});
    } catch (const Error& e) {
      c.fault = base::first_line(e.what());  // a compiler's log follows it
    }
  }
  return out;
}

}  // namespace neuroppa::app
