#include "user_kinds.hpp"

#include "synapse_contract.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <deque>
#include <mutex>

#include "neuroppa/base/error.hpp"
#include "neuroppa/base/file.hpp"

namespace neuroppa::kernels {

namespace fs = std::filesystem;

namespace {

std::mutex& registry_mutex() {
  static std::mutex m;
  return m;
}
// Written at start, read after; a deque keeps the entries where they are.
std::deque<UserKind>& user_kinds() {
  static std::deque<UserKind> kinds;
  return kinds;
}

[[noreturn]] void unsupported(const Package& p, const std::string& what) {
  throw Error(fmt::format("kernel package {} ({}): {} is not supported yet; docs/kernel-packages.md, \"What works "
                          "today\"",
                          p.name, (fs::path(p.origin) / "kernel.toml").string(), what));
}

// A width expression as a*XW + b*WW + c (the only parameters a package has
// for now), so the term's hot path evaluates it without a map.
struct Linear {
  long a = 0, b = 0, c = 0;
  unsigned operator()(unsigned XW, unsigned WW) const { return static_cast<unsigned>(a * XW + b * WW + c); }
};
Linear linear(const WidthExpression& e) {
  Linear l;
  for (const auto& t : e.terms) {
    if (t.parameter.empty()) l.c += t.sign * static_cast<long>(t.constant);
    else (t.parameter == "XW" ? l.a : l.b) += t.sign;
  }
  return l;
}

// What this neuroppa can build of a package: the synapse shape, the output
// stage, activations of XW bits, parameters XW and WW, and a golden model.
void check_supported(const Package& p) {
  if (p.shape != RtlShape::synapse) unsupported(p, "rtl.shape \"kernel\" (a whole kernel of your own)");
  for (const PackageParameter& q : p.parameters)
    if (q.name != "XW" && q.name != "WW") unsupported(p, fmt::format("a parameter of its own ({})", q.name));
  if (p.backend == Backend::membrane) {  // spikes in: one bit per synapse
    if (p.activation_bits.text != "1")
      unsupported(p, fmt::format("widths.activation '{}' with the membrane back end (give \"1\": spikes)",
                                 p.activation_bits.text));
    if (p.parameter("XW")) unsupported(p, "XW with the membrane back end (its inputs are 1-bit spikes)");
  } else {
    if (!p.parameter("XW")) unsupported(p, "a package without XW (the output stage's width)");
    if (p.activation_bits.text != "XW")
      unsupported(p, fmt::format("widths.activation '{}' (give \"XW\")", p.activation_bits.text));
  }
  if (!p.golden_source) throw Error(fmt::format("kernel package {} ({}): [golden] source is missing; a package kind "
                                                "needs its golden model", p.name, (fs::path(p.origin) / "kernel.toml").string()));
  for (const std::string& name : p.rtl_parameters)
    if (name != "XW" && name != "WW")
      unsupported(p, fmt::format("rtl.parameters '{}' for a synapse module (it takes XW, WW and TW)", name));
}

models::RegisteredKind registered(const UserKind& u) {
  const Package& p = u.package;
  const PackageParameter* xw = p.parameter("XW");
  const PackageParameter* ww = p.parameter("WW");
  const Linear code = linear(p.code_bits);
  models::RegisteredKind r;
  r.name = p.name;
  if (xw) r.xw_min = xw->min, r.xw_max = xw->max;
  if (ww) r.ww_min = ww->min, r.ww_max = ww->max, r.default_ww = ww->default_value;
  r.code_bits = code;
  const bool has_ww = ww != nullptr;
  const auto params = [code, has_ww](const models::KernelParams& k) {
    return GoldenParams{k.K, k.XW, has_ww ? k.WW : 0, k.AW, k.activation_bits(), code(k.XW, k.WW)};
  };
  std::shared_ptr<GoldenModel> golden = u.golden;
  r.term = [golden, params](const models::KernelParams& k, std::uint32_t x, std::uint32_t c) {
    return golden->term(params(k), x, c);
  };
  r.term_bounds = [golden, params](const models::KernelParams& k) { return golden->bounds(params(k)); };
  r.archs = p.archs;
  r.default_arch = p.default_arch;
  r.trainer = p.trainer;
  r.membrane = p.backend == Backend::membrane;
  return r;
}

}  // namespace

const UserKind* user_kind(models::KernelKind kind) {
  if (!models::registered_kind(kind)) return nullptr;
  const std::lock_guard lock(registry_mutex());
  for (const UserKind& u : user_kinds())
    if (u.kind == kind) return &u;
  return nullptr;
}

void register_packages(const std::vector<Package>& packages, const fs::path& cache_root, const ProgressFn& progress) {
  const std::lock_guard lock(registry_mutex());
  for (const Package& p : packages) {
    if (p.builtin) continue;
    const auto same = std::find_if(user_kinds().begin(), user_kinds().end(),
                                   [&](const UserKind& u) { return u.package.name == p.name; });
    if (same != user_kinds().end()) {
      if (same->package.hash == p.hash) continue;
      throw Error(fmt::format("two kernel packages named '{}': {} and {}; rename one (kernel.name)", p.name,
                              same->package.origin, p.origin));
    }
    check_supported(p);
    UserKind& u = user_kinds().emplace_back();
    u.package = p;
    u.golden = std::make_shared<GoldenModel>(p.name, fs::path(p.origin) / *p.golden_source, cache_root, progress);
    u.cache_root = cache_root;
    std::string id = p.name;
    std::replace(id.begin(), id.end(), '-', '_');
    u.top = "np_" + id + "_kernel";
    u.kind = models::register_kind(registered(u));
    const auto takes = [&](std::string_view name) {
      return std::find(p.rtl_parameters.begin(), p.rtl_parameters.end(), name) != p.rtl_parameters.end();
    };
    u.traits = KernelTraits{u.kind, u.package.name, u.package.description, u.top, takes("XW"), takes("WW")};
  }
}

void prepare_kinds(std::span<const models::KernelKind> kinds) {
  for (const models::KernelKind kind : kinds) {
    const UserKind* u = user_kind(kind);
    if (!u) continue;
    u->golden->load();
    check_synapse_contract(*u, u->cache_root);
    // A layer's last beat is padded with x = 0 and code 0 (and the reference
    // inference has no such synapses), so that pair must add nothing.
    const PackageParameter* ww = u->package.parameter("WW");
    const PackageParameter* xw = u->package.parameter("XW");
    const models::KernelParams params{kind, 1, xw ? xw->default_value : 8, ww ? ww->default_value : 0};
    if (const std::int64_t t = models::synapse_term(params, 0, 0); t != 0)
      throw Error(fmt::format("kernel package {} ({}): its golden term at x = 0, code 0 is {}; it must be 0, since "
                              "neuroppa pads a layer's last beat with x = 0 and code 0 (docs/kernel-packages.md)",
                              u->package.name, (fs::path(u->package.origin) / *u->package.golden_source).string(), t));
  }
}

const Package& package_of(models::KernelKind kind) {
  if (const UserKind* u = user_kind(kind)) return u->package;
  for (const Package& p : builtin_packages())
    if (p.name == models::to_string(kind)) return p;
  throw std::logic_error("kernel kind without a package");
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

std::string synapse_kernel_text(const UserKind& u) {
  const bool membrane = u.package.backend == Backend::membrane;
  const std::string_view name = membrane ? "np_synapse_membrane_kernel" : "np_synapse_kernel";
  std::string text(rtl_text(std::string(name) + ".sv"));
  const auto replace = [&](std::string_view from, const std::string& to) {
    const auto at = text.find(from);
    if (at == std::string::npos) throw std::logic_error(std::string(name) + ".sv lacks " + std::string(from));
    text.replace(at, from.size(), to);
  };
  replace("module " + std::string(name) + " ", "module " + u.top + " ");
  std::string overrides = ".TW(TW)";
  for (const std::string& name : u.package.rtl_parameters) overrides += fmt::format(", .{}({})", name, name);
  replace("np_synapse_top u_synapse", fmt::format("{} #({}) u_synapse", u.package.top, overrides));
  return text;
}

}  // namespace neuroppa::kernels
