// Run-time model builds: Verilog sources and parameters chosen when neuroppa
// runs are Verilated, compiled into a shared object and loaded with dlopen.
// Builds are cached by content hash (sources, parameters, ports, wrapper and
// ABI text, tool versions) so a second run with the same inputs loads in
// milliseconds. RTL kernels and gate-level netlists share this mechanism.
#pragma once

#include <cstdint>
#include <cstring>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "neuroppa/base/progress.hpp"
#include "neuroppa/vmodel/model_abi.h"

namespace neuroppa::vmodel {

struct SourceFile {
  std::string name;  // file name inside the build directory, e.g. "np_mac_kernel.sv"
  std::string text;
};

struct PortSpec {
  std::string name;
  unsigned width = 1;
  bool output = false;
};

// Everything that determines a built model. Two equal specs give the same
// cache key; any difference gives another.
struct ModelSpec {
  std::string top;                                              // top module
  std::vector<SourceFile> sources;                              // Verilog files
  std::vector<std::pair<std::string, std::string>> parameters;  // -G overrides
  std::vector<PortSpec> ports;  // the top's ports the host may touch
  std::string clock;            // input toggled by tick(); empty: no clock
  std::vector<std::string> verilator_flags;
  std::string label;  // shown in progress lines, e.g. "rtl mac K=9 XW=8 WW=8 AW=32"
};

// Cache folder: NEUROPPA_CACHE_DIR, else $XDG_CACHE_HOME/neuroppa, else
// $HOME/.cache/neuroppa.
std::filesystem::path default_cache_dir();

// One port of a live instance, reading and writing the model's own storage.
class Port {
 public:
  Port() = default;
  Port(void* data, unsigned width) : data_(data), width_(width) {}

  unsigned width() const { return width_; }
  const void* data() const { return data_; }
  unsigned words() const { return (width_ + 31) / 32; }

  // Ports of at most 64 bits. Bits above the width are dropped: Verilated
  // code relies on them being zero.
  void set(std::uint64_t value) const {
    if (width_ < 64) value &= (std::uint64_t{1} << width_) - 1;
    if (width_ <= 8) *static_cast<std::uint8_t*>(data_) = static_cast<std::uint8_t>(value);
    else if (width_ <= 16) *static_cast<std::uint16_t*>(data_) = static_cast<std::uint16_t>(value);
    else if (width_ <= 32) *static_cast<std::uint32_t*>(data_) = static_cast<std::uint32_t>(value);
    else *static_cast<std::uint64_t*>(data_) = value;
  }
  std::uint64_t get() const {
    if (width_ <= 8) return *static_cast<const std::uint8_t*>(data_);
    if (width_ <= 16) return *static_cast<const std::uint16_t*>(data_);
    if (width_ <= 32) return *static_cast<const std::uint32_t*>(data_);
    return *static_cast<const std::uint64_t*>(data_);
  }
  // Any width: `words()` 32-bit words, least significant first.
  void set_words(const std::uint32_t* words) const;
  void get_words(std::uint32_t* words) const;

 private:
  void* data_ = nullptr;
  unsigned width_ = 0;
};

// A loaded model shared object. Instances keep it loaded.
class LoadedModel {
 public:
  LoadedModel(const std::filesystem::path& so_path, ModelSpec spec);
  ~LoadedModel();
  LoadedModel(const LoadedModel&) = delete;
  LoadedModel& operator=(const LoadedModel&) = delete;

  const np_model_api& api() const { return *api_; }
  const ModelSpec& spec() const { return spec_; }
  const std::filesystem::path& path() const { return path_; }

 private:
  void* handle_ = nullptr;
  const np_model_api* api_ = nullptr;
  ModelSpec spec_;
  std::filesystem::path path_;
};

class ModelInstance {
 public:
  explicit ModelInstance(std::shared_ptr<const LoadedModel> model);
  ~ModelInstance();
  ModelInstance(const ModelInstance&) = delete;
  ModelInstance& operator=(const ModelInstance&) = delete;

  // Throws neuroppa::Error if the model has no such port.
  Port port(std::string_view name) const;
  void eval() { eval_(instance_); }
  void tick() { tick_(instance_); }
  const LoadedModel& model() const { return *model_; }

 private:
  std::shared_ptr<const LoadedModel> model_;
  void* instance_ = nullptr;
  void (*eval_)(void*) = nullptr;
  void (*tick_)(void*) = nullptr;
};

struct BuildReport {
  bool cached = false;    // loaded from the cache without building
  double seconds = 0;     // wall time of build (or lookup) and load
  std::string key;        // content hash
  std::filesystem::path directory;
};

// Built models keyed by content hash, in a ContentStore (safe for
// concurrent processes) under root/models.
class ModelCache {
 public:
  explicit ModelCache(std::filesystem::path root, ProgressFn progress = {});

  std::string key(const ModelSpec& spec) const;
  // Compiler processes one build may run (make -j); default: the machine's
  // cores. Builds that run side by side share the cores between them.
  void set_build_jobs(unsigned jobs) { build_jobs_ = jobs; }
  std::shared_ptr<const LoadedModel> load(const ModelSpec& spec, BuildReport* report = nullptr);
  const std::filesystem::path& root() const { return root_; }

 private:
  void build(const ModelSpec& spec, const std::filesystem::path& dir, const std::filesystem::path& log) const;
  // Verilator's runtime, compiled once per tool versions and flags, linked into every model.
  std::vector<std::filesystem::path> runtime_objects() const;
  void build_runtime(const std::filesystem::path& dir, const std::filesystem::path& log) const;

  std::filesystem::path root_;
  ProgressFn progress_;
  unsigned build_jobs_ = 0;  // 0: the machine's cores
};

// The C++ wrapper source neuroppa generates for a spec (exposed for tests).
std::string generate_wrapper(const ModelSpec& spec);

}  // namespace neuroppa::vmodel
