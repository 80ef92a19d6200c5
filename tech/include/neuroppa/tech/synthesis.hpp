// Synthesis with yosys onto a Liberty library (dfflibmap + abc), cached by
// content hash of the RTL, parameters, library text, script and yosys version.
#pragma once

#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "neuroppa/base/progress.hpp"
#include "neuroppa/tech/liberty.hpp"
#include "neuroppa/vmodel/model_build.hpp"

namespace neuroppa::tech {

struct SynthesisRequest {
  std::string top;
  std::vector<vmodel::SourceFile> sources;
  std::vector<std::pair<std::string, std::string>> parameters;  // chparam on the top
  std::filesystem::path liberty;  // .lib or .lib.gz
  std::string label;              // for progress lines
  // Map each module on its own (abc never crosses a module boundary), then
  // flatten: every cell keeps its instance path ("$flatten\\u_acc.…"), so
  // area and power can be told apart by block, at the price of the
  // optimisation across boundaries that the flat default has.
  bool keep_hierarchy = false;
};

struct SynthesisResult {
  std::filesystem::path netlist_json;     // yosys write_json of the mapped netlist
  std::filesystem::path netlist_verilog;  // yosys write_verilog -noattr
  std::filesystem::path log;              // the yosys log
  double yosys_area = 0;                  // yosys `stat -liberty`: chip area (µm²)
  std::map<std::string, long> yosys_cells;  // yosys `stat`: instances per cell type
  std::string key;
  bool cached = false;
};


// Synthesises (or finds in the cache under cache_root/synth) the request.
// Throws neuroppa::Error naming the design and the log when yosys fails.
SynthesisResult synthesize(const SynthesisRequest& request, const std::filesystem::path& cache_root,
                           const ProgressFn& progress = {});

// A structural Verilog netlist of `liberty`'s cells as yosys JSON (what
// read_yosys_json reads), converted by yosys and cached by content.
std::filesystem::path netlist_json_from_verilog(const std::filesystem::path& verilog, const std::string& top,
                                                const std::filesystem::path& liberty,
                                                const std::filesystem::path& cache_root,
                                                const ProgressFn& progress = {});

// What keeps yosys from mapping onto `library` (one line naming the library,
// the cell kind it lacks and, where there is one, the option that avoids
// it), or nothing: no flip-flop; no flip-flop with an asynchronous clear or
// preset when `async_reset`; no inverting combinational cell (INV, NAND,
// NOR...), without which abc cannot map logic at all.
std::optional<std::string> mapping_gap(const Library& library, bool async_reset);

// Reads the last `stat` report of a yosys log: chip area and cells per type.
void parse_yosys_stat(const std::string& log_text, double& area, std::map<std::string, long>& cells);

}  // namespace neuroppa::tech
