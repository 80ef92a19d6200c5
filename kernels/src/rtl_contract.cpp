#include "rtl_contract.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>

#include "neuroppa/base/content_store.hpp"
#include "neuroppa/base/error.hpp"
#include "neuroppa/base/file.hpp"
#include "neuroppa/base/process.hpp"
#include "neuroppa/base/sha256.hpp"

namespace neuroppa::kernels {

namespace fs = std::filesystem;

namespace {

constexpr std::string_view kContractFormat = "neuroppa synapse contract 1";
constexpr std::string_view kKernelContractFormat = "neuroppa kernel contract 1";
// TW for the check: not a width a module would hard-code, so that a term_o
// not declared [TW-1:0] shows.
constexpr unsigned kCheckTW = 21;


// The first line of yosys's log that says ERROR, without the log's noise.
std::string first_error(const fs::path& log) {
  std::istringstream in(base::read_file(log));
  for (std::string line; std::getline(in, line);)
    if (line.find("ERROR") != std::string::npos) return line;
  return "yosys failed without an ERROR line";
}

struct Port {
  std::string direction;
  std::size_t bits = 0;
};

// The top module of yosys's JSON netlist.
const nlohmann::json& top_module(const nlohmann::json& netlist, const std::string& where, const std::string& top) {
  for (const auto& [name, m] : netlist.at("modules").items())
    if (m.contains("attributes") && m["attributes"].contains("top")) return m;
  throw Error(fmt::format("{}: yosys elaborated no top module {}", where, top));
}

std::map<std::string, Port> ports_of(const nlohmann::json& module) {
  std::map<std::string, Port> ports;
  for (const auto& [name, port] : module.at("ports").items())
    ports[name] = {port.at("direction").get<std::string>(), port.at("bits").size()};
  return ports;
}

// A port the contract asks for: its direction, its bits and how to say where they come from.
struct ExpectedPort {
  std::string name, direction;
  std::size_t bits = 0;
  std::string width;  // "TW = 21", or the parameters that give the width
};

// Every expected port present in `ports` with its direction and width, and no other port; the
// first fault is one error naming the package file, the module, the port and the contract.
void check_ports(std::map<std::string, Port> ports, const std::vector<ExpectedPort>& expected,
                 const std::string& where, const std::string& top, const std::string& contract) {
  for (const ExpectedPort& want : expected) {
    const auto it = ports.find(want.name);
    if (it == ports.end()) throw Error(fmt::format("{}: module {} has no port {}; {}", where, top, want.name, contract));
    if (it->second.direction != want.direction)
      throw Error(fmt::format("{}: port {} of {} is an {}, not an {}; {}", where, want.name, top, it->second.direction,
                              want.direction, contract));
    if (it->second.bits != want.bits)
      throw Error(fmt::format("{}: port {} of {} is {} bits where {} asks {}; {}", where, want.name, top,
                              it->second.bits, want.width, want.bits, contract));
    ports.erase(it);
  }
  if (!ports.empty())
    throw Error(fmt::format("{}: module {} has a port the contract does not know ({}); {}", where, top,
                            ports.begin()->first, contract));
}

void check_synapse_contract(const PackageKind& u, const fs::path& cache_root) {
  const Package& p = u.package;
  const fs::path folder(p.origin);
  const std::string where = fmt::format("kernel package {} ({})", p.name, (folder / p.rtl_files.front()).string());
  const PackageParameter* xw = p.parameter("XW");
  const PackageParameter* ww = p.parameter("WW");
  const models::KernelParams params{u.kind, 1, xw ? xw->default_value : 8, ww ? ww->default_value : 0};
  const unsigned CW = params.code_bits(), activation = params.activation_bits();

  std::string script = "read_verilog -sv";
  for (const std::string& file : p.rtl_files) script += " " + fs::absolute(folder / file).string();
  script += fmt::format("\nchparam -set TW {}", kCheckTW);
  for (const std::string& name : p.rtl_parameters)  // XW and WW, as the manifest lists them
    script += fmt::format(" -set {} {}", name, p.parameter(name)->default_value);
  script += fmt::format(" {}\nhierarchy -check -top {}\nproc\nwrite_json ports.json\n", p.top, p.top);

  base::Sha256 h;
  h.update(kContractFormat).update(base::tool_version("yosys", "yosys", "-V")).update(p.hash).update(script);
  base::ContentStore(cache_root).get_or_build("contract", h.hex(), [&](const base::ContentStore::BuildContext& ctx) {
    base::write_file(ctx.dir / "contract.ys", script);
    if (base::run_logged({"yosys", "-q", "-s", "contract.ys"}, ctx.log, ctx.dir) != 0)
      throw Error(fmt::format("{}: the synapse module does not elaborate: {} (yosys log: {})", where,
                              first_error(ctx.log), ctx.log.string()));
    const nlohmann::json netlist = nlohmann::json::parse(base::read_file(ctx.dir / "ports.json"));
    const nlohmann::json* module = &top_module(netlist, where, p.top);
    const std::string contract = fmt::format(
        "the contract is input x_i [{}:0], input code_i [CW-1:0], output term_o [TW-1:0] (docs/kernel-packages.md, "
        "\"The synapse module\")",
        activation == 1 && !xw ? "0" : "XW-1");
    check_ports(ports_of(*module),
                {{"x_i", "input", activation, xw ? fmt::format("XW = {}", activation) : "a spike"},
                 {"code_i", "input", CW, fmt::format("the code width {}", CW)},
                 {"term_o", "output", kCheckTW, fmt::format("TW = {}", kCheckTW)}},
                where, p.top, contract);
    for (const auto& [name, cell] : module->at("cells").items()) {
      const std::string type = cell.at("type").get<std::string>();
      if (type.find("dff") != std::string::npos || type.find("dlatch") != std::string::npos ||
          type.find("$mem") != std::string::npos)
        throw Error(fmt::format("{}: module {} keeps state (a {} cell, {}): a synapse module is combinational; "
                                "neuroppa adds the registers",
                                where, p.top, type, name));
    }
  });
}

void check_kernel_contract(const PackageKind& u, const fs::path& cache_root) {
  const Package& p = u.package;
  const std::string where = fmt::format("kernel package {} ({})", p.name,
                                        (fs::path(p.origin) / p.rtl_files.front()).string());
  const PackageParameter* xw = p.parameter("XW");
  const PackageParameter* ww = p.parameter("WW");
  models::KernelParams params{u.kind, 3, xw ? xw->default_value : 8, ww ? ww->default_value : 0};
  params.arch = p.default_arch;
  params.AW = std::max(2u, params.required_accumulator_bits());
  const std::vector<RtlSource> sources = rtl_sources(u.kind);
  std::string script = "read_verilog -sv";
  for (const RtlSource& s : sources) script += " " + s.name;
  script += "\nchparam";
  for (const auto& [name, value] : rtl_parameters(params)) script += fmt::format(" -set {} {}", name, value);
  script += fmt::format(" {}\nhierarchy -check -top {}\nproc\nwrite_json ports.json\n", u.top, u.top);

  base::Sha256 h;
  h.update(kKernelContractFormat).update(base::tool_version("yosys", "yosys", "-V")).update(p.hash).update(script);
  for (const RtlSource& s : sources) h.update(s.name).update(s.text);
  base::ContentStore(cache_root).get_or_build("contract", h.hex(), [&](const base::ContentStore::BuildContext& ctx) {
    for (const RtlSource& s : sources) base::write_file(ctx.dir / s.name, s.text);
    base::write_file(ctx.dir / "contract.ys", script);
    if (base::run_logged({"yosys", "-q", "-s", "contract.ys"}, ctx.log, ctx.dir) != 0)
      throw Error(fmt::format("{}: the kernel {} does not elaborate with neuroppa's shared blocks ({}): {} (yosys "
                              "log: {})",
                              where, u.top, params.describe(), first_error(ctx.log), ctx.log.string()));
    const nlohmann::json netlist = nlohmann::json::parse(base::read_file(ctx.dir / "ports.json"));
    const std::string contract = fmt::format(
        "a whole kernel with the {} back end has the ports of docs/kernel-packages.md, \"The whole-kernel contract\"",
        to_string(p.backend));
    std::vector<ExpectedPort> expected;
    for (const KernelPort& port : kernels::ports(params))
      expected.push_back({port.name, port.output ? "output" : "input", port.width, params.describe()});
    check_ports(ports_of(top_module(netlist, where, u.top)), expected, where, u.top, contract);
  });
}

}  // namespace

void check_rtl_contract(const PackageKind& u, const fs::path& cache_root) {
  if (u.package.shape == RtlShape::synapse) check_synapse_contract(u, cache_root);
  else check_kernel_contract(u, cache_root);
}

}  // namespace neuroppa::kernels
