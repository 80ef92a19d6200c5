#include "neuroppa/kernels/package.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <ranges>
#include <array>
#include <cctype>
#include <cstdlib>
#include <functional>
#include <set>

#include "neuroppa/base/embedded.hpp"
#include "neuroppa/base/error.hpp"
#include "neuroppa/base/file.hpp"
#include "neuroppa/base/sha256.hpp"
#include "neuroppa/base/text.hpp"
#include "neuroppa/base/toml.hpp"
#include "neuroppa/models/training.hpp"

namespace neuroppa::kernels {

// kernels/packages/*/* (named "<package>/<file>"), embedded at build time.
extern const base::EmbeddedFile kBuiltinPackageFiles[];
extern const std::size_t kBuiltinPackageFilesCount;

namespace fs = std::filesystem;
using base::fail_at;
using base::line_of;
using base::TomlValue;

namespace {

constexpr std::size_t kMaxManifestBytes = 1 << 16;
// The trainers' names, as models/training.hpp knows them.
const std::vector<std::string_view> kTrainers = [] {
  std::vector<std::string_view> names;
  for (const auto& [trainer, name] : models::kTrainerNames) names.push_back(name);
  return names;
}();
// The order reports list the built-ins in: the baseline first.
constexpr std::array<std::string_view, 5> kBuiltinOrder = {"mac", "shift", "threshold", "spike", "sigma-delta"};
// Parameters every kernel has, ranged by neuroppa, never by a manifest.
constexpr std::array<std::string_view, 2> kUniversalParameters = {"K", "AW"};

bool is_identifier(std::string_view s, bool lower_case) {
  if (s.empty() || s.size() > 32 || !std::isalpha(static_cast<unsigned char>(s.front()))) return false;
  return std::all_of(s.begin(), s.end(), [&](char c) {
    const auto u = static_cast<unsigned char>(c);
    if (lower_case) return std::islower(u) || std::isdigit(u) || c == '-' || c == '_';
    return std::isalnum(u) || c == '_';
  });
}

// Reads one manifest; `file_text(file)` gives the bytes of a file it names
// (for the hash), or nullopt where the package has no such file.
class ManifestReader {
 public:
  ManifestReader(fs::path manifest, std::function<std::optional<std::string>(const std::string&)> file_text)
      : manifest_(std::move(manifest)), file_text_(std::move(file_text)) {}

  Package read(const TomlValue& root, const std::string& manifest_text) {
    if (!root.is_table()) fail_at(manifest_, 1, "a manifest is a TOML table");
    check_keys(root, "", {"kernel", "parameters", "widths", "rtl", "golden"});
    read_kernel(table(root, "kernel"));
    if (root.contains("parameters")) read_parameters(table(root, "parameters"));
    read_widths(table(root, "widths"));
    read_rtl(table(root, "rtl"));
    if (root.contains("golden")) read_golden(table(root, "golden"));
    hash(manifest_text);
    return std::move(p_);
  }

 private:
  [[noreturn]] void fail(const TomlValue& at, const std::string& what) const { fail_at(manifest_, line_of(at), what); }

  const TomlValue& table(const TomlValue& parent, const std::string& key) {
    if (!parent.contains(key)) fail(parent, fmt::format("missing table [{}]", key));
    const TomlValue& t = parent.at(key);
    if (!t.is_table()) fail(t, fmt::format("'{}' must be a table: [{}] then key = value lines", key, key));
    return t;
  }

  void check_keys(const TomlValue& t, const std::string& where, std::initializer_list<std::string_view> known) {
    for (const auto& [key, value] : base::in_file_order(t))
      if (std::find(known.begin(), known.end(), key) == known.end()) {
        std::string list;
        for (const auto k : known) list += fmt::format("{}{}", list.empty() ? "" : ", ", k);
        fail(*value, fmt::format("unknown key {}{}; known: {}", where.empty() ? "" : where + ".", key, list));
      }
  }

  std::string string(const TomlValue& t, const std::string& where, const std::string& key) {
    if (!t.contains(key)) fail(t, fmt::format("missing key {}.{}", where, key));
    const TomlValue& v = t.at(key);
    if (!v.is_string()) fail(v, fmt::format("{}.{} must be a string, e.g. {} = \"...\"", where, key, key));
    std::string s = v.as_string().str;
    if (s.empty() || s.find('\n') != std::string::npos)
      fail(v, fmt::format("{}.{} must be one non-empty line", where, key));
    return s;
  }

  std::vector<std::string> strings(const TomlValue& t, const std::string& where, const std::string& key) {
    if (!t.contains(key)) fail(t, fmt::format("missing key {}.{}", where, key));
    const TomlValue& v = t.at(key);
    if (!v.is_array() || v.as_array().empty())
      fail(v, fmt::format("{}.{} must be a non-empty list of strings, e.g. {} = [\"a\", \"b\"]", where, key, key));
    std::vector<std::string> out;
    for (const TomlValue& e : v.as_array()) {
      if (!e.is_string() || e.as_string().str.empty())
        fail(e, fmt::format("{}.{} must list non-empty strings", where, key));
      if (std::find(out.begin(), out.end(), e.as_string().str) != out.end())
        fail(e, fmt::format("{}.{} lists '{}' twice", where, key, e.as_string().str));
      out.push_back(e.as_string().str);
    }
    return out;
  }

  void read_kernel(const TomlValue& t) {
    check_keys(t, "kernel", {"name", "description", "backend", "trainer"});
    p_.name = string(t, "kernel", "name");
    if (!is_identifier(p_.name, true))
      fail(t.at("name"), fmt::format("kernel.name '{}': a lower-case letter, then letters, digits, - or _ "
                                     "(at most 32), as users type it after --kinds",
                                     p_.name));
    if (p_.name == "all" || p_.name == "default")
      fail(t.at("name"), fmt::format("kernel.name '{}' is a reserved word of --kinds", p_.name));
    p_.description = string(t, "kernel", "description");
    const std::string backend = string(t, "kernel", "backend");
    if (backend == "output-stage") p_.backend = Backend::output_stage;
    else if (backend == "membrane") p_.backend = Backend::membrane;
    else if (backend == "sigma-delta") p_.backend = Backend::sigma_delta;
    else fail(t.at("backend"), fmt::format("kernel.backend '{}': choose output-stage, membrane or sigma-delta", backend));
    p_.trainer = string(t, "kernel", "trainer");
    if (std::find(kTrainers.begin(), kTrainers.end(), p_.trainer) == kTrainers.end())
      fail(t.at("trainer"), fmt::format("kernel.trainer '{}': unknown trainer; choose {}", p_.trainer,
                                        fmt::join(kTrainers, ", ")));
  }

  unsigned whole(const TomlValue& t, const std::string& where, const std::string& key, long lo, long hi) {
    if (!t.contains(key)) fail(t, fmt::format("missing key {}.{}", where, key));
    const TomlValue& v = t.at(key);
    if (!v.is_integer() || v.as_integer() < lo || v.as_integer() > hi)
      fail(v, fmt::format("{}.{} must be a whole number {}..{}", where, key, lo, hi));
    return static_cast<unsigned>(v.as_integer());
  }

  void read_parameters(const TomlValue& t) {
    for (const auto& [name, v] : base::in_file_order(t)) {
      const std::string where = "parameters." + name;
      if (std::find(kUniversalParameters.begin(), kUniversalParameters.end(), name) != kUniversalParameters.end())
        fail(*v, fmt::format("{}: K and AW are every kernel's, ranged by neuroppa (K 1..{}, AW 2..{}); remove it",
                             where, models::kMaxK, models::kMaxAW));
      if (!is_identifier(name, false)) fail(*v, fmt::format("{}: a parameter name is letters, digits and _", where));
      if (!v->is_table()) fail(*v, fmt::format("{} must be a table, e.g. {} = {{ default = 8, min = 1, max = 16 }}",
                                               where, name));
      check_keys(*v, where, {"default", "min", "max"});
      PackageParameter q{name, 0, 0, 0};
      q.min = whole(*v, where, "min", 0, 1 << 20);
      q.max = whole(*v, where, "max", 0, 1 << 20);
      q.default_value = whole(*v, where, "default", 0, 1 << 20);
      if (q.min > q.max) fail(*v, fmt::format("{}: min {} is above max {}", where, q.min, q.max));
      if (q.default_value < q.min || q.default_value > q.max)
        fail(*v, fmt::format("{}: default {} is outside {}..{}", where, q.default_value, q.min, q.max));
      if ((name == "XW" || name == "WW") && (q.min < 1 || q.max > 16))
        fail(*v, fmt::format("{}: {}..{} goes outside 1..16, the widths neuroppa's ports carry", where, q.min, q.max));
      p_.parameters.push_back(q);
    }
  }

  WidthExpression width(const TomlValue& t, const std::string& key) {
    const std::string text = string(t, "widths", key);
    WidthExpression e{text, {}};
    int sign = 1;
    bool want_term = true;
    for (std::size_t i = 0; i < text.size();) {
      const char c = text[i];
      if (c == ' ') {
        ++i;
      } else if (!want_term && (c == '+' || c == '-')) {
        sign = c == '+' ? 1 : -1, want_term = true, ++i;
      } else if (want_term && std::isdigit(static_cast<unsigned char>(c))) {
        std::size_t j = i;
        while (j < text.size() && std::isdigit(static_cast<unsigned char>(text[j]))) ++j;
        if (j - i > 4) fail(t.at(key), fmt::format("widths.{} '{}': a constant of more than 4 digits", key, text));
        e.terms.push_back({sign, "", static_cast<unsigned>(std::stoul(text.substr(i, j - i)))});
        i = j, want_term = false;
      } else if (want_term && std::isalpha(static_cast<unsigned char>(c))) {
        std::size_t j = i;
        while (j < text.size() && (std::isalnum(static_cast<unsigned char>(text[j])) || text[j] == '_')) ++j;
        const std::string name = text.substr(i, j - i);
        if (!p_.parameter(name))
          fail(t.at(key), fmt::format("widths.{} '{}' names '{}', which is not a parameter of [parameters]", key,
                                      text, name));
        e.terms.push_back({sign, name, 0});
        i = j, want_term = false;
      } else {
        fail(t.at(key), fmt::format("widths.{} '{}': write a sum of parameters and whole numbers, e.g. \"XW + 1\"",
                                    key, text));
      }
    }
    if (want_term)
      fail(t.at(key), fmt::format("widths.{} '{}': write a sum of parameters and whole numbers, e.g. \"XW + 1\"", key,
                                  text));
    check_width_range(t.at(key), key, e);
    return e;
  }

  // The width at every corner of the parameters' ranges must be 1..16 bits
  // (what the ports carry): a sum is monotone in each term, so its extremes
  // are at the corners.
  void check_width_range(const TomlValue& at, const std::string& key, const WidthExpression& e) {
    std::map<std::string, unsigned> low, high;
    for (const auto& term : e.terms) {
      if (term.parameter.empty()) continue;
      const PackageParameter* q = p_.parameter(term.parameter);
      low[q->name] = term.sign > 0 ? q->min : q->max;
      high[q->name] = term.sign > 0 ? q->max : q->min;
    }
    const long lo = e.evaluate(low), hi = e.evaluate(high);
    if (lo < 1 || hi > 16)
      fail(at, fmt::format("widths.{} '{}' ranges {}..{} bits over the parameters' ranges; it must stay within 1..16",
                           key, e.text, lo, hi));
  }

  void read_widths(const TomlValue& t) {
    check_keys(t, "widths", {"activation", "code"});
    p_.activation_bits = width(t, "activation");
    p_.code_bits = width(t, "code");
  }

  void read_rtl(const TomlValue& t) {
    check_keys(t, "rtl", {"shape", "top", "files", "parameters", "archs", "default_arch"});
    const std::string shape = string(t, "rtl", "shape");
    if (shape == "kernel") p_.shape = RtlShape::kernel;
    else if (shape == "synapse") p_.shape = RtlShape::synapse;
    else fail(t.at("shape"), fmt::format("rtl.shape '{}': choose synapse or kernel", shape));
    p_.top = string(t, "rtl", "top");
    if (!is_identifier(p_.top, false))
      fail(t.at("top"), fmt::format("rtl.top '{}' is not a Verilog module name (letters, digits, _)", p_.top));
    p_.rtl_files = strings(t, "rtl", "files");
    for (const std::string& f : p_.rtl_files) check_file(t.at("files"), "rtl.files", f);
    p_.rtl_parameters = strings(t, "rtl", "parameters");
    for (const std::string& name : p_.rtl_parameters)
      if (std::find(kUniversalParameters.begin(), kUniversalParameters.end(), name) == kUniversalParameters.end() &&
          !p_.parameter(name))
        fail(t.at("parameters"),
             fmt::format("rtl.parameters names '{}', which is neither K, AW nor a parameter of [parameters]", name));
    for (const std::string& name : strings(t, "rtl", "archs")) {
      const auto arch = models::parse_kernel_arch(name);
      if (!arch)
      {
        // A plain loop: clang 15 with libstdc++ 12 (the fuzz build) cannot pipe a C array into views::transform.
        std::vector<std::string_view> names;
        for (const models::KernelArch a : models::kAllKernelArchs) names.push_back(models::to_string(a));
        fail(t.at("archs"), fmt::format("rtl.archs: unknown micro-architecture '{}'; choose from {}", name,
                                        fmt::join(names, ", ")));
      }
      p_.archs.push_back(*arch);
    }
    const std::string def = string(t, "rtl", "default_arch");
    const auto arch = models::parse_kernel_arch(def);
    if (!arch || std::find(p_.archs.begin(), p_.archs.end(), *arch) == p_.archs.end())
      fail(t.at("default_arch"), fmt::format("rtl.default_arch '{}' is not one of rtl.archs", def));
    p_.default_arch = *arch;
  }

  void read_golden(const TomlValue& t) {
    check_keys(t, "golden", {"source"});
    p_.golden_source = string(t, "golden", "source");
    check_file(t.at("source"), "golden.source", *p_.golden_source);
  }

  // A file a manifest names: inside the package, and there.
  void check_file(const TomlValue& at, const std::string& key, const std::string& file) {
    const fs::path rel(file);
    if (rel.is_absolute() || file.find("..") != std::string::npos)
      fail(at, fmt::format("{}: '{}' must be a path inside the package folder", key, file));
    if (!file_text_(file)) fail(at, fmt::format("{}: '{}' is not in the package", key, file));
  }

  void hash(const std::string& manifest_text) {
    base::Sha256 h;
    h.update("neuroppa-kernel-package-1").update(manifest_text);
    for (const std::string& f : p_.rtl_files) h.update(f).update(*file_text_(f));
    if (p_.golden_source) h.update(*p_.golden_source).update(*file_text_(*p_.golden_source));
    p_.hash = h.hex();
  }

  fs::path manifest_;
  std::function<std::optional<std::string>(const std::string&)> file_text_;
  Package p_;
};

std::optional<std::string_view> builtin_file(std::string_view package, std::string_view file) {
  const std::string name = fmt::format("{}/{}", package, file);
  for (std::size_t i = 0; i < kBuiltinPackageFilesCount; ++i)
    if (kBuiltinPackageFiles[i].name == name) return kBuiltinPackageFiles[i].text;
  return std::nullopt;
}

std::vector<Package> read_builtins() {
  std::vector<Package> out;
  for (const std::string_view name : kBuiltinOrder) {
    const std::string file = fmt::format("{}/kernel.toml", name);
    const std::string text(base::find_embedded(std::span(kBuiltinPackageFiles, kBuiltinPackageFilesCount), file));
    const fs::path shown = fs::path("built-in") / file;
    ManifestReader reader(shown, [name](const std::string& f) -> std::optional<std::string> {
      if (const auto text = builtin_file(name, f)) return std::string(*text);
      return std::nullopt;
    });
    Package p = reader.read(base::parse_toml_text(text, shown), text);
    p.origin = "built-in";
    p.builtin = true;
    out.push_back(std::move(p));
  }
  return out;
}

}  // namespace

long WidthExpression::evaluate(const std::map<std::string, unsigned>& values) const {
  long sum = 0;
  for (const Term& t : terms) sum += t.sign * static_cast<long>(t.parameter.empty() ? t.constant : values.at(t.parameter));
  return sum;
}

std::string_view to_string(RtlShape shape) { return shape == RtlShape::synapse ? "synapse" : "kernel"; }

const PackageParameter* Package::parameter(std::string_view name) const {
  for (const PackageParameter& q : parameters)
    if (q.name == name) return &q;
  return nullptr;
}

std::span<const std::string_view> trainer_names() { return kTrainers; }

Package read_package(const fs::path& folder) {
  const fs::path manifest = folder / "kernel.toml";
  if (!fs::is_directory(folder)) throw Error(fmt::format("kernel package {}: no such folder", folder.string()));
  const TomlValue root = base::read_toml_file(manifest, "kernel package manifest", kMaxManifestBytes);
  ManifestReader reader(manifest, [&](const std::string& f) -> std::optional<std::string> {
    std::error_code ec;
    if (!fs::is_regular_file(folder / f, ec)) return std::nullopt;
    return base::read_file(folder / f);
  });
  Package p = reader.read(root, base::read_file(manifest));
  std::error_code ec;  // reports name the folder wherever the command ran from
  const fs::path absolute = fs::absolute(folder, ec);
  p.origin = (ec ? folder : absolute.lexically_normal()).string();
  if (p.origin.size() > 1 && p.origin.back() == '/') p.origin.pop_back();
  return p;
}

const std::vector<Package>& builtin_packages() {
  static const std::vector<Package> builtins = read_builtins();
  return builtins;
}

std::string_view builtin_file_text(std::string_view package, std::string_view file) {
  if (const auto text = builtin_file(package, file)) return *text;
  throw std::logic_error(fmt::format("built-in package {} has no file {}", package, file));
}

std::vector<Package> assemble_catalogue(const std::vector<fs::path>& search_path) {
  std::vector<Package> out = builtin_packages();
  const auto add = [&](Package p) {
    for (const Package& q : out)
      if (q.name == p.name)
        throw Error(fmt::format("two kernel packages named '{}': {} and {}; rename one (kernel.name)", p.name,
                                q.origin, p.origin));
    out.push_back(std::move(p));
  };
  for (const fs::path& folder : search_path) {
    std::error_code ec;
    if (fs::is_regular_file(folder / "kernel.toml", ec)) {
      add(read_package(folder));
      continue;
    }
    if (!fs::is_directory(folder, ec))
      throw Error(fmt::format("kernel path {}: no such folder", folder.string()));
    std::vector<fs::path> children;
    for (const auto& entry : fs::directory_iterator(folder, ec))
      if (fs::is_regular_file(entry.path() / "kernel.toml", ec)) children.push_back(entry.path());
    if (children.empty())
      throw Error(fmt::format("kernel path {}: no kernel.toml in it or in its sub-folders", folder.string()));
    std::sort(children.begin(), children.end());  // directory order is the file system's: not reproducible
    for (const fs::path& child : children) add(read_package(child));
  }
  return out;
}

std::vector<fs::path> kernel_search_path(std::string_view option) {
  std::vector<fs::path> out;
  if (const char* env = std::getenv("NEUROPPA_KERNEL_PATH"))
    for (std::string_view rest = env; !rest.empty();) {
      const std::size_t colon = std::min(rest.find(':'), rest.size());
      if (colon > 0) out.emplace_back(std::string(rest.substr(0, colon)));
      rest.remove_prefix(std::min(colon + 1, rest.size()));
    }
  for (const std::string& folder : base::split_list(option)) out.emplace_back(folder);
  return out;
}

}  // namespace neuroppa::kernels
