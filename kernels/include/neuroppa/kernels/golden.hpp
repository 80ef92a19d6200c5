// The golden model of a kernel package: its C source (kernel.toml, [golden]
// source) compiled when first needed, cached by content hash like the
// Verilated models, and loaded with dlopen. The C ABI it implements is
// kernels/abi/neuroppa_kernel.h (docs/kernel-packages.md).
#pragma once

#include <array>
#include <memory>
#include <cstdint>
#include <filesystem>
#include <mutex>
#include <optional>
#include <string>
#include <utility>

#include "neuroppa/base/progress.hpp"
#include "neuroppa/models/kernel.hpp"

namespace neuroppa::kernels {

// The widths a golden model is asked about (np_kernel_params of the ABI).
struct GoldenParams {
  std::uint32_t K = 0, XW = 0, WW = 0, AW = 0, activation_bits = 0, code_bits = 0;
  std::array<std::uint32_t, models::kMaxOwnParameters> own{};  // the package's own parameters, manifest order
  std::uint32_t own_count = 0;
};

class GoldenModel {
 public:
  // `package` names the package in every message. `text`: the source's text
  // where it is not a file (a built-in package's, compiled into neuroppa).
  // An empty `cache_root` is the default model cache (set_default_cache_root,
  // else vmodel::default_cache_dir()) at the time the model first loads.
  GoldenModel(std::string package, std::filesystem::path source, std::filesystem::path cache_root,
              ProgressFn progress = {}, std::optional<std::string> text = std::nullopt);
  ~GoldenModel();
  GoldenModel(const GoldenModel&) = delete;
  GoldenModel& operator=(const GoldenModel&) = delete;

  // Compiles (or finds in the cache) and loads the model, once; every fault
  // is a neuroppa::Error naming the package and source: a compile failure
  // names the log it keeps, a missing function names it.
  void load() const;
  std::int64_t term(const GoldenParams& p, std::uint32_t x, std::uint32_t code) const;
  // What np_term_bounds says, if the model defines it.
  std::optional<std::pair<std::int64_t, std::int64_t>> bounds(const GoldenParams& p) const;
  // What np_corner_code says of corner `which`, if the model defines it and names that one.
  std::optional<std::uint32_t> corner_code(const GoldenParams& p, models::CornerCode which) const;
  // np_kernel_state_words, np_kernel_reset and np_kernel_step as loaded.
  using StateWordsFn = std::uint32_t (*)(const void*);
  using ResetFn = void (*)(const void*, std::uint64_t*);
  using StepFn = void (*)(const void*, std::uint64_t*, const void*, void*);
  // Whether the model defines its own cycle-level step (np_kernel_step and its two companions).
  bool has_step() const;
  // A stepper over np_kernel_step for these parameters (has_step() must hold).
  std::unique_ptr<models::KernelStepper> stepper(const GoldenParams& p) const;
  // The shared object, once loaded.
  const std::filesystem::path& shared_object() const { return so_; }

 private:
  void compile_and_open() const;

  std::string package_;
  std::filesystem::path source_, cache_root_;
  ProgressFn progress_;
  std::optional<std::string> text_;
  mutable std::once_flag once_;
  mutable void* handle_ = nullptr;
  mutable std::filesystem::path so_;
  using TermFn = std::int64_t (*)(const void*, std::uint32_t, std::uint32_t);
  using BoundsFn = void (*)(const void*, std::int64_t*, std::int64_t*);
  using CornerFn = int (*)(const void*, std::uint32_t, std::uint32_t*);
  mutable TermFn term_ = nullptr;
  mutable BoundsFn bounds_ = nullptr;
  mutable CornerFn corner_ = nullptr;
  mutable StateWordsFn state_words_ = nullptr;
  mutable ResetFn reset_ = nullptr;
  mutable StepFn step_ = nullptr;
};

// The model cache golden models with an empty cache root use (the command's
// --cache-dir); until set, vmodel::default_cache_dir().
void set_default_cache_root(const std::filesystem::path& root);

// The ABI header's text (compiled in), as the golden source includes it.
std::string_view golden_abi_header();

}  // namespace neuroppa::kernels
