#include "neuroppa/kernels/golden.hpp"

#include <dlfcn.h>
#include <fmt/format.h>

#include <map>
#include <span>

#include "neuroppa/base/content_store.hpp"
#include "neuroppa/base/embedded.hpp"
#include "neuroppa/base/error.hpp"
#include "neuroppa/base/file.hpp"
#include "neuroppa/base/process.hpp"
#include "neuroppa/base/sha256.hpp"
#include "neuroppa/vmodel/model_build.hpp"

namespace neuroppa::kernels {

// kernels/abi/neuroppa_kernel.h, embedded at build time.
extern const base::EmbeddedFile kGoldenAbi[];
extern const std::size_t kGoldenAbiCount;

namespace fs = std::filesystem;

namespace {

constexpr std::string_view kHeaderName = "neuroppa_kernel.h";
constexpr std::string_view kCacheFormat = "neuroppa-golden-1";
constexpr std::uint32_t kAbiVersion = 4;

bool is_cxx(const fs::path& source) {
  const std::string ext = source.extension().string();
  return ext == ".cc" || ext == ".cpp" || ext == ".cxx";
}

// The compiler line, without input and output.
std::vector<std::string> compiler_command(const fs::path& source) {
  if (is_cxx(source)) return {"c++", "-std=c++17", "-O2", "-fPIC", "-shared", "-Wall", "-Wl,-z,defs"};
  return {"cc", "-std=c11", "-O2", "-fPIC", "-shared", "-Wall", "-Wl,-z,defs"};
}

// The compiler's --version (a different compiler builds another object).
const std::string& compiler_version(const std::string& compiler) {
  return base::tool_version(compiler, compiler == "cc" ? "gcc" : "g++", "--version");
}

// np_kernel_params as the ABI lays it out (six uint32_t).
struct AbiParams {  // np_kernel_params of neuroppa_kernel.h
  std::uint32_t K, XW, WW, AW, activation_bits, code_bits;
  std::uint32_t own_count;
  std::uint32_t own[models::kMaxOwnParameters];
};
// np_beat and np_outputs as the ABI lays them out.
struct AbiBeat {
  std::uint32_t valid, first, last, shift;
  const std::uint32_t* x;
  const std::uint32_t* w;
  std::int64_t bias, v, vth;
  std::int64_t sigma, act, residue;  // version 4
};
struct AbiOutputs {
  std::uint32_t valid, y;
  std::int64_t v;
  std::int64_t sigma, act, residue;  // version 4
};

AbiParams abi(const GoldenParams& p) {
  AbiParams a{p.K, p.XW, p.WW, p.AW, p.activation_bits, p.code_bits, p.own_count, {}};
  std::copy(p.own.begin(), p.own.end(), a.own);
  return a;
}

std::mutex default_root_mutex;
fs::path default_root;

fs::path default_cache_root() {
  const std::lock_guard lock(default_root_mutex);
  return default_root.empty() ? vmodel::default_cache_dir() : default_root;
}

}  // namespace

void set_default_cache_root(const fs::path& root) {
  const std::lock_guard lock(default_root_mutex);
  default_root = root;
}

std::string_view golden_abi_header() {
  return base::find_embedded(std::span(kGoldenAbi, kGoldenAbiCount), kHeaderName);
}

GoldenModel::GoldenModel(std::string package, fs::path source, fs::path cache_root, ProgressFn progress,
                         std::optional<std::string> text)
    : package_(std::move(package)), source_(std::move(source)), cache_root_(std::move(cache_root)),
      progress_(std::move(progress)), text_(std::move(text)) {}

GoldenModel::~GoldenModel() {
  // Left loaded: a kind's term may still be called while statics unwind.
}

void GoldenModel::load() const { std::call_once(once_, [this] { compile_and_open(); }); }

void GoldenModel::compile_and_open() const {
  const std::string text = text_ ? *text_ : base::read_file(source_);
  const std::vector<std::string> command = compiler_command(source_);
  base::Sha256 h;
  h.update(kCacheFormat).update(golden_abi_header()).update(source_.filename().string()).update(text);
  h.update(compiler_version(command.front()));
  for (const auto& arg : command) h.update(arg);
  const std::string key = h.hex();
  const std::string where = fmt::format("kernel package {}: golden model {}", package_, source_.string());
  const auto entry = base::ContentStore(cache_root_.empty() ? default_cache_root() : cache_root_).get_or_build("golden", key, [&](const base::ContentStore::BuildContext& ctx) {
    if (progress_) progress_(fmt::format("compiling the golden model of {} ... ", package_));
    base::write_file(ctx.dir / kHeaderName, std::string(golden_abi_header()));
    base::write_file(ctx.dir / source_.filename(), text);
    std::vector<std::string> argv = command;
    argv.insert(argv.end(), {"-I", "."});
    if (!text_) argv.insert(argv.end(), {"-I", fs::absolute(source_).parent_path().string()});
    argv.insert(argv.end(), {"-o", "golden.so", source_.filename().string()});
    if (const int rc = base::run_logged(argv, ctx.log, ctx.dir); rc != 0) {
      if (progress_) progress_("failed\n");
      throw Error(fmt::format("{} does not compile ({} exit status {}); full log: {}\n{}", where, argv.front(), rc,
                              ctx.log.string(), base::tail_of_file(ctx.log, 12)));
    }
    if (progress_) progress_("done\n");
  });
  so_ = entry.dir / "golden.so";
  handle_ = dlopen(so_.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!handle_) throw Error(fmt::format("{}: cannot load {}: {}", where, so_.string(), dlerror()));
  const auto version = reinterpret_cast<std::uint32_t (*)()>(dlsym(handle_, "np_kernel_abi_version"));
  term_ = reinterpret_cast<TermFn>(dlsym(handle_, "np_synapse_term"));
  bounds_ = reinterpret_cast<BoundsFn>(dlsym(handle_, "np_term_bounds"));
  corner_ = reinterpret_cast<CornerFn>(dlsym(handle_, "np_corner_code"));
  state_words_ = reinterpret_cast<StateWordsFn>(dlsym(handle_, "np_kernel_state_words"));
  reset_ = reinterpret_cast<ResetFn>(dlsym(handle_, "np_kernel_reset"));
  step_ = reinterpret_cast<StepFn>(dlsym(handle_, "np_kernel_step"));
  const int step_functions = (state_words_ != nullptr) + (reset_ != nullptr) + (step_ != nullptr);
  if (step_functions != 0 && step_functions != 3)
    throw Error(fmt::format("{} defines {} of np_kernel_state_words, np_kernel_reset and np_kernel_step; a kernel's own "
                            "step needs all three (docs/kernel-packages.md, \"The golden model\")",
                            where, step_functions));
  for (const auto& [fn, name] : {std::pair{reinterpret_cast<void*>(version), "np_kernel_abi_version"},
                                 std::pair{reinterpret_cast<void*>(term_), "np_synapse_term"}})
    if (!fn)
      throw Error(fmt::format("{} defines no {} (with C linkage: extern \"C\" in C++); docs/kernel-packages.md, "
                              "\"The golden model\"",
                              where, name));
  // Version 2 only appended fields to np_kernel_params (a version 1 model reads what it knew),
  // version 3 only added an optional function, and version 4 only appended the sigma-delta state to
  // np_beat and np_outputs (which neuroppa allocates).
  if (version() < 1 || version() > kAbiVersion)
    throw Error(fmt::format("{}: np_kernel_abi_version() gives {}; this neuroppa speaks ABI versions 1 to {}", where,
                            version(), kAbiVersion));
}

std::int64_t GoldenModel::term(const GoldenParams& p, std::uint32_t x, std::uint32_t code) const {
  load();
  const AbiParams a = abi(p);
  return term_(&a, x, code);
}

std::optional<std::pair<std::int64_t, std::int64_t>> GoldenModel::bounds(const GoldenParams& p) const {
  load();
  if (!bounds_) return std::nullopt;
  const AbiParams a = abi(p);
  std::int64_t lo = 0, hi = 0;
  bounds_(&a, &lo, &hi);
  if (lo > hi)
    throw Error(fmt::format("kernel package {}: np_term_bounds gives min {} above max {}", package_, lo, hi));
  return std::pair{lo, hi};
}

namespace {

// A kernel's own cycle-level model through np_kernel_step: its state words, reset and stepped.
class AbiStepper : public models::KernelStepper {
 public:
  AbiStepper(const AbiParams& params, GoldenModel::ResetFn reset, GoldenModel::StepFn step, std::uint32_t words)
      : params_(params), reset_(reset), step_(step), state_(words) {
    reset_fn();
  }
  void reset() override { reset_fn(); }
  models::KernelOutputs step(const models::Beat& b) override {
    const AbiBeat in{b.valid, b.first, b.last, b.shift, b.x.data(), b.w.data(), b.bias, b.v, b.vth,
                     b.sigma,  b.act,   b.residue};
    AbiOutputs out{0, 0, 0, 0, 0, 0};  // a model of version 3 or older leaves the fields it does not know at 0
    step_(&params_, state_.data(), &in, &out);
    return {out.valid != 0, out.y, out.v, out.sigma, out.act, out.residue};
  }

 private:
  void reset_fn() {
    std::fill(state_.begin(), state_.end(), 0);
    reset_(&params_, state_.data());
  }
  AbiParams params_;
  GoldenModel::ResetFn reset_;
  GoldenModel::StepFn step_;
  std::vector<std::uint64_t> state_;
};

}  // namespace

bool GoldenModel::has_step() const {
  load();
  return step_ != nullptr;
}

std::unique_ptr<models::KernelStepper> GoldenModel::stepper(const GoldenParams& p) const {
  load();
  if (!step_) throw std::logic_error("GoldenModel::stepper without np_kernel_step");
  const AbiParams a = abi(p);
  const std::uint32_t words = state_words_(&a);
  if (words > (1u << 20))
    throw Error(fmt::format("kernel package {}: np_kernel_state_words gives {} words, more than a kernel keeps (at most "
                            "{})", package_, words, 1u << 20));
  return std::make_unique<AbiStepper>(a, reset_, step_, words);
}

std::optional<std::uint32_t> GoldenModel::corner_code(const GoldenParams& p, models::CornerCode which) const {
  load();
  if (!corner_) return std::nullopt;
  const AbiParams a = abi(p);
  std::uint32_t code = 0;
  if (corner_(&a, static_cast<std::uint32_t>(which), &code) == 0) return std::nullopt;
  if (p.code_bits < 32 && code >> p.code_bits != 0)
    throw Error(fmt::format("kernel package {}: np_corner_code({}) gives {}, wider than the {}-bit codes", package_,
                            static_cast<std::uint32_t>(which), code, p.code_bits));
  return code;
}

}  // namespace neuroppa::kernels
