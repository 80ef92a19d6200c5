#include "neuroppa/vmodel/model_build.hpp"

#include <dlfcn.h>

#include <array>
#include <chrono>
#include <cstdlib>
#include <fmt/format.h>
#include <fstream>
#include <thread>

#include "neuroppa/base/error.hpp"
#include "neuroppa/base/content_store.hpp"
#include "neuroppa/base/embedded.hpp"
#include "neuroppa/base/file.hpp"
#include "neuroppa/base/process.hpp"
#include "neuroppa/base/sha256.hpp"
#include "neuroppa/base/text.hpp"

namespace neuroppa::vmodel {
namespace fs = std::filesystem;

// The ABI header, embedded at build time (cmake/embed_files.cmake).
extern const base::EmbeddedFile kAbiFiles[];
extern const std::size_t kAbiFilesCount;

namespace {

// The ABI header's text, embedded at build time, so that generated wrappers
// compile against exactly what neuroppa itself was built with.
std::string_view abi_header_text() { return base::find_embedded(std::span(kAbiFiles, kAbiFilesCount), "model_abi.h"); }

constexpr std::string_view kCacheFormat = "neuroppa-model-cache-2";  // 2: the runtime is linked in

std::string env_or_empty(const char* name) {
  const char* v = std::getenv(name);
  return v ? v : "";
}

std::string first_line(const std::string& text) { return text.substr(0, text.find('\n')); }

// Versions of the tools a build uses; they are part of the cache key.
const std::string& tool_versions() {
  static const std::string versions = [] {
    base::require_tool("verilator", "verilator");
    base::require_tool("g++", "g++");
    return first_line(base::capture_output({"verilator", "--version"})) + "\n" +
           first_line(base::capture_output({"g++", "--version"}));
  }();
  return versions;
}

// Verilator options every model and the shared runtime are built with.
// -fno-dfg: Verilator 5.006's data-flow-graph optimiser (on at -O3)
// miscompiles some gate-level netlists. Found with the AdderNet example
// package on osu018 (tree, K=9): Icarus ran neuroppa's gate-level Verilog
// with 0 errors in 5,000 outputs, Verilator -O3 with 476, -O3 -fno-dfg and
// -O0 with 0.
// -fno-const-bit-op-tree: its bit-operation-tree rewrite (V3Const) miscompiles
// others (Verilator issues #4059, #4832, #4841, fixed after 5.006). Found with
// the sigma-delta kernel on osu018 (tree, K=9, XW=4): Icarus ran the same
// gate-level Verilog on verify's stimulus to the golden model's values,
// Verilator -O3 -fno-dfg to a sum 49,152 off; with this flag, or -O0, it agrees.
std::vector<std::string> verilator_common_flags() {
  return {"-O3", "-fno-dfg", "-fno-const-bit-op-tree", "--x-assign", "fast", "--x-initial", "fast", "--noassert", "-Wno-fatal", "-Wno-lint",
          "-Wno-style"};
}
// The C++ compiler's flags (verilator -CFLAGS) and make's optimisation levels.
constexpr std::array<std::string_view, 2> kCompilerFlags = {"-fPIC", "-O2"};
constexpr std::array<std::string_view, 2> kMakeOverrides = {"OPT_FAST=-O2", "OPT_SLOW=-O1"};
std::string compiler_flags(const fs::path& dir) {
  std::string flags;
  for (const auto& f : kCompilerFlags) flags += std::string(f) + " ";
  return flags + "-I" + dir.string();
}

// The words of `VAR += a \\ b \\ ...` in a makefile Verilator wrote
// (continuation lines joined).
std::vector<std::string> makefile_list(const std::string& makefile, std::string_view var) {
  std::string joined;
  for (std::size_t i = 0; i < makefile.size(); ++i) {
    if (makefile[i] == '\\' && i + 1 < makefile.size() && makefile[i + 1] == '\n') {
      joined += ' ';
      ++i;
    } else {
      joined += makefile[i];
    }
  }
  std::vector<std::string> words;
  std::size_t start = 0;
  while (start < joined.size()) {
    const std::size_t end = std::min(joined.find('\n', start), joined.size());
    const auto line = base::split_words(std::string_view(joined).substr(start, end - start));
    if (line.size() >= 2 && line[0] == var && line[1] == "+=") words.insert(words.end(), line.begin() + 2, line.end());
    start = end + 1;
  }
  return words;
}

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace

fs::path default_cache_dir() {
  if (auto dir = env_or_empty("NEUROPPA_CACHE_DIR"); !dir.empty()) return dir;
  if (auto xdg = env_or_empty("XDG_CACHE_HOME"); !xdg.empty()) return fs::path(xdg) / "neuroppa";
  if (auto home = env_or_empty("HOME"); !home.empty()) return fs::path(home) / ".cache" / "neuroppa";
  throw Error("no cache folder: set NEUROPPA_CACHE_DIR, XDG_CACHE_HOME or HOME, or pass --cache-dir");
}

void Port::set_words(const std::uint32_t* words) const {
  if (width_ > 64) {
    auto* out = static_cast<std::uint32_t*>(data_);
    std::memcpy(out, words, this->words() * sizeof(std::uint32_t));
    if (width_ % 32) out[this->words() - 1] &= (1u << (width_ % 32)) - 1;
    return;
  }
  set(width_ > 32 ? (std::uint64_t{words[1]} << 32 | words[0]) : words[0]);
}

void Port::get_words(std::uint32_t* words) const {
  if (width_ > 64) {
    std::memcpy(words, data_, this->words() * sizeof(std::uint32_t));
    return;
  }
  const std::uint64_t v = get();
  words[0] = static_cast<std::uint32_t>(v);
  if (width_ > 32) words[1] = static_cast<std::uint32_t>(v >> 32);
}

std::string generate_wrapper(const ModelSpec& spec) {
  std::string ports;
  for (std::size_t i = 0; i < spec.ports.size(); ++i) {
    const PortSpec& p = spec.ports[i];
    ports += fmt::format("  i->ports[{}] = np_port{{\"{}\", {}u, {}, port_data(i->model.{})}};\n", i,
                         p.name, p.width, p.output ? "NP_PORT_OUTPUT" : "NP_PORT_INPUT", p.name);
  }
  const std::string tick =
      spec.clock.empty()
          ? "  m.eval();\n"
          : fmt::format("  m.{0} = 1;\n  m.eval();\n  m.{0} = 0;\n  m.eval();\n", spec.clock);
  // The label stays out of this text: it names the model in messages and
  // must not make equal models hash differently.
  return fmt::format(R"(// Generated by neuroppa. Do not edit: the cache key covers this text.
#include "V{top}.h"
#include "verilated.h"
#include "model_abi.h"

namespace {{

constexpr unsigned kPorts = {nports};

struct Instance {{
  VerilatedContext context;
  V{top} model{{&context, "top"}};
  np_port ports[kPorts > 0 ? kPorts : 1];
}};

template <class T> void* port_data(T& v) {{ return &v; }}
template <std::size_t N> void* port_data(VlWide<N>& v) {{ return v.data(); }}

void* create() {{
  auto* i = new Instance;
{ports}  i->model.eval();  // settle at time 0, so that the first clock edge is seen as one
  return i;
}}

void destroy(void* p) {{
  auto* i = static_cast<Instance*>(p);
  i->model.final();
  delete i;
}}

void eval(void* p) {{ static_cast<Instance*>(p)->model.eval(); }}

void tick(void* p) {{
  auto& m = static_cast<Instance*>(p)->model;
{tick}}}

size_t port_count(void*) {{ return kPorts; }}
const np_port* ports(void* p) {{ return static_cast<Instance*>(p)->ports; }}

const np_model_api kApi = {{NP_MODEL_ABI_VERSION, "{top}", create, destroy, eval, tick, port_count, ports}};

}}  // namespace

extern "C" __attribute__((visibility("default"))) const np_model_api* neuroppa_model_api() {{ return &kApi; }}
)",
                     fmt::arg("top", spec.top),
                     fmt::arg("nports", spec.ports.size()), fmt::arg("ports", ports),
                     fmt::arg("tick", tick));
}

LoadedModel::LoadedModel(const fs::path& so_path, ModelSpec spec)
    : spec_(std::move(spec)), path_(so_path) {
  // RTLD_LOCAL + -Bsymbolic at link time: each model keeps its own copy of
  // the Verilator runtime, so models of different builds coexist.
  handle_ = ::dlopen(so_path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!handle_) throw Error(fmt::format("cannot load model {}: {}", so_path.string(), ::dlerror()));
  auto entry = reinterpret_cast<np_model_entry_fn>(::dlsym(handle_, NP_MODEL_ENTRY));
  if (!entry) throw Error(fmt::format("{} is not a neuroppa model (no {})", so_path.string(), NP_MODEL_ENTRY));
  api_ = entry();
  if (api_->abi_version != NP_MODEL_ABI_VERSION)
    throw Error(fmt::format("{} has model ABI {}, this neuroppa expects {}: delete it from the cache",
                            so_path.string(), api_->abi_version, NP_MODEL_ABI_VERSION));
}

LoadedModel::~LoadedModel() {
  if (handle_) ::dlclose(handle_);
}

ModelInstance::ModelInstance(std::shared_ptr<const LoadedModel> model)
    : model_(std::move(model)),
      instance_(model_->api().create()),
      eval_(model_->api().eval),
      tick_(model_->api().tick) {}

ModelInstance::~ModelInstance() { model_->api().destroy(instance_); }

Port ModelInstance::port(std::string_view name) const {
  const np_model_api& api = model_->api();
  const np_port* ports = api.ports(instance_);
  for (std::size_t i = 0; i < api.port_count(instance_); ++i)
    if (name == ports[i].name) return Port(ports[i].data, ports[i].width);
  throw Error(fmt::format("model '{}' has no port '{}'", model_->spec().label, name));
}

ModelCache::ModelCache(fs::path root, ProgressFn progress)
    : root_(std::move(root)), progress_(std::move(progress)) {}

std::string ModelCache::key(const ModelSpec& spec) const {
  base::Sha256 h;
  h.update(kCacheFormat).update(abi_header_text()).update(generate_wrapper(spec));
  h.update(tool_versions()).update(spec.top).update(spec.clock);
  for (const auto& s : spec.sources) h.update(s.name).update(s.text);
  for (const auto& [name, value] : spec.parameters) h.update(name).update(value);
  for (const auto& f : spec.verilator_flags) h.update(f);
  // The flags every model is built with: changing one must rebuild.
  for (const auto& f : verilator_common_flags()) h.update(f);
  for (const auto& f : kCompilerFlags) h.update(f);
  for (const auto& f : kMakeOverrides) h.update(f);
  return h.hex();
}

std::shared_ptr<const LoadedModel> ModelCache::load(const ModelSpec& spec, BuildReport* report) {
  const auto start = std::chrono::steady_clock::now();
  const std::string key = this->key(spec);
  const auto entry = base::ContentStore(root_).get_or_build("models", key, [&](const base::ContentStore::BuildContext& ctx) {
    build(spec, ctx.dir, ctx.log);
  });
  if (entry.cached && progress_) progress_(fmt::format("using cached model {} ({})\n", spec.label, key.substr(0, 12)));
  auto model = std::make_shared<const LoadedModel>(entry.dir / "model.so", spec);
  if (report) *report = BuildReport{entry.cached, seconds_since(start), key, entry.dir};
  return model;
}

// Verilator's runtime (verilated.cpp, verilated_threads.cpp) is the same for
// every model built with one Verilator, one compiler and these flags, and
// compiling it was the larger part of a small model's build. It is compiled
// once into the store (runtime/<key>) and linked into every model: each model
// still carries its own copy (-Bsymbolic, dlopen RTLD_LOCAL), built once.
std::vector<fs::path> ModelCache::runtime_objects() const {
  base::Sha256 h;
  h.update(kCacheFormat).update("verilator runtime").update(tool_versions());
  for (const auto& f : verilator_common_flags()) h.update(f);
  for (const auto& f : kCompilerFlags) h.update(f);
  const std::string key = h.hex();
  const auto entry = base::ContentStore(root_).get_or_build("runtime", key, [&](const base::ContentStore::BuildContext& ctx) {
    build_runtime(ctx.dir, ctx.log);
  });
  std::vector<fs::path> objects;
  for (const auto& name : base::split_words(base::read_file(entry.dir / "objects.txt")))
    objects.push_back(entry.dir / name);
  if (objects.empty()) throw Error(fmt::format("{}: the Verilator runtime lists no objects: delete the folder", entry.dir.string()));
  return objects;
}

// Verilates a one-gate module with the models' own flags and compiles only
// the runtime objects its makefile names (VM_GLOBAL_FAST, VM_GLOBAL_SLOW), so
// they get exactly the flags a model's own build would give them.
void ModelCache::build_runtime(const fs::path& dir, const fs::path& log) const {
  const auto start = std::chrono::steady_clock::now();
  if (progress_) progress_("building the Verilator runtime, shared by every model ... ");
  const std::string top = "np_runtime_stub";
  base::write_file(dir / (top + ".sv"), "module np_runtime_stub (input logic a_i, output logic y_o);\n"
                                         "  assign y_o = a_i;\nendmodule\n");
  std::vector<std::string> argv = {"verilator", "--cc", "--top-module", top, "-CFLAGS", compiler_flags(dir)};
  const auto common = verilator_common_flags();
  argv.insert(argv.end(), common.begin(), common.end());
  argv.insert(argv.end(), {"-Mdir", "obj", top + ".sv"});
  auto fail = [&](const std::string& step, int rc) {
    if (progress_) progress_("failed\n");
    return Error(fmt::format("building the Verilator runtime failed ({} exit status {}); full log: {}\n{}", step, rc,
                             log.string(), base::tail_of_file(log, 8)));
  };
  if (const int rc = base::run_logged(argv, log, dir); rc != 0) throw fail("verilator", rc);

  std::vector<std::string> objects;
  const std::string classes = base::read_file(dir / "obj" / ("V" + top + "_classes.mk"));
  for (std::string_view var : {"VM_GLOBAL_FAST", "VM_GLOBAL_SLOW"})
    for (const auto& name : makefile_list(classes, var)) objects.push_back(name + ".o");
  if (objects.empty()) throw Error(fmt::format("{}: no VM_GLOBAL objects: is this Verilator 5?", (dir / "obj").string()));
  const unsigned jobs = build_jobs_ ? build_jobs_ : std::max(1u, std::thread::hardware_concurrency());
  std::vector<std::string> make = {"make", "-C", "obj", "-f", "V" + top + ".mk", "-j", std::to_string(jobs)};
  make.insert(make.end(), kMakeOverrides.begin(), kMakeOverrides.end());
  make.insert(make.end(), objects.begin(), objects.end());
  if (const int rc = base::run_logged(make, log, dir); rc != 0) throw fail("make", rc);
  for (const auto& o : objects) fs::rename(dir / "obj" / o, dir / o);
  fs::remove_all(dir / "obj");
  fs::remove(dir / (top + ".sv"));
  std::string list;
  for (const auto& o : objects) list += o + "\n";
  base::write_file(dir / "objects.txt", list);
  if (progress_) progress_(fmt::format("done in {:.1f} s\n", seconds_since(start)));
}

void ModelCache::build(const ModelSpec& spec, const fs::path& dir, const fs::path& log) const {
  const std::vector<fs::path> runtime = runtime_objects();
  const auto start = std::chrono::steady_clock::now();
  if (progress_) progress_(fmt::format("building model {} with verilator and g++ ... ", spec.label));
  base::write_file(dir / "model_abi.h", abi_header_text());
  base::write_file(dir / "wrapper.cpp", generate_wrapper(spec));
  for (const auto& s : spec.sources) base::write_file(dir / s.name, s.text);

  const unsigned jobs = build_jobs_ ? build_jobs_ : std::max(1u, std::thread::hardware_concurrency());
  // The runtime's objects go in through the link flags; emptying
  // VM_GLOBAL_FAST/SLOW keeps make from compiling them again.
  std::string link = "-shared -Wl,-Bsymbolic";
  for (const auto& o : runtime) link += " " + o.string();
  std::string make_flags = "VM_GLOBAL_FAST= VM_GLOBAL_SLOW=";
  for (const auto& o : kMakeOverrides) make_flags += " " + std::string(o);
  std::vector<std::string> argv = {"verilator", "--cc", "--exe", "--build", "-j", std::to_string(jobs),
                                   "--top-module", spec.top, "-CFLAGS", compiler_flags(dir),
                                   "-LDFLAGS", link, "-MAKEFLAGS", make_flags};
  const auto common = verilator_common_flags();
  argv.insert(argv.end(), common.begin(), common.end());
  argv.insert(argv.end(), {"-Mdir", "obj", "-o", "model.so"});
  for (const auto& [name, value] : spec.parameters) argv.push_back(fmt::format("-G{}={}", name, value));
  argv.insert(argv.end(), spec.verilator_flags.begin(), spec.verilator_flags.end());
  for (const auto& s : spec.sources) argv.push_back(s.name);
  argv.push_back("wrapper.cpp");

  if (const int rc = base::run_logged(argv, log, dir); rc != 0) {
    if (progress_) progress_("failed\n");
    throw Error(fmt::format("building model {} failed (verilator exit status {}); full log: {}\n{}",
                            spec.label, rc, log.string(), base::tail_of_file(log, 8)));
  }
  fs::rename(dir / "obj" / "model.so", dir / "model.so");
  base::write_file(dir / "spec.txt", fmt::format("{}\n{}\n", spec.label, tool_versions()));
  fs::remove_all(dir / "obj");  // keep the folder small: only the .so is needed
  if (progress_) progress_(fmt::format("done in {:.1f} s\n", seconds_since(start)));
}

}  // namespace neuroppa::vmodel
