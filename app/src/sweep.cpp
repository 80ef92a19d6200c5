#include "neuroppa/app/sweep.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <set>
#include <thread>

#include "neuroppa/base/error.hpp"
#include "neuroppa/base/file.hpp"
#include "neuroppa/base/process.hpp"
#include "neuroppa/base/sha256.hpp"
#include "neuroppa/base/text.hpp"
#include "neuroppa/base/toml.hpp"
#include "neuroppa/kernels/package.hpp"
#include "neuroppa_version.hpp"

namespace neuroppa::app::sweep {
namespace fs = std::filesystem;
using json = nlohmann::json;

namespace {

using Value = base::TomlValue;

constexpr std::size_t kMaxFileBytes = 1 << 20;
constexpr std::size_t kMaxPoints = 100000;

using base::fail_at;
using base::in_file_order;
using base::line_of;

// A quantity under the name run's summary gives it now: results collected
// before a rename, and sweep files plotting by the old name, keep working.
// (The recorded accuracies said "full test set" even when a model had been
// measured on fewer test images; their count is now a quantity of its own.)
std::string current_quantity_name(const std::string& name) {
  if (name == "accuracy recorded at training (integer network, full test set)")
    return "accuracy recorded at training (integer network)";
  if (name == "accuracy of the float network (full test set)") return "accuracy recorded at training (float network)";
  return name;
}

// A value as it goes on the command line.
std::string scalar(const Value& v, const fs::path& path, const std::string& what) {
  if (v.is_string()) return v.as_string().str;
  if (v.is_integer()) return std::to_string(v.as_integer());
  if (v.is_floating()) {
    if (!std::isfinite(v.as_floating())) fail_at(path, line_of(v), what + ": give a finite number");
    return fmt::format("{}", v.as_floating());
  }
  fail_at(path, line_of(v), what + ": give a string or a number");
}

std::string string_field(const Value& v, const fs::path& path, const std::string& key) {
  if (!v.is_string()) fail_at(path, line_of(v), fmt::format("'{}' must be a string, e.g. {} = \"...\"", key, key));
  return v.as_string().str;
}

void read_slurm(const Value& table, const fs::path& path, SlurmSettings& s) {
  for (const auto& [key, v] : in_file_order(table)) {
    if (key == "time") {
      s.time = string_field(*v, path, "slurm.time");
      const bool ok = !s.time.empty() && s.time.find_first_not_of("0123456789:-") == std::string::npos;
      if (!ok) fail_at(path, line_of(*v), fmt::format("slurm.time '{}': give minutes or [D-]HH:MM:SS, e.g. \"01:30:00\"", s.time));
    } else if (key == "mem") {
      s.mem = string_field(*v, path, "slurm.mem");
      const std::size_t digits = s.mem.find_first_not_of("0123456789");
      const bool ok = digits > 0 && (digits == s.mem.size() ||
                                     (digits + 1 == s.mem.size() && std::string("KMGT").find(s.mem.back()) != std::string::npos));
      if (!ok) fail_at(path, line_of(*v), fmt::format("slurm.mem '{}': give megabytes or a size like \"4G\" or \"500M\"", s.mem));
    } else if (key == "partition") {
      s.partition = string_field(*v, path, "slurm.partition");
    } else if (key == "throttle") {
      if (!v->is_integer() || v->as_integer() < 0 || v->as_integer() > 100000)
        fail_at(path, line_of(*v), "slurm.throttle: give a whole number 0..100000 (0: no limit)");
      s.throttle = static_cast<unsigned>(v->as_integer());
    } else {
      fail_at(path, line_of(*v), fmt::format("unknown key slurm.{}; keys: time, mem, partition, throttle", key));
    }
  }
}

void read_axes(const Value& table, const fs::path& path, SweepFile& s, const CommandChecker& checker) {
  if (!table.is_table()) fail_at(path, line_of(table), "'axes' must be a table: [axes] then name = [values]");
  for (const auto& [name, v] : in_file_order(table)) {
    if (std::find(kReservedOptions.begin(), kReservedOptions.end(), name) != kReservedOptions.end())
      fail_at(path, line_of(*v), fmt::format("'{}' cannot be an axis: the sweep sets --{} itself", name, name));
    if (!checker.has_option(s.command, name))
      fail_at(path, line_of(*v), fmt::format("unknown axis '{}': neuroppa {} has no option --{} (see neuroppa {} --help)",
                                          name, s.command, name, s.command));
    if (!v->is_array() || v->as_array().empty())
      fail_at(path, line_of(*v), fmt::format("axis '{}' must be a non-empty list, e.g. {} = [\"a\", \"b\"]", name, name));
    Axis axis{name, {}, line_of(*v)};
    std::set<std::string> seen;
    for (const Value& e : v->as_array()) {
      if (e.is_boolean()) fail_at(path, line_of(e), fmt::format("axis '{}': flags cannot be swept; set them in [options]", name));
      std::string value = scalar(e, path, fmt::format("axis '{}'", name));
      if (!seen.insert(value).second)
        fail_at(path, line_of(e), fmt::format("axis '{}' lists {} twice: that would be a duplicate point; remove one", name, value));
      axis.values.push_back(std::move(value));
    }
    s.axes.push_back(std::move(axis));
  }
  if (s.axes.empty()) fail_at(path, line_of(table), "no axes: give at least one, e.g. K = [9, 25]");
}

// [options] of `command` (or, with `then`, [then]'s options of its command) into `fixed`.
void read_options(const Value& table, const fs::path& path, SweepFile& s, const CommandChecker& checker,
                  const std::string& command, std::vector<std::pair<std::string, std::string>>& fixed,
                  const char* section) {
  if (!table.is_table()) fail_at(path, line_of(table), fmt::format("'{}' must be a table: [{}] then name = value", section, section));
  for (const auto& [name, v] : in_file_order(table)) {
    if (std::string(section) == "then" && name == "command") continue;
    if (std::find(kReservedOptions.begin(), kReservedOptions.end(), name) != kReservedOptions.end())
      fail_at(path, line_of(*v), fmt::format("'{}' cannot be set: the sweep sets --{} itself", name, name));
    if (!checker.has_option(command, name))
      fail_at(path, line_of(*v), fmt::format("unknown option '{}': neuroppa {} has no option --{}", name, command, name));
    if (&fixed == &s.fixed)
      for (const Axis& a : s.axes)
        if (a.name == name) fail_at(path, line_of(*v), fmt::format("'{}' is both an axis (line {}) and an option; keep one", name, a.line));
    if (v->is_boolean()) {
      if (v->as_boolean()) fixed.emplace_back(name, "");
      continue;
    }
    fixed.emplace_back(name, scalar(*v, path, fmt::format("option '{}'", name)));
  }
}

void read_then(const Value& table, const fs::path& path, SweepFile& s, const CommandChecker& checker) {
  if (!table.is_table()) fail_at(path, line_of(table), "'then' must be a table: [then] with command = \"run\" and its options");
  if (s.command != "train")
    fail_at(path, line_of(table), fmt::format("[then] follows a train sweep (it runs each point's model); this one runs {}", s.command));
  if (!table.contains("command") || string_field(table.at("command"), path, "then.command") != "run")
    fail_at(path, line_of(table), "[then] needs command = \"run\" (the model is the point's: model = \"{point}/model.json.gz\")");
  s.then_command = "run";
  read_options(table, path, s, checker, s.then_command, s.then_fixed, "then");
}

void read_plot(const Value& table, const fs::path& path, SweepFile& s) {
  if (!table.is_table()) fail_at(path, line_of(table), "'plot' must be a table: [plot] with x and y");
  PlotSettings p;
  p.line = line_of(table);
  for (const auto& [key, v] : in_file_order(table)) {
    if (key == "x") p.x = string_field(*v, path, "plot.x");
    else if (key == "y") p.y = string_field(*v, path, "plot.y");
    else if (key == "label") p.label = string_field(*v, path, "plot.label");
    else if (key == "title") p.title = string_field(*v, path, "plot.title");
    else if (key == "x_label") p.x_label = string_field(*v, path, "plot.x_label");
    else if (key == "y_label") p.y_label = string_field(*v, path, "plot.y_label");
    else if (key == "log_x") {
      if (!v->is_boolean()) fail_at(path, line_of(*v), "plot.log_x: give true or false");
      p.log_x = v->as_boolean();
    } else if (key == "with") {
      if (!v->is_array()) fail_at(path, line_of(*v), "plot.with: give a list of sweep files, e.g. [\"references.toml\"]");
      for (const Value& e : v->as_array()) {
        const fs::path other = (path.parent_path() / string_field(e, path, "plot.with")).lexically_normal();
        if (!fs::is_regular_file(other)) fail_at(path, line_of(e), fmt::format("plot.with: no sweep file {}", other.string()));
        p.with.push_back(other);
      }
    } else {
      fail_at(path, line_of(*v), fmt::format("unknown key plot.{}; keys: x, y, log_x, label, title, x_label, y_label, with", key));
    }
  }
  if (p.x.empty() || p.y.empty())
    fail_at(path, p.line, "[plot] needs x and y: the collected columns to plot, e.g. x = \"energy per inference\"");
  s.plot = std::move(p);
}

std::vector<std::string> then_line(const SweepFile& s) {
  if (s.then_command.empty()) return {};
  std::vector<std::string> args{s.then_command};
  for (const auto& [name, value] : s.then_fixed) {
    args.push_back("--" + name);
    if (!value.empty()) args.push_back(value);
  }
  args.push_back("--format");
  args.push_back("json");
  return args;
}

// "name hash" of every package in a --kernel-path value's folders (relative
// to the sweep file, where its points run).
std::string package_hashes(const SweepFile& s, const std::string& folders) {
  std::vector<fs::path> search_path;
  for (const std::string& folder : base::split_list(folders)) search_path.push_back(s.path.parent_path() / folder);
  std::string text;
  for (const kernels::Package& p : kernels::assemble_catalogue(search_path))
    if (!p.builtin) text += p.name + " " + p.hash + "\n";
  return text;
}

std::vector<std::string> command_line(const SweepFile& s, const std::vector<std::string>& values) {
  std::vector<std::string> args{s.command};
  for (std::size_t a = 0; a < s.axes.size(); ++a) {
    args.push_back("--" + s.axes[a].name);
    args.push_back(values[a]);
  }
  for (const auto& [name, value] : s.fixed) {
    args.push_back("--" + name);
    if (!value.empty()) args.push_back(value);
  }
  // A training point writes its model (and curves) into its own folder (`out` is the sweep's, kReservedOptions).
  if (s.command == "train") {
    args.push_back("--out");
    args.push_back(std::string(kPointFolder) + "/model.json.gz");
  }
  args.push_back("--format");
  args.push_back("json");
  return args;
}

// Every axis value on a command line with the other axes at their first
// value: what the command refuses is found here, before anything runs.
void check_points(const SweepFile& s, const Value& root, const CommandChecker& checker) {
  std::vector<std::string> first;
  for (const Axis& a : s.axes) first.push_back(a.values.front());
  if (const auto why = checker.check(command_line(s, first))) {
    int line = root.contains("options") ? line_of(root.at("options")) : 1;
    for (const auto& [name, value] : s.fixed)
      if (why->find("--" + name) != std::string::npos) line = line_of(root.at("options").at(name));
    fail_at(s.path, line, "the options are refused: " + *why);
  }
  if (!s.then_command.empty())
    if (const auto why = checker.check(then_line(s)))
      fail_at(s.path, line_of(root.at("then")), "the [then] options are refused: " + *why);
  for (std::size_t a = 0; a < s.axes.size(); ++a)
    for (const std::string& value : s.axes[a].values) {
      std::vector<std::string> values = first;
      values[a] = value;
      if (const auto why = checker.check(command_line(s, values)))
        fail_at(s.path, s.axes[a].line, fmt::format("axis '{}' value {} is refused: {}", s.axes[a].name, value, *why));
    }
}

std::string last_line(const std::string& text) {
  std::size_t end = text.size();
  while (end > 0 && (text[end - 1] == '\n' || text[end - 1] == '\r')) --end;
  const std::size_t start = text.rfind('\n', end == 0 ? 0 : end - 1);
  return text.substr(start == std::string::npos ? 0 : start + 1, end - (start == std::string::npos ? 0 : start + 1));
}

std::string describe(const Point& p) {
  std::string out;
  for (const auto& [axis, value] : p.values) out += (out.empty() ? "" : " ") + axis + "=" + value;
  return out;
}

std::string shell_quote(const std::string& s) {
  std::string q = "'";
  for (char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

// "0-3,5,7-9"
std::string index_ranges(const std::vector<std::size_t>& indices) {
  std::string out;
  for (std::size_t i = 0; i < indices.size();) {
    std::size_t j = i;
    while (j + 1 < indices.size() && indices[j + 1] == indices[j] + 1) ++j;
    out += (out.empty() ? "" : ",") + (i == j ? std::to_string(indices[i]) : fmt::format("{}-{}", indices[i], indices[j]));
    i = j + 1;
  }
  return out;
}

std::vector<Point> not_done(const SweepFile& s) {
  std::vector<Point> todo;
  for (Point& p : plan(s))
    if (point_state(s, p) != PointState::done) todo.push_back(std::move(p));
  return todo;
}

reports::Cell cell_of(const json& v) {
  if (v.is_number()) return v.get<double>();
  if (v.is_string()) return v.get<std::string>();
  if (v.is_null()) return NAN;
  return v.dump();
}

}  // namespace

SweepFile read_sweep_file(const fs::path& given, const CommandChecker& checker) {
  SweepFile s;
  s.path = fs::absolute(given).lexically_normal();
  const Value root = base::read_toml_file(s.path, "sweep file", kMaxFileBytes);
  if (!root.is_table()) fail_at(s.path, 1, "a sweep file is a TOML table");
  for (const auto& [key, v] : in_file_order(root)) {
    static const std::set<std::string> keys = {"name", "command", "results", "axes", "options", "then", "plot", "slurm"};
    if (!keys.count(key))
      fail_at(s.path, line_of(*v),
              fmt::format("unknown key '{}'; keys: name, command, results, [axes], [options], [then], [plot], [slurm]", key));
  }
  if (!root.contains("command"))
    fail_at(s.path, 1, fmt::format("no 'command': add command = \"kernels\" or command = \"run\""));
  s.command = string_field(root.at("command"), s.path, "command");
  if (std::find(kSweepCommands.begin(), kSweepCommands.end(), s.command) == kSweepCommands.end())
    fail_at(s.path, line_of(root.at("command")), fmt::format("command '{}': a sweep runs kernels, run or train", s.command));
  s.name = root.contains("name") ? string_field(root.at("name"), s.path, "name") : s.path.stem().string();
  if (s.name.empty() || s.name.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-") != std::string::npos)
    fail_at(s.path, root.contains("name") ? line_of(root.at("name")) : 1,
         fmt::format("name '{}': use letters, digits, '.', '_' and '-' (it names files and Slurm jobs)", s.name));
  const std::string results = root.contains("results") ? string_field(root.at("results"), s.path, "results") : s.name + "-results";
  s.results = (s.path.parent_path() / results).lexically_normal();
  if (!root.contains("axes")) fail_at(s.path, 1, "no [axes]: add [axes] with at least one, e.g. K = [9, 25]");
  read_axes(root.at("axes"), s.path, s, checker);
  if (root.contains("options")) read_options(root.at("options"), s.path, s, checker, s.command, s.fixed, "options");
  if (root.contains("then")) read_then(root.at("then"), s.path, s, checker);
  if (root.contains("plot")) read_plot(root.at("plot"), s.path, s);
  if (root.contains("slurm")) {
    if (!root.at("slurm").is_table()) fail_at(s.path, line_of(root.at("slurm")), "'slurm' must be a table: [slurm]");
    read_slurm(root.at("slurm"), s.path, s.slurm);
  }
  std::size_t points = 1;
  for (const Axis& a : s.axes) {
    points *= a.values.size();
    if (points > kMaxPoints)
      fail_at(s.path, a.line, fmt::format("more than {} points; split the sweep", kMaxPoints));
  }
  check_points(s, root, checker);
  return s;
}

std::vector<Point> plan(const SweepFile& s) {
  std::size_t count = 1;
  for (const Axis& a : s.axes) count *= a.values.size();
  std::vector<Point> points;
  points.reserve(count);
  for (std::size_t i = 0; i < count; ++i) {
    Point p;
    p.index = i;
    std::vector<std::string> values(s.axes.size());
    std::size_t rest = i;
    for (std::size_t a = s.axes.size(); a-- > 0;) {  // the last axis varies fastest
      values[a] = s.axes[a].values[rest % s.axes[a].values.size()];
      rest /= s.axes[a].values.size();
    }
    for (std::size_t a = 0; a < s.axes.size(); ++a) p.values.emplace_back(s.axes[a].name, values[a]);
    p.args = command_line(s, values);
    p.then_args = then_line(s);
    // What determines the result: the version, the command line, the
    // content of any file it names (a model, a library) and of the kernel
    // packages on its kernel path (an edited package is a new point).
    std::string identity = "neuroppa " NEUROPPA_VERSION "\n";
    for (std::size_t a = 0; a < p.args.size(); ++a) {
      const std::string& arg = p.args[a];
      identity += arg + "\n";
      std::error_code ec;
      if (arg.size() < 4096 && fs::is_regular_file(s.path.parent_path() / arg, ec))
        identity += base::sha256_hex(base::read_file(s.path.parent_path() / arg)) + "\n";
      if (a > 0 && p.args[a - 1] == "--kernel-path") identity += package_hashes(s, arg);
    }
    for (const std::string& arg : p.then_args) identity += "then " + arg + "\n";
    p.key = base::sha256_hex(identity).substr(0, 16);
    points.push_back(std::move(p));
  }
  return points;
}

const char* to_string(PointState state) {
  switch (state) {
    case PointState::done: return "done";
    case PointState::failed: return "failed";
    case PointState::missing: break;
  }
  return "missing";
}

fs::path point_dir(const SweepFile& s, const Point& p) { return s.results / "points" / p.key; }

PointState point_state(const SweepFile& s, const Point& p) {
  const fs::path dir = point_dir(s, p);
  if (fs::exists(dir / "table.json")) return PointState::done;
  if (fs::exists(dir / "error.txt")) return PointState::failed;
  return PointState::missing;
}

std::string point_error(const SweepFile& s, const Point& p) {
  const fs::path file = point_dir(s, p) / "error.txt";
  return fs::exists(file) ? last_line(base::read_file(file)) : std::string();
}

namespace {

// One child process of a point: `args` with "{point}" as the point's folder,
// in the sweep file's folder. On success its JSON table goes to `table`
// (written whole, then renamed); on failure its error line to error.txt,
// prefixed by `stage`.
bool run_stage(const SweepFile& s, const fs::path& dir, const std::vector<std::string>& args, const Launcher& launcher,
               const fs::path& table, const std::string& stage) {
  std::vector<std::string> argv{launcher.neuroppa.string(), "--quiet", "--cache-dir", launcher.cache_dir.string()};
  for (std::string arg : args) {  // "{point}": this point's folder
    for (std::size_t at; (at = arg.find(kPointFolder)) != std::string::npos;)
      arg.replace(at, kPointFolder.size(), fs::absolute(dir).string());
    argv.push_back(std::move(arg));
  }
  // In the sweep file's folder: paths in it (a model, --kernel-path) are relative to it, as its
  // results folder is and as the points' keys take them.
  const base::ProcessResult r = base::run_captured(argv, fs::absolute(s.path).parent_path());
  // Appended: run_point starts each point with no log, and [then]'s stage follows train's.
  base::write_file(dir / "log.txt", (fs::exists(dir / "log.txt") ? base::read_file(dir / "log.txt") : "") + r.err);
  if (r.status == 0) {
    if (!json::accept(r.out)) {
      base::write_file(dir / "error.txt", stage + "neuroppa printed no JSON table (see log.txt)\n");
      return false;
    }
    // Whole or not at all: a point killed here leaves no table a rerun trusts.
    base::write_file(dir / "table.json.part", r.out);
    fs::rename(dir / "table.json.part", table);
    return true;
  }
  const std::string why = last_line(r.err);
  base::write_file(dir / "error.txt", fmt::format("{}exit status {}: {}\n", stage, r.status,
                                                  why.empty() ? "no message (see log.txt)" : why));
  return false;
}

}  // namespace

PointState run_point(const SweepFile& s, const Point& p, const Launcher& launcher) {
  const fs::path dir = point_dir(s, p);
  fs::create_directories(dir);
  json record = {{"index", p.index}, {"key", p.key}, {"args", p.args}, {"sweep", s.path.string()}};
  if (!p.then_args.empty()) record["then"] = p.then_args;
  for (const auto& [axis, value] : p.values) record["values"][axis] = value;
  base::write_file(dir / "point.json", record.dump(2) + "\n");
  fs::remove(dir / "log.txt");
  if (p.then_args.empty()) {
    if (!run_stage(s, dir, p.args, launcher, dir / "table.json", "")) return PointState::failed;
  } else {
    // The point is done only when its run is: train's table is kept beside it.
    if (!run_stage(s, dir, p.args, launcher, dir / "train.json", "")) return PointState::failed;
    if (!run_stage(s, dir, p.then_args, launcher, dir / "table.json", "then: ")) return PointState::failed;
  }
  fs::remove(dir / "error.txt");
  return PointState::done;
}

Progress run_local(const SweepFile& s, const Launcher& launcher, unsigned jobs, const Context& context) {
  const std::vector<Point> todo = not_done(s);
  Progress progress;
  progress.total = plan(s).size();
  progress.skipped = progress.total - todo.size();
  const unsigned workers = static_cast<unsigned>(std::min<std::size_t>(std::max(1u, jobs), std::max<std::size_t>(1, todo.size())));
  if (todo.empty()) {
    context.say(fmt::format("sweep {}: all {} points are done; nothing to run\n", s.name, progress.total));
    return progress;
  }
  context.say(fmt::format("sweep {}: {} points, {} done already; running {} on {} worker{}\n", s.name, progress.total,
                          progress.skipped, todo.size(), workers, workers == 1 ? "" : "s"));
  std::atomic<std::size_t> next{0};
  std::mutex mutex;
  const auto work = [&] {
    for (std::size_t i; (i = next++) < todo.size();) {
      const auto start = std::chrono::steady_clock::now();
      const PointState state = run_point(s, todo[i], launcher);
      const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      const std::lock_guard lock(mutex);
      (state == PointState::done ? progress.done : progress.failed)++;
      context.say(fmt::format("  [{}/{}] {:6} {} ({:.1f} s){}\n", progress.done + progress.failed, todo.size(),
                              to_string(state), describe(todo[i]), seconds,
                              state == PointState::failed ? ": " + point_error(s, todo[i]) : ""));
    }
  };
  std::vector<std::thread> threads;
  for (unsigned w = 0; w < workers; ++w) threads.emplace_back(work);
  for (auto& t : threads) t.join();
  return progress;
}

SlurmSubmission submit_slurm(const SweepFile& s, const Launcher& launcher, bool wait, const Context& context) {
  base::require_tool("sbatch", "slurm-client");
  SlurmSubmission sub;
  std::vector<std::size_t> indices;
  for (const Point& p : not_done(s)) indices.push_back(p.index);
  if (indices.empty()) {
    context.say(fmt::format("sweep {}: every point is done; nothing to submit\n", s.name));
    return sub;
  }
  const fs::path dir = s.results / "slurm";
  fs::create_directories(dir);
  std::size_t n = 1;
  while (fs::exists(dir / fmt::format("submit-{}.sbatch", n))) ++n;
  sub.script = dir / fmt::format("submit-{}.sbatch", n);
  sub.tasks = indices.size();
  std::string script = "#!/bin/sh\n";
  script += fmt::format("#SBATCH --job-name=neuroppa-{}\n", s.name);
  script += fmt::format("#SBATCH --array={}{}\n", index_ranges(indices), s.slurm.throttle ? fmt::format("%{}", s.slurm.throttle) : "");
  script += fmt::format("#SBATCH --time={}\n#SBATCH --mem={}\n#SBATCH --cpus-per-task=1\n", s.slurm.time, s.slurm.mem);
  script += fmt::format("#SBATCH --output={}\n", (dir / "task-%A_%a.out").string());
  if (!s.slurm.partition.empty()) script += fmt::format("#SBATCH --partition={}\n", s.slurm.partition);
  script += "# One array task per point not done yet; the task id is the point's index (neuroppa sweep plan).\n";
  script += fmt::format("exec {} --quiet --cache-dir {} sweep point {} \"$SLURM_ARRAY_TASK_ID\"\n",
                        shell_quote(launcher.neuroppa.string()), shell_quote(launcher.cache_dir.string()),
                        shell_quote(s.path.string()));
  base::write_file(sub.script, script);
  std::vector<std::string> argv{"sbatch", "--parsable"};
  if (wait) argv.push_back("--wait");
  argv.push_back(sub.script.string());
  context.say(fmt::format("sweep {}: submitting {} of {} points as a Slurm job array ({})\n", s.name, indices.size(),
                          plan(s).size(), sub.script.string()));
  const base::ProcessResult r = base::run_captured(argv);
  sub.job_id = r.out.substr(0, r.out.find_first_of(";\n"));
  // With --wait, sbatch's status is the job's: non-zero when a point failed,
  // which the point itself recorded. Only no job id is sbatch's own failure.
  if (sub.job_id.empty() || sub.job_id.find_first_not_of("0123456789") != std::string::npos)
    throw Error(fmt::format("sbatch refused the job ({}): {}", sub.script.string(), last_line(r.err)));
  std::string jobs = fs::exists(dir / "jobs.txt") ? base::read_file(dir / "jobs.txt") : "";
  base::write_file(dir / "jobs.txt", jobs + sub.job_id + "\n");
  context.say(fmt::format("sweep {}: Slurm job {}{}\n", s.name, sub.job_id, wait ? " has ended" : " submitted"));
  return sub;
}

Status status(const SweepFile& s) {
  Status st;
  for (const Point& p : plan(s)) {
    switch (point_state(s, p)) {
      case PointState::done: ++st.done; break;
      case PointState::failed: ++st.failed; break;
      case PointState::missing: ++st.missing; break;
    }
  }
  const fs::path jobs = s.results / "slurm" / "jobs.txt";
  if (fs::exists(jobs)) st.job_id = last_line(base::read_file(jobs));
  if (!st.job_id.empty()) {
    const base::ProcessResult r = base::run_captured({"squeue", "-h", "-r", "-j", st.job_id, "-o", "%T"});
    if (r.status == 0) {
      std::istringstream lines(r.out);
      for (std::string state; std::getline(lines, state);) {
        st.pending += state == "PENDING";
        st.running += state == "RUNNING" || state == "COMPLETING";
      }
    }
  }
  return st;
}

Collected collect(const SweepFile& s) {
  Collected c;
  reports::Table& t = c.table;
  t.title = fmt::format("Sweep {}: neuroppa {} over {}", s.name, s.command, [&] {
    std::string axes;
    for (const Axis& a : s.axes) axes += (axes.empty() ? "" : " × ") + a.name;
    return axes;
  }());
  t.columns.push_back({"point", ""});
  for (const Axis& a : s.axes) t.columns.push_back({a.name, ""});
  std::map<std::string, std::size_t> column_of;  // the command's columns, by name
  for (const Point& p : plan(s)) {
    const PointState state = point_state(s, p);
    if (state == PointState::failed) c.failed.emplace_back(p, point_error(s, p));
    if (state == PointState::missing) c.missing.push_back(p);
    if (state != PointState::done) continue;
    json result;
    const fs::path file = point_dir(s, p) / "table.json";
    try {
      result = json::parse(base::read_file(file));
      if (result.is_array()) result = result.at(0);  // run: the summary table
      const auto column = [&](const std::string& name, const std::string& unit) {
        const auto [it, added] = column_of.emplace(name, t.columns.size());
        if (added) t.columns.push_back({name, unit, 4});
        return it->second;
      };
      const auto new_row = [&] {
        std::vector<reports::Cell> cells(t.columns.size(), reports::Cell{std::string("-")});
        cells[0] = p.key;
        for (std::size_t a = 0; a < s.axes.size(); ++a) cells[1 + a] = p.values[a].second;
        return cells;
      };
      std::vector<std::string> names;
      for (const json& col : result.at("columns")) names.push_back(col.at("name").get<std::string>());
      if (names == std::vector<std::string>{"quantity", "value", "unit"}) {
        // A summary of quantities (run's): one row per point, a column per quantity.
        std::vector<std::pair<std::size_t, reports::Cell>> values;
        for (const json& row : result.at("rows")) {
          std::string name = row.at("quantity").get<std::string>();
          name.erase(0, name.find_first_not_of(' '));
          name = current_quantity_name(name);
          if (name == "simulation speed") continue;  // this machine's speed, not the design's
          const bool axis = std::any_of(s.axes.begin(), s.axes.end(), [&](const Axis& x) { return x.name == name; });
          if (axis) continue;  // e.g. run's timesteps, swept: the axis column holds it
          values.emplace_back(column(name, row.value("unit", "")), cell_of(row.at("value")));
        }
        std::vector<reports::Cell> cells = new_row();
        for (auto& [c, v] : values) cells[c] = std::move(v);
        t.rows.push_back(std::move(cells));
      } else {
        for (const json& col : result.at("columns")) column(col.at("name").get<std::string>(), col.value("unit", ""));
        for (const json& row : result.at("rows")) {
          std::vector<reports::Cell> cells = new_row();
          for (const auto& [name, value] : row.items()) cells[column_of.at(name)] = cell_of(value);
          t.rows.push_back(std::move(cells));
        }
      }
    } catch (const json::exception& e) {
      throw Error(fmt::format("{}: not a neuroppa table ({}); delete the point's folder to run it again", file.string(), e.what()));
    }
    std::string line;
    for (std::size_t i = 1; i < p.args.size(); ++i) line += " " + p.args[i];
    if (!p.then_args.empty()) {
      line += "; then neuroppa";
      for (std::size_t i = 0; i < p.then_args.size(); ++i) line += " " + p.then_args[i];
    }
    t.notes.push_back(fmt::format("{}: neuroppa {}{}", p.key, p.args[0], line));
  }
  for (auto& row : t.rows) row.resize(t.columns.size(), reports::Cell{std::string("-")});
  for (const auto& [p, why] : c.failed) t.notes.push_back(fmt::format("{}: FAILED ({}): {}", p.key, describe(p), why));
  if (!c.missing.empty()) t.notes.push_back(fmt::format("{} points not run yet", c.missing.size()));
  t.provenance = {fmt::format("neuroppa {}: sweep {} ({})", NEUROPPA_VERSION, s.name, s.path.string()),
                  fmt::format("sweep file sha256 {}", base::sha256_hex(base::read_file(s.path))),
                  fmt::format("{} of {} points done, {} failed, {} missing", plan(s).size() - c.failed.size() - c.missing.size(),
                              plan(s).size(), c.failed.size(), c.missing.size())};
  return c;
}

namespace {

// A collected row's label: the sweep's template with each {axis} replaced, or "axis=value ...".
std::string point_label(const SweepFile& s, const std::string& label, const std::vector<reports::Cell>& row) {
  std::string out = label;
  for (std::size_t a = 0; a < s.axes.size(); ++a) {
    const std::string value = std::get<std::string>(row[1 + a]);
    if (label.empty()) {
      out += (out.empty() ? "" : " ") + (s.axes.size() == 1 ? value : s.axes[a].name + "=" + value);
      continue;
    }
    for (std::size_t at; (at = out.find("{" + s.axes[a].name + "}")) != std::string::npos;)
      out.replace(at, s.axes[a].name.size() + 2, value);
  }
  return out;
}

}  // namespace

reports::ScatterPlot plot_collected(const SweepFile& s, const std::vector<PlotSource>& sources) {
  if (!s.plot) throw Error(fmt::format("{}: no [plot]", s.path.string()));
  const PlotSettings& settings = *s.plot;
  reports::ScatterPlot plot;
  plot.title = fmt::format("Sweep {}: {} against {}", s.name, settings.y, settings.x);
  plot.log_x = settings.log_x;
  plot.pareto_min_x_max_y = true;
  for (const PlotSource& source : sources) {
    const reports::Table& t = source.collected->table;
    const auto column = [&](const std::string& name) {
      for (std::size_t c = 0; c < t.columns.size(); ++c)
        if (t.columns[c].name == name) return c;
      std::string names;
      for (const auto& c : t.columns) names += (names.empty() ? "" : ", ") + c.name;
      throw Error(fmt::format("{}:{}: plot column '{}' is not in the collected table of {} (columns: {})",
                              s.path.string(), settings.line, name, source.sweep->name, names));
    };
    const std::size_t x = column(current_quantity_name(settings.x)), y = column(current_quantity_name(settings.y));
    if (plot.x_label.empty()) {
      const auto label = [&](const std::string& given, const std::string& name, const std::string& unit) {
        if (!given.empty()) return given;
        return unit.empty() ? name : fmt::format("{} ({})", name, unit);
      };
      plot.x_label = label(settings.x_label, settings.x, t.columns[x].unit);
      plot.y_label = label(settings.y_label, settings.y, t.columns[y].unit);
      if (!settings.title.empty()) plot.title = settings.title;
    }
    for (const auto& row : t.rows) {
      const double* xv = std::get_if<double>(&row[x]);
      const double* yv = std::get_if<double>(&row[y]);
      if (!xv || !yv || !std::isfinite(*xv) || !std::isfinite(*yv)) continue;  // a point without the quantity
      plot.points.push_back({point_label(*source.sweep, source.sweep == &s ? settings.label : "", row), *xv, *yv,
                             source.sweep->name});
    }
    plot.provenance.insert(plot.provenance.end(), t.provenance.begin(), t.provenance.end());
  }
  return plot;
}

}  // namespace neuroppa::app::sweep
