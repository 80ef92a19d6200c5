#include "neuroppa/kernels/catalogue.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <stdexcept>

#include "neuroppa/base/embedded.hpp"
#include "neuroppa/base/error.hpp"
#include "neuroppa/base/file.hpp"
#include "neuroppa/base/text.hpp"
#include "neuroppa/kernels/package.hpp"
#include "package_kinds.hpp"

namespace neuroppa::kernels {

// rtl/*.sv, embedded at build time (cmake/embed_files.cmake).
extern const base::EmbeddedFile kRtlFiles[];
extern const std::size_t kRtlFilesCount;

namespace {

using models::KernelKind;

// Modules every kernel uses, in compilation order; then the output stage or,
// where the kind keeps a membrane, the membrane update.
constexpr std::string_view kPackage = "np_pkg.sv";
constexpr std::string_view kShared[] = {"np_params_check.sv", "np_register.sv", "np_beat_stage.sv", "np_accumulator.sv",
                                         "np_reduce.sv"};
constexpr std::string_view kOutputStage = "np_output_stage.sv";
constexpr std::string_view kMembrane = "np_membrane.sv";
constexpr std::string_view kSigmaDelta = "np_sigma_delta.sv";

// The end-of-timestep block of a back end.
std::string_view backend_file(models::Backend backend) {
  switch (backend) {
    case models::Backend::membrane: return kMembrane;
    case models::Backend::sigma_delta: return kSigmaDelta;
    case models::Backend::output_stage: break;
  }
  return kOutputStage;
}

}  // namespace

std::vector<KernelTraits> catalogue() {
  std::vector<KernelTraits> out;
  for (const KernelKind kind : models::all_kernel_kinds()) out.push_back(traits(kind));
  return out;
}

const KernelTraits& traits(KernelKind kind) { return package_kind(kind).traits; }

KernelKind baseline_kind() { return models::kind_named("mac"); }

namespace {

// The names of `all`, comma-separated.
template <class Range>
std::string names_of(const Range& all) {
  std::string out;
  for (const auto e : all) out += fmt::format("{}{}", out.empty() ? "" : ", ", models::to_string(e));
  return out;
}

// A comma-separated list of names of `all` (or "all") as `option` gave it;
// `what` names one ("kernel") in the errors.
template <class E, class Range>
std::vector<E> parse_list(std::string_view list, std::string_view option, std::string_view what, const Range& all,
                          std::optional<E> (*parse)(std::string_view)) {
  std::vector<E> out;
  for (const std::string& name : base::split_list(list)) {
    if (name == "all") {
      out.insert(out.end(), std::begin(all), std::end(all));
      continue;
    }
    const std::optional<E> e = parse(name);
    if (!e)
      throw Error(fmt::format("{} {}: unknown {} '{}'; choose from {} or all", option, list, what, name, names_of(all)));
    out.push_back(*e);
  }
  if (out.empty()) throw Error(fmt::format("{}: give at least one {} ({})", option, what, names_of(all)));
  return out;
}

}  // namespace

std::string kind_names() { return names_of(models::all_kernel_kinds()); }

std::vector<KernelKind> parse_kinds(std::string_view list, std::string_view option) {
  return parse_list(list, option, "kernel", models::all_kernel_kinds(), models::parse_kernel_kind);
}

std::string arch_names() { return names_of(models::kAllKernelArchs); }

std::string default_archs() {
  std::string out;
  for (const KernelTraits& t : catalogue())
    out += fmt::format("{}{} {}", out.empty() ? "" : ", ", t.name, models::to_string(models::default_arch(t.kind)));
  return out;
}

std::vector<models::KernelArch> parse_archs(std::string_view list, std::string_view option) {
  if (list == "default") return {};
  return parse_list(list, option, "micro-architecture", models::kAllKernelArchs, models::parse_kernel_arch);
}

std::vector<std::pair<models::KernelArch, KernelKind>> arch_kind_pairs(std::span<const models::KernelArch> archs,
                                                                        std::span<const KernelKind> kinds,
                                                                        std::string_view option) {
  std::vector<std::pair<models::KernelArch, KernelKind>> out;
  if (archs.empty()) {
    for (const KernelKind kind : kinds) out.emplace_back(models::default_arch(kind), kind);
    return out;
  }
  // Every arch ("all"): each kind takes those it has, without complaint.
  const bool every_arch = std::ranges::all_of(models::kAllKernelArchs, [&](models::KernelArch a) {
    return std::ranges::find(archs, a) != archs.end();
  });
  for (const models::KernelArch arch : archs) {
    std::string exists_for;
    for (const KernelKind kind : models::all_kernel_kinds())
      if (models::arch_exists(kind, arch)) exists_for += fmt::format("{}{}", exists_for.empty() ? "" : ", ", models::to_string(kind));
    const std::size_t before = out.size();
    for (const KernelKind kind : kinds)
      if (models::arch_exists(kind, arch)) out.emplace_back(arch, kind);
    if (out.size() == before && !every_arch)
      throw Error(fmt::format("{} {}: no such micro-architecture for the kernels asked for; it exists for {}", option,
                              models::to_string(arch), exists_for));
  }
  return out;
}

models::ResetStyle parse_reset(std::string_view name, std::string_view option) {
  if (const auto reset = models::parse_reset_style(name)) return *reset;
  throw Error(fmt::format("{} {}: unknown reset style; choose from {}", option, name, names_of(models::kAllResetStyles)));
}

std::string top_module(KernelKind kind) { return package_kind(kind).top; }

std::string_view rtl_text(std::string_view file) {
  return base::find_embedded(std::span(kRtlFiles, kRtlFilesCount), file);
}

std::vector<RtlSource> rtl_sources(KernelKind kind) {
  std::vector<std::string_view> files = {kPackage};
  files.insert(files.end(), std::begin(kShared), std::end(kShared));
  files.push_back(backend_file(models::backend_of(kind)));
  std::vector<RtlSource> out;
  for (const std::string_view f : files) out.push_back({std::string(f), std::string(rtl_text(f))});
  // The package's files: a built-in's as they are (neuroppa's names), a user's named pkg_<file> so
  // that none shadows neuroppa's; then, for the synapse shape, the kernel built around its synapse.
  const PackageKind& u = package_kind(kind);
  const Package& p = u.package;
  for (const std::string& f : p.rtl_files) {
    if (p.builtin) out.push_back({f, std::string(builtin_file_text(p.name, f))});
    else out.push_back({"pkg_" + std::filesystem::path(f).filename().string(),
                        base::read_file(std::filesystem::path(p.origin) / f)});
  }
  if (p.shape == RtlShape::synapse) out.push_back({u.top + ".sv", synapse_kernel_text(u)});
  return out;
}

namespace {

// Bits of a two's-complement term holding a registered kind's every term, at most AW.
unsigned term_bits(const models::KernelParams& p) {
  const auto [lo, hi] = models::term_range(p);
  unsigned bits = 1;
  while (bits < p.AW && (hi > (std::int64_t{1} << (bits - 1)) - 1 || lo < -(std::int64_t{1} << (bits - 1)))) ++bits;
  return bits;
}

}  // namespace

std::vector<std::pair<std::string, std::string>> rtl_parameters(const models::KernelParams& p) {
  if (auto error = models::validate(p)) throw Error(*error);
  const Package& package = package_kind(p.kind).package;
  std::vector<std::pair<std::string, std::string>> out = {{"K", std::to_string(p.K)}};
  if (package.shape == RtlShape::synapse) {
    // The synapse kernel: every width, and the term width the golden model's
    // term range needs (at most AW: wider terms wrap like the accumulator).
    if (package.parameter("XW")) out.emplace_back("XW", std::to_string(p.XW));
    if (package.parameter("WW")) out.emplace_back("WW", std::to_string(p.WW));
    const models::OwnValues own = models::own_values(p);
    const std::vector<models::OwnParameter>& names = models::registered_kind(p.kind).own;
    for (std::size_t i = 0; i < names.size(); ++i) out.emplace_back(names[i].name, std::to_string(own[i]));
    out.emplace_back("CW", std::to_string(p.code_bits()));
    out.emplace_back("TW", std::to_string(term_bits(p)));
  } else {
    // A whole kernel: the parameters its manifest lists (K and AW always go).
    const models::OwnValues own = models::own_values(p);
    const std::vector<models::OwnParameter>& names = models::registered_kind(p.kind).own;
    for (const std::string& name : package.rtl_parameters) {
      if (name == "XW") out.emplace_back("XW", std::to_string(p.XW));
      else if (name == "WW") out.emplace_back("WW", std::to_string(p.WW));
      for (std::size_t i = 0; i < names.size(); ++i)
        if (names[i].name == name) out.emplace_back(name, std::to_string(own[i]));
    }
  }
  out.emplace_back("AW", std::to_string(p.AW));
  if (p.arch != models::KernelArch::chain) out.emplace_back("ARCH", std::to_string(static_cast<int>(p.arch)));
  if (p.reset != models::ResetStyle::async) out.emplace_back("SYNC_RESET", "1");
  if (p.pipeline != 0) out.emplace_back("PIPELINE", std::to_string(p.pipeline));
  return out;
}

std::vector<KernelPort> ports(const models::KernelParams& p) {
  std::vector<KernelPort> out = {{"clk_i", 1, false},
                                 {"rst_ni", 1, false},
                                 {"valid_i", 1, false},
                                 {"first_i", 1, false},
                                 {"last_i", 1, false},
                                 {"x_i", p.K * p.activation_bits(), false},
                                 {"w_i", p.K * p.code_bits(), false},
                                 {"bias_i", p.AW, false},
                                 {"valid_o", 1, true}};
  switch (models::backend_of(p.kind)) {
    case models::Backend::membrane:
      out.push_back({"v_i", p.AW, false});
      out.push_back({"vth_i", p.AW, false});
      out.push_back({"spike_o", 1, true});
      out.push_back({"v_o", p.AW, true});
      break;
    case models::Backend::sigma_delta:
      out.push_back({"shift_i", models::kShiftBits, false});
      out.push_back({"vth_i", p.AW, false});
      for (const char* state : {"sigma", "act", "residue"}) out.push_back({fmt::format("{}_i", state), p.AW, false});
      out.push_back({"spike_o", p.XW, true});
      for (const char* state : {"sigma", "act", "residue"}) out.push_back({fmt::format("{}_o", state), p.AW, true});
      break;
    case models::Backend::output_stage:
      out.push_back({"shift_i", models::kShiftBits, false});
      out.push_back({"y_o", p.XW, true});
      break;
  }
  return out;
}

}  // namespace neuroppa::kernels
