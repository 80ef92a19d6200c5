#include "package_kinds.hpp"

#include "rtl_contract.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <deque>
#include <mutex>

#include "neuroppa/base/error.hpp"
#include "neuroppa/base/file.hpp"
#include "neuroppa/base/text.hpp"

namespace neuroppa::kernels {

namespace fs = std::filesystem;

namespace {

std::mutex& registry_mutex() {
  static std::mutex m;
  return m;
}
// Written at start, read after; a deque keeps the entries where they are.
std::deque<PackageKind>& package_kinds() {
  static std::deque<PackageKind> kinds;
  return kinds;
}

[[noreturn]] void unsupported(const Package& p, const std::string& what) {
  throw Error(fmt::format("kernel package {} ({}): {} is not supported yet; docs/kernel-packages.md, \"What works "
                          "today\"",
                          p.name, (fs::path(p.origin) / "kernel.toml").string(), what));
}

// A width expression as a*XW + b*WW + sum own_i * d_i + c, so the term's hot
// path evaluates it without a map. `own` names the package's own parameters.
struct Linear {
  long a = 0, b = 0, c = 0;
  std::array<long, models::kMaxOwnParameters> d{};
  unsigned operator()(unsigned XW, unsigned WW, const models::OwnValues& own) const {
    long bits = a * XW + b * WW + c;
    for (std::size_t i = 0; i < d.size(); ++i) bits += d[i] * long(own[i]);
    return static_cast<unsigned>(bits);
  }
};
Linear linear(const WidthExpression& e, const std::vector<std::string>& own) {
  Linear l;
  for (const auto& t : e.terms) {
    if (t.parameter.empty()) l.c += t.sign * static_cast<long>(t.constant);
    else if (t.parameter == "XW") l.a += t.sign;
    else if (t.parameter == "WW") l.b += t.sign;
    else l.d[std::size_t(std::find(own.begin(), own.end(), t.parameter) - own.begin())] += t.sign;
  }
  return l;
}

// The package's parameters beyond XW and WW, in manifest order.
std::vector<std::string> own_names(const Package& p) {
  std::vector<std::string> names;
  for (const PackageParameter& q : p.parameters)
    if (q.name != "XW" && q.name != "WW") names.push_back(q.name);
  return names;
}

// What this neuroppa can build of a package: the synapse or the whole-kernel
// shape, the output stage (activations of XW bits) or the membrane (1-bit
// spikes), at most kMaxOwnParameters of its own, and a golden model.
void check_supported(const Package& p) {
  if (own_names(p).size() > models::kMaxOwnParameters)
    unsupported(p, fmt::format("more than {} parameters besides XW and WW", models::kMaxOwnParameters));
  if (p.backend == Backend::membrane) {  // spikes in: one bit per synapse
    if (p.activation_bits.text != "1")
      unsupported(p, fmt::format("widths.activation '{}' with the membrane back end (give \"1\": spikes)",
                                 p.activation_bits.text));
    if (p.parameter("XW")) unsupported(p, "XW with the membrane back end (its inputs are 1-bit spikes)");
  } else {
    if (!p.parameter("XW"))
      unsupported(p, p.backend == Backend::sigma_delta ? "a package without XW (the graded spike's width)"
                                                       : "a package without XW (the output stage's width)");
    if (p.activation_bits.text != "XW")
      unsupported(p, fmt::format("widths.activation '{}' (give \"XW\")", p.activation_bits.text));
  }
  if (p.backend == Backend::sigma_delta && p.parameter("XW") && p.parameter("XW")->min < 2)
    unsupported(p, fmt::format("XW from {} with the sigma-delta back end (a graded spike needs a sign and at least one "
                               "magnitude bit: XW from 2)",
                               p.parameter("XW")->min));
  if (!p.golden_source) throw Error(fmt::format("kernel package {} ({}): [golden] source is missing; a package kind "
                                                "needs its golden model", p.name, (fs::path(p.origin) / "kernel.toml").string()));
}

models::RegisteredKind registered(const PackageKind& u) {
  const Package& p = u.package;
  const PackageParameter* xw = p.parameter("XW");
  const PackageParameter* ww = p.parameter("WW");
  const std::vector<std::string> own = own_names(p);
  const Linear code = linear(p.code_bits, own);
  models::RegisteredKind r;
  r.name = p.name;
  if (xw) r.xw_min = xw->min, r.xw_max = xw->max, r.default_xw = xw->default_value;
  if (ww) r.ww_min = ww->min, r.ww_max = ww->max, r.default_ww = ww->default_value;
  for (const std::string& name : own) {
    const PackageParameter* q = p.parameter(name);
    r.own.push_back({name, q->min, q->max, q->default_value});
  }
  r.code_bits = code;
  const bool has_ww = ww != nullptr;
  const auto params = [code, has_ww, count = std::uint32_t(own.size())](const models::KernelParams& k) {
    const models::OwnValues values = models::own_values(k);
    GoldenParams g{k.K, k.XW, has_ww ? k.WW : 0, k.AW, k.activation_bits(), code(k.XW, k.WW, values), {}, count};
    std::copy(values.begin(), values.end(), g.own.begin());
    return g;
  };
  std::shared_ptr<GoldenModel> golden = u.golden;
  r.term = [golden, params](const models::KernelParams& k, std::uint32_t x, std::uint32_t c) {
    return golden->term(params(k), x, c);
  };
  r.term_bounds = [golden, params](const models::KernelParams& k) { return golden->bounds(params(k)); };
  r.archs = p.archs;
  r.default_arch = p.default_arch;
  r.corner_code = [golden, params](const models::KernelParams& k, models::CornerCode which) {
    return golden->corner_code(params(k), which);
  };
  if (p.shape == RtlShape::kernel)  // a whole kernel may model its own cycles (np_kernel_step)
    r.stepper = [golden, params](const models::KernelParams& k) -> std::unique_ptr<models::KernelStepper> {
      return golden->has_step() ? golden->stepper(params(k)) : nullptr;
    };
  r.trainer = p.trainer;
  r.backend = p.backend;
  r.builtin = p.builtin;
  r.code_is_ww = p.code_bits.text == "WW";
  return r;
}

}  // namespace

const PackageKind& package_kind(models::KernelKind kind) {
  (void)models::registered_kind(kind);  // the built-ins registered, and `kind` one of the registered
  const std::lock_guard lock(registry_mutex());
  for (const PackageKind& u : package_kinds())
    if (u.kind == kind) return u;
  throw std::logic_error("a registered kernel kind without its package");
}

namespace {

// Registers one package (the caller holds registry_mutex): its golden model
// compiles into `cache_root` when first needed (a built-in's from the text
// compiled into neuroppa, into the command's model cache).
void register_package(const Package& p, const fs::path& cache_root, const ProgressFn& progress) {
  const auto same = std::find_if(package_kinds().begin(), package_kinds().end(),
                                 [&](const PackageKind& u) { return u.package.name == p.name; });
  if (same != package_kinds().end()) {
    if (same->package.hash == p.hash) return;
    throw Error(fmt::format("two kernel packages named '{}': {} and {}; rename one (kernel.name)", p.name,
                            same->package.origin, p.origin));
  }
  check_supported(p);
  PackageKind& u = package_kinds().emplace_back();
  u.package = p;
  const fs::path source = fs::path(p.origin) / *p.golden_source;
  u.golden = p.builtin ? std::make_shared<GoldenModel>(p.name, source, fs::path(), progress,
                                                       std::string(builtin_file_text(p.name, *p.golden_source)))
                       : std::make_shared<GoldenModel>(p.name, source, cache_root, progress);
  u.cache_root = cache_root;
  if (p.shape == RtlShape::kernel) {
    u.top = p.top;
  } else {  // the kernel neuroppa builds around the synapse
    std::string id = p.name;
    std::replace(id.begin(), id.end(), '-', '_');
    u.top = "np_" + id + "_kernel";
  }
  u.kind = models::register_kind(registered(u));
  const auto takes = [&](std::string_view name) {
    return std::find(p.rtl_parameters.begin(), p.rtl_parameters.end(), name) != p.rtl_parameters.end();
  };
  u.traits = KernelTraits{u.kind, u.package.name, u.package.description, u.top, takes("XW"), takes("WW")};
}

// The loader models/ calls when a kind is first asked for.
void register_builtin_kinds() {
  const std::lock_guard lock(registry_mutex());
  for (const Package& p : builtin_packages()) register_package(p, fs::path(), {});
}

// Set before main: any program linking the catalogue has the built-in kinds.
const bool builtin_loader_set = (models::set_builtin_kind_loader(&register_builtin_kinds), true);

}  // namespace

void register_packages(const std::vector<Package>& packages, const fs::path& cache_root, const ProgressFn& progress) {
  (void)models::all_kernel_kinds();  // the built-ins first
  const std::lock_guard lock(registry_mutex());
  for (const Package& p : packages)
    if (!p.builtin) register_package(p, cache_root, progress);
}

void prepare_kinds(std::span<const models::KernelKind> kinds) {
  for (const models::KernelKind kind : kinds) {
    const PackageKind& u = package_kind(kind);
    u.golden->load();
    if (u.package.shape == RtlShape::synapse && u.golden->has_step())
      throw Error(fmt::format("kernel package {} ({}): its golden model defines np_kernel_step, which is for whole "
                              "kernels (rtl.shape = \"kernel\"); a synapse package's kernel is neuroppa's, modelled "
                              "by its term",
                              u.package.name, (fs::path(u.package.origin) / *u.package.golden_source).string()));
    // A built-in's ports are neuroppa's own (tests/rtl lints and synthesises them, the catalogue test
    // checks them); a user's are checked against the contract before anything is built.
    if (u.package.builtin) continue;
    check_rtl_contract(u, u.cache_root);
    // A layer's last beat is padded with x = 0 and code 0 (and the reference
    // inference has no such synapses), so that pair must add nothing.
    const PackageParameter* ww = u.package.parameter("WW");
    const PackageParameter* xw = u.package.parameter("XW");
    const models::KernelParams params{kind, 1, xw ? xw->default_value : 8, ww ? ww->default_value : 0};
    if (const std::int64_t t = models::synapse_term(params, 0, 0); t != 0)
      throw Error(fmt::format("kernel package {} ({}): its golden term at x = 0, code 0 is {}; it must be 0, since "
                              "neuroppa pads a layer's last beat with x = 0 and code 0 (docs/kernel-packages.md)",
                              u.package.name, (fs::path(u.package.origin) / *u.package.golden_source).string(), t));
  }
}

const Package& package_of(models::KernelKind kind) { return package_kind(kind).package; }

void set_own_parameters(models::KernelParams& params, const std::vector<std::pair<std::string, unsigned>>& values) {
  const models::RegisteredKind& r = models::registered_kind(params.kind);
  for (const auto& [name, value] : values)
    for (std::size_t i = 0; i < r.own.size(); ++i)
      if (r.own[i].name == name) params.own[i] = value;
}

std::vector<std::pair<std::string, unsigned>> parse_own_parameters(std::string_view text,
                                                                   std::span<const models::KernelKind> kinds,
                                                                   std::string_view option) {
  std::vector<std::pair<std::string, unsigned>> out;
  for (const std::string& item : base::split_list(text)) {
    const auto eq = item.find('=');
    const std::string name = item.substr(0, eq);
    const std::string value = eq == std::string::npos ? "" : item.substr(eq + 1);
    if (eq == std::string::npos || name.empty() || value.empty() || value.size() > 9 ||
        !std::all_of(value.begin(), value.end(), [](char c) { return c >= '0' && c <= '9'; }))
      throw Error(fmt::format("{} '{}': give NAME=VALUE, a whole number, e.g. B=4", option, item));
    const bool known = std::any_of(kinds.begin(), kinds.end(), [&](models::KernelKind kind) {
      const models::RegisteredKind& r = models::registered_kind(kind);
      return std::any_of(r.own.begin(), r.own.end(), [&](const auto& q) { return q.name == name; });
    });
    if (!known) throw Error(fmt::format("{} {}: no kernel asked for has a parameter {}", option, item, name));
    out.emplace_back(name, static_cast<unsigned>(std::stoul(value)));
  }
  return out;
}

std::string packages_note(std::span<const models::KernelKind> kinds) {
  std::string text;
  std::vector<models::KernelKind> named;
  for (const models::KernelKind kind : kinds) {
    const Package& p = package_of(kind);
    if (p.builtin || std::find(named.begin(), named.end(), kind) != named.end()) continue;
    named.push_back(kind);
    text += fmt::format("{}{} from {} (hash {})", text.empty() ? "" : "; ", p.name, p.origin, p.hash.substr(0, 12));
  }
  return text.empty() ? text : "Kernel packages: " + text + ".";
}

std::string synapse_kernel_text(const PackageKind& u) {
  const Backend backend = u.package.backend;
  const std::string_view name = backend == Backend::membrane      ? "np_synapse_membrane_kernel"
                                : backend == Backend::sigma_delta ? "np_synapse_sigma_delta_kernel"
                                                                  : "np_synapse_kernel";
  std::string text(rtl_text(std::string(name) + ".sv"));
  const auto replace = [&](std::string_view from, const std::string& to) {
    const auto at = text.find(from);
    if (at == std::string::npos) throw std::logic_error(std::string(name) + ".sv lacks " + std::string(from));
    text.replace(at, from.size(), to);
  };
  replace("module " + std::string(name) + " ", "module " + u.top + " ");
  // The package's own parameters: declared by the kernel (rtl_parameters sets
  // them), passed on to the synapse where the manifest lists them.
  std::string declarations;
  for (const std::string& own : own_names(u.package))
    declarations += fmt::format("  parameter int unsigned {} = {},\n", own, u.package.parameter(own)->default_value);
  replace("  parameter int unsigned K  = 9,\n", "  parameter int unsigned K  = 9,\n" + declarations);
  std::string overrides = ".TW(TW)";
  for (const std::string& name : u.package.rtl_parameters) overrides += fmt::format(", .{}({})", name, name);
  replace("np_synapse_top u_synapse", fmt::format("{} #({}) u_synapse", u.package.top, overrides));
  return text;
}

}  // namespace neuroppa::kernels
