// Kernel packages: a neuron design described by a folder holding kernel.toml
// (docs/kernel-packages.md is the reference). The built-in kinds are
// packages too, their manifests compiled into neuroppa from
// kernels/packages/ and read by the same reader as a user's.
//
// The catalogue is assembled from the built-ins, then the folders of
// NEUROPPA_KERNEL_PATH (colon-separated), then those given by --kernel-path;
// two packages of one name are an error naming both.
#pragma once

#include <filesystem>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "neuroppa/base/progress.hpp"
#include "neuroppa/models/kernel.hpp"

namespace neuroppa::kernels {

// A parameter of the package's own (beyond K and AW, which every kernel
// has and neuroppa ranges): XW, WW or one the package names.
struct PackageParameter {
  std::string name;
  unsigned default_value = 0;
  unsigned min = 0;
  unsigned max = 0;
};

// A width as the manifest writes it: a sum of whole numbers and parameter
// names, e.g. "XW + 1" or "WW"; kept as text and as its terms.
struct WidthExpression {
  std::string text;
  struct Term {
    int sign = 1;
    std::string parameter;  // empty: a constant
    unsigned constant = 0;
  };
  std::vector<Term> terms;
  // Its value for the parameters given (every name it uses must be there).
  long evaluate(const std::map<std::string, unsigned>& values) const;
};

using models::Backend;  // output-stage, membrane or sigma-delta (models/kernel.hpp)
enum class RtlShape { synapse, kernel };
std::string_view to_string(RtlShape shape);

struct Package {
  std::string name;         // as users type it: "mac"
  std::string description;  // one line
  // The folder it was read from; built-ins: "built-in".
  std::string origin;
  bool builtin = false;
  // sha256 of the manifest and every file it names, in manifest order: what
  // every table row and provenance block quotes.
  std::string hash;
  Backend backend = Backend::output_stage;
  std::string trainer;
  std::vector<PackageParameter> parameters;
  WidthExpression activation_bits;
  WidthExpression code_bits;
  RtlShape shape = RtlShape::kernel;
  std::string top;                          // the RTL's top module
  std::vector<std::string> rtl_files;       // relative to the folder
  std::vector<std::string> rtl_parameters;  // the module parameters the top takes
  std::vector<models::KernelArch> archs;
  models::KernelArch default_arch = models::KernelArch::tree;
  std::optional<std::string> golden_source;  // the C or C++ golden model's file

  const PackageParameter* parameter(std::string_view name) const;
};

// The trainers a manifest may name, each a C++ training recipe of neuroppa's.
std::span<const std::string_view> trainer_names();

// One package read from `folder` (which holds kernel.toml). Every fault is one
// neuroppa::Error naming the manifest, its line where there is one, and what
// is wrong: a missing or unknown key, a wrong type, a range that is empty or
// outside neuroppa's, a width naming an unknown parameter, a file that is
// missing.
Package read_package(const std::filesystem::path& folder);

// The built-in packages, in the order reports list them (mac first).
const std::vector<Package>& builtin_packages();
// A file of a built-in package (kernels/packages/<package>/<file>, compiled in).
std::string_view builtin_file_text(std::string_view package, std::string_view file);

// Built-ins, then each folder of `search_path` in order: a folder holding
// kernel.toml is a package, else each of its sub-folders that holds one is.
// A name given twice is an error naming both origins.
std::vector<Package> assemble_catalogue(const std::vector<std::filesystem::path>& search_path);

// Registers the packages that are not built in as kinds every command takes
// (models::register_kind; the built-ins register themselves when a kind is
// first asked for); their golden models compile when first needed, into
// `cache_root`. A package already registered with the same hash is skipped;
// one of the same name with other contents is an error naming both. What
// this neuroppa cannot build (more than four parameters of its own, widths
// its back end cannot take) is one error naming the package.
void register_packages(const std::vector<Package>& packages, const std::filesystem::path& cache_root,
                       const ProgressFn& progress = {});
// Compiles and loads the golden models of these kinds now, so that a fault
// in one is reported before anything is built.
void prepare_kinds(std::span<const models::KernelKind> kinds);
// Sets the own parameters of `params` that its kind's package has, by name
// (the others are for other kinds of the same command).
void set_own_parameters(models::KernelParams& params, const std::vector<std::pair<std::string, unsigned>>& values);
// "B=4,S=2" -> {{"B", 4}, {"S", 2}}, every name one that one of `kinds` has;
// one error naming `option` and the fault otherwise.
std::vector<std::pair<std::string, unsigned>> parse_own_parameters(std::string_view text,
                                                                   std::span<const models::KernelKind> kinds,
                                                                   std::string_view option);
// The package a kind comes from (the built-ins' too).
const Package& package_of(models::KernelKind kind);
// "Kernel packages: adder from DIR (hash 0123456789ab)." for the kinds among
// `kinds` that come from packages, each once; "" if none does. Every report
// that prices or runs a package kind carries it, so the design is named.
std::string packages_note(std::span<const models::KernelKind> kinds);

// NEUROPPA_KERNEL_PATH's folders (empty entries skipped), then `option`'s
// comma-separated folders (--kernel-path).
std::vector<std::filesystem::path> kernel_search_path(std::string_view option);

}  // namespace neuroppa::kernels
