// neuroppa: argument parsing and dispatch; the work lives in app/.
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <cstdlib>
#include <fmt/format.h>
#include <memory>

#include "commands.hpp"
#include "neuroppa/base/error.hpp"
#include "neuroppa/base/file.hpp"
#include "neuroppa/kernels/golden.hpp"
#include "options.hpp"

namespace neuroppa::cli {

app::Context GlobalOptions::context(const std::string& tool_indent) const {
  app::Context c;
  c.cache_dir = app::resolve_cache_dir(cache_dir);
  kernels::set_default_cache_root(c.cache_dir);  // the built-in kinds' golden models are cached there too
  c.command_line = command_line;
  c.warning = [](std::string_view text) { fmt::print(stderr, "neuroppa: warning: {}\n", text); };
  if (quiet) return c;
  c.status = [](std::string_view text) { fmt::print(stderr, "{}", text); };
  // Tool progress may come in pieces ("building ... " then "done\n"):
  // indent only at the start of a line.
  auto line_start = std::make_shared<bool>(true);
  c.tools = [tool_indent, line_start](std::string_view text) {
    fmt::print(stderr, "{}{}", *line_start ? tool_indent : "", text);
    *line_start = !text.empty() && text.back() == '\n';
  };
  return c;
}

void emit(const std::string& text, const std::string& file) {
  if (file.empty()) {
    fmt::print("{}", text);
  } else {
    base::write_file(file, text);
  }
}

}  // namespace neuroppa::cli

int main(int argc, char** argv) {
  ::setenv("SYSTEMC_DISABLE_COPYRIGHT_MESSAGE", "1", 0);
  using namespace neuroppa::cli;
  CLI::App app{neuroppa::app::version_string() +
               " - cycle-accurate simulation and power/area estimation of neuron compute kernels"};
  app.set_version_flag("--version", neuroppa::app::version_string());
  app.require_subcommand(1);
  GlobalOptions global;
  app.add_option("--cache-dir", global.cache_dir,
                 "Folder for built models (default: $NEUROPPA_CACHE_DIR, else $XDG_CACHE_HOME/neuroppa, "
                 "else ~/.cache/neuroppa)");
  app.add_flag("-q,--quiet", global.quiet, "No progress lines on stderr");

  global.command_line = command_line(argc, argv);
  const Runner verify = add_verify_command(app, global);
  const Runner kernels = add_kernels_command(app, global);
  const Runner power = add_power_command(app, global);
  const Runner train = add_train_command(app, global);
  const Runner import = add_import_command(app, global);
  const Runner run = add_run_command(app, global);
  const Runner paper = add_paper_command(app, global);
  const Runner sweep = add_sweep_command(app, global);
  const Runner kinds = add_kinds_command(app, global);

  try {
    try {
      app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
      if (e.get_exit_code() == 0) return app.exit(e);  // --help, --version
      // A command line CLI11 cannot parse (an unknown option, a value that is
      // not a number, an option given twice) is a usage error like any other:
      // one line, exit 2.
      std::string what = e.what();
      std::replace(what.begin(), what.end(), '\n', ' ');
      fmt::print(stderr, "neuroppa: error: {} (neuroppa {}--help lists the options)\n", what,
                 app.get_subcommands().empty() ? "" : app.get_subcommands().front()->get_name() + " ");
      return 2;
    }
    for (CLI::App* sub : app.get_subcommands()) {
      if (sub->get_name() == "verify") return verify();
      if (sub->get_name() == "kernels") return kernels();
      if (sub->get_name() == "power") return power();
      if (sub->get_name() == "train") return train();
      if (sub->get_name() == "import") return import();
      if (sub->get_name() == "run") return run();
      if (sub->get_name() == "paper") return paper();
      if (sub->get_name() == "sweep") return sweep();
      if (sub->get_name() == "kinds") return kinds();
    }
    return 2;
  } catch (const std::exception& e) {
    std::fflush(stdout);
    // A user error: ours, or a path the user gave as the system saw it.
    if (dynamic_cast<const neuroppa::Error*>(&e) || dynamic_cast<const std::filesystem::filesystem_error*>(&e)) {
      fmt::print(stderr, "neuroppa: error: {}\n", e.what());
      return 2;
    }
    // Never a crash: anything else is neuroppa's fault. One line, and what
    // a report needs.
    fmt::print(stderr, "neuroppa: internal error: {} (please report it with this command line: {})\n", e.what(),
               global.command_line);
    return 3;
  }
}
