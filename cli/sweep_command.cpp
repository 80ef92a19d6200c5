// neuroppa sweep: plan, run (local or Slurm), point, status and collect of
// app::sweep. The command line parser is what knows each command's options
// and their ranges, so the sweep file is checked against it here.
#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <thread>

#include "commands.hpp"
#include "neuroppa/app/sweep.hpp"
#include "neuroppa/base/error.hpp"
#include "neuroppa/base/file.hpp"
#include "options.hpp"

namespace neuroppa::cli {
namespace {

namespace sweep = app::sweep;

// A throwaway parser with the commands a sweep can run. The runners own the
// option values the parser writes into, so they live as long as it does
// (dropping them left the parser writing into freed memory: ASan).
struct CommandParser {
  GlobalOptions global;
  CLI::App app;
  Runner kernels = add_kernels_command(app, global);
  Runner run = add_run_command(app, global);
  Runner train = add_train_command(app, global);
};

sweep::CommandChecker command_checker() {
  sweep::CommandChecker c;
  c.has_option = [](const std::string& command, const std::string& option) {
    CommandParser p;
    for (const CLI::App* sub : p.app.get_subcommands({}))
      if (sub->get_name() == command) return sub->get_option_no_throw("--" + option) != nullptr;
    return false;
  };
  c.check = [](const std::vector<std::string>& args) -> std::optional<std::string> {
    CommandParser p;
    std::vector<std::string> reversed(args.rbegin(), args.rend());  // CLI11 takes them last first
    try {
      p.app.parse(reversed);
    } catch (const CLI::ParseError& e) {
      return std::string(e.what());
    } catch (const Error& e) {
      return std::string(e.what());
    }
    return std::nullopt;
  };
  return c;
}

sweep::Launcher launcher(const GlobalOptions& global) {
  std::error_code ec;
  const std::filesystem::path self = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (ec) throw Error(fmt::format("cannot find the neuroppa binary (/proc/self/exe): {}", ec.message()));
  return {self, std::filesystem::absolute(app::resolve_cache_dir(global.cache_dir))};
}

struct SweepOptions {
  std::string file;
  std::string executor = "local";
  unsigned jobs = std::max(1u, std::thread::hardware_concurrency());
  bool wait = false;
  std::size_t point = 0;
  std::string format = "md";
  std::string out;
};

int run_plan(const SweepOptions& o) {
  const sweep::SweepFile s = sweep::read_sweep_file(o.file, command_checker());
  reports::Table t;
  t.title = fmt::format("Sweep {}: the points of neuroppa {} (results in {})", s.name, s.command, s.results.string());
  t.columns = {{"index", "", 3, true}, {"key", ""}, {"state", ""}};
  for (const auto& a : s.axes) t.columns.push_back({a.name, ""});
  t.columns.push_back({"command line", ""});
  for (const sweep::Point& p : sweep::plan(s)) {
    std::vector<reports::Cell> row{double(p.index), p.key, std::string(sweep::to_string(sweep::point_state(s, p)))};
    for (const auto& [axis, value] : p.values) row.push_back(value);
    std::string line = "neuroppa";
    for (const auto& a : p.args) line += " " + a;
    if (!p.then_args.empty()) line += "; then neuroppa";
    for (const auto& a : p.then_args) line += " " + a;
    row.push_back(line);
    t.rows.push_back(std::move(row));
  }
  fmt::print("{}", reports::write(t, reports::parse_format(o.format)));
  return 0;
}

int run_sweep(const SweepOptions& o, const GlobalOptions& global) {
  const sweep::SweepFile s = sweep::read_sweep_file(o.file, command_checker());
  const app::Context context = global.context();
  if (o.executor == "slurm") {
    const sweep::SlurmSubmission sub = sweep::submit_slurm(s, launcher(global), o.wait, context);
    if (sub.job_id.empty() || !o.wait) return 0;
  } else {
    sweep::run_local(s, launcher(global), o.jobs, context);
  }
  const sweep::Status st = sweep::status(s);
  fmt::print("sweep {}: {} points done, {} failed, {} not run{}\n", s.name, st.done, st.failed, st.missing,
             st.failed ? " (neuroppa sweep collect lists the failures)" : "");
  return st.failed || st.missing ? 1 : 0;
}

int run_one_point(const SweepOptions& o, const GlobalOptions& global) {
  const sweep::SweepFile s = sweep::read_sweep_file(o.file, command_checker());
  const std::vector<sweep::Point> points = sweep::plan(s);
  if (o.point >= points.size())
    throw Error(fmt::format("point {}: {} has points 0..{}", o.point, s.path.string(), points.size() - 1));
  const sweep::Point& p = points[o.point];
  if (sweep::point_state(s, p) == sweep::PointState::done) {
    global.context().say(fmt::format("point {} ({}) is done already\n", p.index, p.key));
    return 0;
  }
  const sweep::PointState state = sweep::run_point(s, p, launcher(global));
  fmt::print("point {} ({}): {}{}\n", p.index, p.key, sweep::to_string(state),
             state == sweep::PointState::failed ? ": " + sweep::point_error(s, p) : "");
  return state == sweep::PointState::done ? 0 : 1;
}

int run_status(const SweepOptions& o) {
  const sweep::SweepFile s = sweep::read_sweep_file(o.file, command_checker());
  const sweep::Status st = sweep::status(s);
  fmt::print("sweep {}: {} points: {} done, {} failed, {} not done", s.name, st.done + st.failed + st.missing, st.done,
             st.failed, st.missing);
  if (!st.job_id.empty()) fmt::print("; Slurm job {}: {} pending, {} running", st.job_id, st.pending, st.running);
  fmt::print("\n");
  return 0;
}

int run_collect(const SweepOptions& o) {
  const sweep::SweepFile s = sweep::read_sweep_file(o.file, command_checker());
  const sweep::Collected c = sweep::collect(s);
  const std::filesystem::path dir = o.out.empty() ? s.results : std::filesystem::path(o.out);
  base::prepare_output_folder(dir, "--out");
  for (const auto& [ext, format] : {std::pair{"md", reports::Format::markdown}, std::pair{"csv", reports::Format::csv},
                                    std::pair{"json", reports::Format::json}, std::pair{"tex", reports::Format::latex}})
    base::write_file(dir / fmt::format("collected.{}", ext), reports::write(c.table, format));
  fmt::print("{}", reports::write(c.table, reports::parse_format(o.format)));
  for (const auto& [p, why] : c.failed)
    fmt::print(stderr, "neuroppa: point {} ({}) failed: {}\n", p.index, p.key, why);
  if (!c.missing.empty()) fmt::print(stderr, "neuroppa: {} points not run yet (neuroppa sweep run)\n", c.missing.size());
  fmt::print(stderr, "wrote {}/collected.md, .csv, .json, .tex\n", dir.string());
  if (s.plot) {  // with the done points of the sweeps it names beside this one's
    std::vector<sweep::SweepFile> others;
    std::vector<sweep::Collected> collected;
    for (const auto& file : s.plot->with) others.push_back(sweep::read_sweep_file(file, command_checker()));
    for (const auto& other : others) collected.push_back(sweep::collect(other));
    std::vector<sweep::PlotSource> sources{{&s, &c}};
    for (std::size_t i = 0; i < others.size(); ++i) sources.push_back({&others[i], &collected[i]});
    base::write_file(dir / "collected.svg", reports::write_svg(sweep::plot_collected(s, sources)));
    fmt::print(stderr, "wrote {}/collected.svg\n", dir.string());
  }
  return c.failed.empty() && c.missing.empty() ? 0 : 1;
}

}  // namespace

Runner add_sweep_command(CLI::App& app, const GlobalOptions& global) {
  auto o = std::make_shared<SweepOptions>();
  CLI::App* cmd = app.add_subcommand(
      "sweep", "Design-space sweeps from a TOML file (docs/sweep.md): every combination of its axes is a point, one "
               "run of kernels or run each, stored under its content key; run locally or as a Slurm job array");
  cmd->require_subcommand(1);
  const auto file = [&](CLI::App* sub) { sub->add_option("FILE", o->file, "Sweep file (TOML)")->required(); };

  CLI::App* plan = cmd->add_subcommand("plan", "List the points: index, content key, state, axis values, command line");
  file(plan);
  plan->add_option("--format", o->format, "md, csv, json or tex")->check(one_of("--format", {"md", "csv", "json", "tex"}))
      ->capture_default_str();

  CLI::App* run = cmd->add_subcommand("run", "Run the points not done yet (failed ones again); exit 1 if any failed");
  file(run);
  run->add_option("--executor", o->executor, "local (worker processes here) or slurm (a job array, sbatch)")
      ->check(one_of("--executor", {"local", "slurm"}))
      ->capture_default_str();
  run->add_option("--jobs", o->jobs, "local: points at once (default: the machine's cores)")
      ->check(in_range("--jobs", 1, 256));
  run->add_flag("--wait", o->wait, "slurm: return when the job has ended (sbatch --wait), then report");

  CLI::App* point = cmd->add_subcommand("point", "Run point N (what each Slurm array task does); exit 1 if it failed");
  file(point);
  point->add_option("N", o->point, "Point index (sweep plan)")->required()->check(whole_number("N"));

  CLI::App* status = cmd->add_subcommand("status", "Points done, failed and not done; the Slurm job's pending and running tasks");
  file(status);

  CLI::App* collect = cmd->add_subcommand(
      "collect", "Merge the done points' tables into one (collected.md/.csv/.json/.tex in the results folder); exit 1 "
                 "if points failed or are missing");
  file(collect);
  collect->add_option("--out", o->out, "Folder for the collected tables (default: the sweep's results folder)");
  collect->add_option("--format", o->format, "What to print: md, csv, json or tex")
      ->check(one_of("--format", {"md", "csv", "json", "tex"}))
      ->capture_default_str();

  return [o, &global, plan, run, point, status, collect] {
    if (plan->parsed()) return run_plan(*o);
    if (run->parsed()) return run_sweep(*o, global);
    if (point->parsed()) return run_one_point(*o, global);
    if (status->parsed()) return run_status(*o);
    if (collect->parsed()) return run_collect(*o);
    return 2;
  };
}

}  // namespace neuroppa::cli
