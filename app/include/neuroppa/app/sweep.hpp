// Design-space sweeps (docs/sweep.md): a TOML file names one neuroppa
// command, axes whose every combination is a point, and options all points
// share. Each point is one run of the command in a child process; its result
// (the command's JSON table) is stored under the point's content key, so a
// rerun runs only what is not done yet and an interrupted sweep resumes.
// Executors: local (worker processes on this machine) and Slurm (a job
// array, one task per point, each running `neuroppa sweep point FILE N`).
#pragma once

#include <cstddef>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "neuroppa/app/context.hpp"
#include "neuroppa/reports/plot.hpp"
#include "neuroppa/reports/table.hpp"

namespace neuroppa::app::sweep {

struct Axis {
  std::string name;                 // an option of the command, without "--"
  std::vector<std::string> values;  // as they go on the command line
  int line = 0;                     // in the sweep file
};

struct SlurmSettings {
  std::string time = "01:00:00";  // per point (--time)
  std::string mem = "4G";         // per point (--mem)
  std::string partition;          // empty: the cluster's default
  unsigned throttle = 0;          // at most this many points at once (--array=...%N); 0: no limit
};

// [plot]: a scatter plot of two of the collected table's columns, written by
// `sweep collect` beside the tables; the done points of the sweep files in
// `with` join it as series of their own (reference designs, say).
struct PlotSettings {
  std::string x, y;      // collected column names (a run summary's quantities)
  bool log_x = false;
  std::string label;     // a point's label: axis names in braces, e.g. "B={XW} T={timesteps}"; empty: name=value
  std::string title, x_label, y_label;  // empty: from the sweep's name and the columns
  std::vector<std::filesystem::path> with;  // other sweep files (absolute)
  int line = 0;
};

struct SweepFile {
  std::filesystem::path path;     // absolute
  std::string name;               // for titles and job names
  std::string command;            // "kernels", "run" or "train"
  std::filesystem::path results;  // folder of point results (absolute; shared by all nodes for Slurm)
  std::vector<Axis> axes;
  std::vector<std::pair<std::string, std::string>> fixed;  // option, value ("" for a flag)
  // [then] (train sweeps): a run of each point's model once it is trained;
  // the point's table is then run's, and train's is kept as train.json.
  std::string then_command;
  std::vector<std::pair<std::string, std::string>> then_fixed;
  std::optional<PlotSettings> plot;
  SlurmSettings slurm;
};

struct Point {
  std::size_t index = 0;                                     // 0-based, in plan order
  std::vector<std::pair<std::string, std::string>> values;  // axis, value
  std::vector<std::string> args;                             // the command line after "neuroppa"
  std::vector<std::string> then_args;                        // [then]'s command line, if any
  std::string key;                                           // content key: what determines the result
};

// The commands a sweep can run, and the options a sweep may not set (it sets
// them itself).
// In an option value, "{point}" stands for the point's own results folder
// (train writes its model there by default).
inline constexpr std::string_view kPointFolder = "{point}";
inline const std::vector<std::string> kSweepCommands = {"kernels", "run", "train"};
inline const std::vector<std::string> kReservedOptions = {"format", "out", "help"};

// What the command line parser knows and app/ does not: whether a command
// has an option, and whether a command line is valid (nullopt) or why not.
struct CommandChecker {
  std::function<bool(const std::string& command, const std::string& option)> has_option;
  std::function<std::optional<std::string>(const std::vector<std::string>& args)> check;
};

// Reads and checks a sweep file before anything runs. Throws neuroppa::Error
// "FILE:LINE: what; the fix" for malformed TOML, a missing field, an unknown
// axis or option, a value of the wrong type, a value the command refuses
// (each axis value is checked on a command line with the other axes at
// their first value) and a duplicate value (a duplicate point).
SweepFile read_sweep_file(const std::filesystem::path& path, const CommandChecker& checker);

// Every combination of the axes, the first axis varying slowest.
std::vector<Point> plan(const SweepFile& sweep);

enum class PointState { missing, done, failed };
const char* to_string(PointState state);

// Where a point's files live: results/points/<key>/ with point.json (its
// values and command line), table.json when done, error.txt when it failed,
// log.txt (its stderr).
std::filesystem::path point_dir(const SweepFile& sweep, const Point& point);
PointState point_state(const SweepFile& sweep, const Point& point);
// The one-line error a failed point recorded.
std::string point_error(const SweepFile& sweep, const Point& point);

// How a point's child process is started: this neuroppa binary and the
// model cache every point shares.
struct Launcher {
  std::filesystem::path neuroppa;   // absolute path of the binary
  std::filesystem::path cache_dir;  // absolute
};

// Runs one point: `neuroppa --quiet --cache-dir C <args> --format json`;
// on success its table goes to table.json (written whole, then renamed), on
// failure its last error line to error.txt. Returns the new state.
PointState run_point(const SweepFile& sweep, const Point& point, const Launcher& launcher);

struct Progress {
  std::size_t total = 0, skipped = 0, done = 0, failed = 0;
};

// The local executor: the points not done yet, `jobs` at a time, one child
// process each; `context.say` reports each one as it ends.
Progress run_local(const SweepFile& sweep, const Launcher& launcher, unsigned jobs, const Context& context);

// The Slurm executor: a job-array script for the points not done yet in
// results/slurm/, submitted with sbatch (which must be on PATH). Returns the
// job id ("" when nothing is left to run). With `wait`, returns when the
// job has ended (sbatch --wait).
struct SlurmSubmission {
  std::string job_id;
  std::filesystem::path script;
  std::size_t tasks = 0;
};
SlurmSubmission submit_slurm(const SweepFile& sweep, const Launcher& launcher, bool wait, const Context& context);

// Counts of done, failed and missing points, and, for the last Slurm job of
// this sweep, its pending and running tasks from squeue.
struct Status {
  std::size_t done = 0, failed = 0, missing = 0, pending = 0, running = 0;
  std::string job_id;  // the last submitted Slurm job, if any
};
Status status(const SweepFile& sweep);

// The results of every done point in one table: the point's key and axis
// values, then the command's own columns (its first table), with the
// command line of each point and the failures in the notes.
struct Collected {
  reports::Table table;
  std::vector<std::pair<Point, std::string>> failed;  // and their errors
  std::vector<Point> missing;
};
Collected collect(const SweepFile& sweep);

// The [plot] of a sweep from its collected table and those of its `with`
// sweeps (in order); throws neuroppa::Error naming a column none of them has.
struct PlotSource {
  const SweepFile* sweep;
  const Collected* collected;
};
reports::ScatterPlot plot_collected(const SweepFile& sweep, const std::vector<PlotSource>& sources);

}  // namespace neuroppa::app::sweep
