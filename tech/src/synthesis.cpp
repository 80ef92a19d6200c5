#include "neuroppa/tech/synthesis.hpp"

#include <chrono>
#include <fmt/format.h>
#include <fstream>
#include <mutex>
#include <sstream>

#include "neuroppa/base/error.hpp"
#include "neuroppa/base/file.hpp"
#include "neuroppa/base/content_store.hpp"
#include "neuroppa/tech/liberty_function.hpp"
#include "neuroppa/tech/liberty_syntax.hpp"
#include "neuroppa/base/process.hpp"
#include "neuroppa/base/sha256.hpp"

namespace neuroppa::tech {
namespace fs = std::filesystem;

namespace {

constexpr std::string_view kSynthesisFormat = "neuroppa-synthesis-1";

const std::string& yosys_version() { return base::tool_version("yosys", "yosys", "-V"); }

// The yosys script. {lib} is the uncompressed library in the build folder.
std::string yosys_script(const SynthesisRequest& r) {
  // read_liberty -lib: cell ports with directions, so that `check` can
  // follow drivers through mapped cells.
  std::string script = "read_liberty -lib library.lib\nread_verilog -sv";
  for (const auto& s : r.sources) script += " " + s.name;
  script += "\n";
  if (!r.parameters.empty()) {
    script += "chparam";
    for (const auto& [name, value] : r.parameters) script += fmt::format(" -set {} {}", name, value);
    script += " " + r.top + "\n";
  }
  script += fmt::format(
      "synth {}-top {}\n"
      "dfflibmap -liberty library.lib\n"
      "abc -liberty library.lib\n"
      "opt_clean -purge\n"
      "{}"
      "check -assert\n"
      "stat -liberty library.lib\n"
      "write_json netlist.json\n"
      "write_verilog -noattr netlist.v\n",
      r.keep_hierarchy ? "" : "-flatten ", r.top, r.keep_hierarchy ? "flatten\nopt_clean -purge\n" : "");
  return script;
}

// A usable single-output combinational cell whose output is 1 with every
// input 0 and 0 with every input 1 (an inverter, NAND or NOR).
bool is_inverting(const LibertyCell& cell) {
  if (cell.is_sequential() || cell.dont_use) return false;
  const LibertyPin* out = nullptr;
  for (const LibertyPin& pin : cell.pins)
    if (pin.direction == PinDirection::output && !pin.function.empty()) {
      if (out) return false;
      out = &pin;
    }
  if (!out || !out->three_state.empty()) return false;
  const BoolExpr f = parse_liberty_function(out->function, fmt::format("cell {} pin {}", cell.name, out->name));
  if (f.variables().empty()) return false;
  return f.evaluate([](std::string_view) { return false; }) && !f.evaluate([](std::string_view) { return true; });
}

}  // namespace

std::optional<std::string> mapping_gap(const Library& library, bool async_reset) {
  bool flop = false, async_flop = false, inverting = false;
  for (const LibertyCell& cell : library.cells) {
    if (cell.dont_use) continue;
    if (cell.sequential && !cell.sequential->latch && !cell.sequential->clocked_on.empty()) {
      flop = true;
      async_flop |= !cell.sequential->clear.empty() || !cell.sequential->preset.empty();
    }
    inverting |= is_inverting(cell);
  }
  const std::string name = library.path.filename().string();
  if (!flop) return fmt::format("library {} has no flip-flop (an ff group): registers cannot be mapped onto it", name);
  if (async_reset && !async_flop)
    return fmt::format("library {} has no flip-flop with an asynchronous clear or preset: give --reset sync (the "
                       "reset then becomes logic in front of plain flops)",
                       name);
  if (!inverting)
    return fmt::format("library {} has no inverting combinational cell (inverter, NAND or NOR): abc cannot map "
                       "logic onto it, and no option avoids that; use a complete library",
                       name);
  return std::nullopt;
}

void parse_yosys_stat(const std::string& log_text, double& area, std::map<std::string, long>& cells) {
  const std::size_t start = log_text.rfind("Number of cells:");
  if (start == std::string::npos) throw Error("yosys log has no stat report");
  cells.clear();
  std::istringstream in(log_text.substr(start));
  std::string line;
  std::getline(in, line);  // "Number of cells: N"
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    std::string name;
    long count = 0;
    if (!(fields >> name >> count)) break;  // the blank line after the cell list
    cells[name] = count;
  }
  const std::size_t chip = log_text.find("Chip area for module", start);
  if (chip == std::string::npos) throw Error("yosys stat report has no chip area (was -liberty given?)");
  const std::size_t colon = log_text.find(':', chip);
  area = std::stod(log_text.substr(colon + 1, 40));
}

SynthesisResult synthesize(const SynthesisRequest& r, const fs::path& cache_root, const ProgressFn& progress) {
  const std::string library_text = base::read_file(r.liberty);
  const std::string script = yosys_script(r);
  base::Sha256 h;
  h.update(kSynthesisFormat).update(yosys_version()).update(script).update(library_text).update(r.top);
  for (const auto& s : r.sources) h.update(s.name).update(s.text);
  const std::string key = h.hex();

  const auto start = std::chrono::steady_clock::now();
  const auto entry = base::ContentStore(cache_root).get_or_build("synth", key, [&](const base::ContentStore::BuildContext& ctx) {
    if (progress) progress(fmt::format("synthesising {} with yosys ... ", r.label));
    for (const auto& s : r.sources) base::write_file(ctx.dir / s.name, s.text);
    base::write_file(ctx.dir / "library.lib", library_text);
    base::write_file(ctx.dir / "synth.ys", script);
    const int rc = base::run_logged({"yosys", "-s", "synth.ys"}, ctx.log, ctx.dir);
    if (rc != 0) {
      if (progress) progress("failed\n");
      throw Error(fmt::format("yosys failed on {} (exit status {}); log: {}\n{}", r.label, rc,
                              ctx.log.string(), base::tail_of_file(ctx.log, 6)));
    }
    fs::copy_file(ctx.log, ctx.dir / "yosys.log");
    fs::remove(ctx.dir / "library.lib");  // large, and the key already covers its text
    if (progress)
      progress(fmt::format("done in {:.1f} s\n",
                           std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count()));
  });
  SynthesisResult result;
  result.netlist_json = entry.dir / "netlist.json";
  result.netlist_verilog = entry.dir / "netlist.v";
  result.log = entry.dir / "yosys.log";
  result.key = key;
  result.cached = entry.cached;
  parse_yosys_stat(base::read_file(result.log), result.yosys_area, result.yosys_cells);
  return result;
}

fs::path netlist_json_from_verilog(const fs::path& verilog, const std::string& top, const fs::path& liberty,
                                   const fs::path& cache_root, const ProgressFn& progress) {
  base::check_input_file(verilog, "netlist");
  const std::string library_text = base::read_file(liberty);
  const std::string netlist_text = base::read_file(verilog);
  // No `hierarchy -check`: physical-only cells (taps, fillers) that the
  // Liberty lacks stay as unknown cells; read_yosys_json skips those that
  // connect nothing and rejects the rest.
  const std::string script = fmt::format(
      "read_liberty -lib library.lib\nread_verilog netlist.v\nhierarchy -top {}\nwrite_json netlist.json\n", top);
  base::Sha256 h;
  h.update("neuroppa-netlist-json-1").update(yosys_version()).update(script).update(library_text).update(netlist_text);
  const auto entry = base::ContentStore(cache_root).get_or_build("netlists", h.hex(), [&](const base::ContentStore::BuildContext& ctx) {
    if (progress) progress(fmt::format("reading {} with yosys ... ", verilog.filename().string()));
    base::write_file(ctx.dir / "netlist.v", netlist_text);
    base::write_file(ctx.dir / "library.lib", library_text);
    base::write_file(ctx.dir / "read.ys", script);
    const int rc = base::run_logged({"yosys", "-q", "-s", "read.ys"}, ctx.log, ctx.dir);
    fs::remove(ctx.dir / "library.lib");
    fs::remove(ctx.dir / "netlist.v");
    if (rc != 0) {
      if (progress) progress("failed\n");
      throw Error(fmt::format("yosys cannot read netlist {} (top {}); log: {}\n{}", verilog.string(), top,
                              ctx.log.string(), base::tail_of_file(ctx.log, 4)));
    }
    if (progress) progress("done\n");
  });
  return entry.dir / "netlist.json";
}

}  // namespace neuroppa::tech
