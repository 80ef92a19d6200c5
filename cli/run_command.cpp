// neuroppa run: options of app::run_network, and its progress bar.
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <thread>

#include "commands.hpp"
#include "neuroppa/app/run.hpp"
#include "options.hpp"
#include "neuroppa/sim/macro_model.hpp"
#include "neuroppa/sim/memories.hpp"

namespace neuroppa::cli {
namespace {

struct RunOptions {
  app::RunRequest request;
  std::string kernel_path;
  std::string level = "rtl";
  std::string freq = "50MHz";
  std::string mem_energy;
  std::string format = "md";
  std::string activity = "auto";
  std::string on_macro_error = "fail";
};

// A progress bar on a terminal, a line every 10% otherwise.
class ProgressBar {
 public:
  explicit ProgressBar(bool quiet) : quiet_(quiet), tty_(::isatty(2)) {}
  void operator()(std::size_t done, std::size_t total) {
    total_ = total;
    if (quiet_ || total_ == 0) return;
    const auto now = std::chrono::steady_clock::now();
    const double elapsed = std::chrono::duration<double>(now - start_).count();
    const bool finished = done == total_;
    if (tty_) {
      if (!finished && now - last_ < std::chrono::milliseconds(200)) return;
      last_ = now;
      const int width = 30, filled = int(width * done / total_);
      const double rate = done / std::max(elapsed, 1e-9);
      fmt::print(stderr, "\r  [{}{}] {}/{} images, {:.0f} images/s, {:.0f} s left ", std::string(filled, '#'),
                 std::string(width - filled, ' '), done, total_, rate, (total_ - done) / std::max(rate, 1e-9));
      if (finished) fmt::print(stderr, "\n");
      return;
    }
    const std::size_t tenth = std::max<std::size_t>(1, total_ / 10);
    if (done % tenth == 0 || finished) fmt::print(stderr, "  {}/{} images ({:.1f} s)\n", done, total_, elapsed);
  }

 private:
  std::size_t total_ = 0;
  bool quiet_, tty_;
  std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now(), last_{};
};

int run_run(RunOptions o, const GlobalOptions& global) {
  load_kernel_packages(o.kernel_path, global);
  app::RunRequest& r = o.request;
  r.level = o.level == "gate" ? sim::Level::gate : o.level == "macro" ? sim::Level::macro : sim::Level::rtl;
  r.frequency = parse_frequency(o.freq);
  const reports::Format format = reports::parse_format(o.format);
  r.memory = parse_memory_energy(o.mem_energy);
  if (o.activity != "auto") r.activity = tech::parse_activity_mode(o.activity);
  ProgressBar bar(global.quiet);
  const app::RunResult result =
      app::run_network(r, global.context("  "), [&](std::uint64_t done, std::uint64_t total) { bar(done, total); });

  // Tables one after another; in JSON, one array of them (one document).
  const bool json = format == reports::Format::json;
  std::string out = json ? "[\n" : "";
  for (std::size_t i = 0; i < result.tables.size(); ++i) {
    if (i) out += json ? ",\n" : "\n";
    out += reports::write(result.tables[i], format);
  }
  if (json) out += "]\n";
  fmt::print("{}", out);
  if (result.mismatches) {
    std::fflush(stdout);
    fmt::print(stderr, "neuroppa: error: the platform differs from the reference inference on {} of {} images "
                       "(first: test image {})\n", result.mismatches, result.images, result.first_mismatch);
    return 1;
  }
  if (!result.macro_out_of_bound.empty()) {
    std::fflush(stdout);
    fmt::print(stderr, "neuroppa: {}: macro-model validation error beyond ±{:.0f}% for {}\n",
               o.on_macro_error == "fail" ? "error" : "warning", 100 * sim::kMacroErrorBound,
               fmt::join(result.macro_out_of_bound, ", "));
    if (o.on_macro_error == "fail") return 4;
  }
  return 0;
}

}  // namespace

Runner add_run_command(CLI::App& app, const GlobalOptions& global) {
  auto o = std::make_shared<RunOptions>();
  app::RunRequest& r = o->request;
  r.threads = std::max(1u, std::thread::hardware_concurrency());
  CLI::App* cmd = app.add_subcommand("run", "Run a model on the SystemC platform over the Fashion-MNIST test set");
  cmd->add_option("--model", r.model, "Model file, or the name of a bundled model (e.g. mac-mlp)")->required();
  add_kernel_path_option(*cmd, o->kernel_path);
  cmd->add_option("--level", o->level,
                  "Kernel lanes at rtl (no energy), gate (energy from gate-level toggles with glitches) or macro "
                  "level (RTL lanes priced per cycle by each kernel's macro-model, fitted on timed gate-level "
                  "replays and cached; see kernels --macro)")
      ->check(one_of("--level", {"rtl", "gate", "macro"}))
      ->capture_default_str();
  cmd->add_option("--on-macro-error", o->on_macro_error,
                  "Macro level, a kernel's macro-model beyond ±3% on held-out images: the run prices it and says so; "
                  "fail exits 4 after the tables, warn exits 0")
      ->check(one_of("--on-macro-error", {"fail", "warn"}))
      ->capture_default_str();
  cmd->add_option("--images", r.images, "Test images to run (default: all 10,000 at rtl and macro, 1,000 at gate level)")
      ->check(in_range("--images", 1, 10000));
  cmd->add_option("--lib", r.lib, "Cell library at gate and macro level: osu018, osu035, osu050 or a Liberty file")
      ->capture_default_str();
  cmd->add_option("--freq", o->freq, "Platform clock, e.g. 50MHz")->capture_default_str();
  cmd->add_option("--lanes", r.lanes, "Kernel lanes per neuron kind (P)")
      ->check(in_range("--lanes", 1, 4096))
      ->capture_default_str();
  cmd->add_option("--threads", r.threads,
                  "Simulation threads sharing the lanes (default: the machine's cores; results do not depend on it)")
      ->check(in_range("--threads", 1, 256));
  cmd->add_option("--K", r.K, "Synapses per beat of every kernel")
      ->check(in_range("--K", 1, models::kMaxK))
      ->capture_default_str();
  cmd->add_flag("--check", r.check,
                "Compare every image's outputs with the reference inference; exit 1 on any difference");
  cmd->add_option("--mem-model", r.memory_model,
                  "Gate level: price the memories as register-file banks on the kernels' library (regfile), as SRAM "
                  "macros from their Liberty model (sram:FILE.lib), from a table of your own (FILE.json: per memory, read/write energy per access and per bit, leakage, "
                  "area), or only count their accesses (none); --mem-energy overrides")
      ->capture_default_str();
  cmd->add_option("--mem-energy", o->mem_energy,
                  "Energy per memory access, e.g. weights=2pJ,act-read=1pJ,act-write=1pJ,membrane=1pJ "
                  "(default: accesses counted, not priced)");
  cmd->add_option("--mem", r.memories,
                  "The accelerator's memories: standard, ideal, then key=value changes, e.g. "
                  "standard,weights.width=64,system.bandwidth=200MB/s (keys: " + sim::memory_config_keys() + ")")
      ->capture_default_str();
  cmd->add_option("--format", o->format, "Output format: md, csv, json, tex")->capture_default_str();
  cmd->add_option("--activity", o->activity,
                  "Gate level: zero-delay, timed, timed:F, or auto (the cheapest timed:F whose 95% interval on the "
                  "lanes' energy is within ±3%)")
      ->capture_default_str();
  cmd->add_option("--data", r.data, "Folder of the Fashion-MNIST IDX files")->capture_default_str();
  return [o, &global] { return run_run(*o, global); };
}

}  // namespace neuroppa::cli
