#include "neuroppa/tech/layout.hpp"

#include <charconv>
#include <chrono>
#include <cmath>
#include <fmt/format.h>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>
#include <unordered_map>

#include "neuroppa/base/content_store.hpp"
#include "neuroppa/base/error.hpp"
#include "neuroppa/base/file.hpp"
#include "neuroppa/base/process.hpp"
#include "neuroppa/base/sha256.hpp"

namespace neuroppa::tech {

namespace fs = std::filesystem;

namespace {

constexpr const char* kLayoutFormat = "neuroppa-layout-2";
const fs::path kQflowTechRoot = "/usr/share/qflow/tech";

std::string net_ref(int net) { return net == Netlist::kConst1 ? "vdd" : net == Netlist::kConst0 ? "gnd" : fmt::format("n{}", net); }

// A SPEF name: every character but letters, digits and _ escaped; with
// `bus_bit`, a trailing [i] kept as the bus delimiters (a port's bit).
std::string spef_name(const std::string& name, bool bus_bit = false) {
  std::size_t body = name.size();
  if (bus_bit && !name.empty() && name.back() == ']') body = name.rfind('[');
  std::string out;
  for (std::size_t i = 0; i < body; ++i) {
    const char c = name[i];
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_') out += '\\';
    out += c;
  }
  return out + name.substr(body);
}

// The name of each net's port bit (the port's name, with [i] for a vector's bit), if it has one.
std::vector<std::string> port_names(const Netlist& netlist) {
  std::vector<std::string> names(netlist.net_count());
  for (const auto& port : netlist.ports)
    for (std::size_t b = 0; b < port.bits.size(); ++b) {
      const int net = port.bits[b];
      if (net >= 0 && names[net].empty())
        names[net] = port.bits.size() > 1 ? fmt::format("{}[{}]", port.name, b) : port.name;
    }
  return names;
}

// qrouter's delay file, a line at a time, as SPEF.
class RcConverter {
 public:
  RcConverter(const Netlist& netlist, std::string rc_name) : netlist_(netlist), rc_name_(std::move(rc_name)) {
    for (std::size_t i = 0; i < netlist.instances.size(); ++i)
      by_cell_[netlist.instances[i].cell->name].push_back(static_cast<int>(i));
    ports_ = port_names(netlist);
    seen_.assign(netlist.net_count(), false);
    port_input_.assign(netlist.net_count(), false);
    for (const auto& port : netlist.ports)
      for (int net : port.bits)
        if (net >= 0 && !port.output) port_input_[net] = true;
  }

  std::string convert(const std::string& text) {
    std::string out = header();
    std::istringstream in(text);
    std::string line;
    while (std::getline(in, line)) {
      ++line_;
      if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
      out += net(line);
    }
    if (nets_ == 0) throw error("no net: is this a qrouter delay file (qrouter -d)?");
    return out;
  }

 private:
  Error error(const std::string& what) const { return Error(fmt::format("{}:{}: {}", rc_name_, line_, what)); }

  std::string header() const {
    return fmt::format(
        "*SPEF \"IEEE 1481-1998\"\n*DESIGN \"{}\"\n*DATE \"\"\n*VENDOR \"neuroppa\"\n"
        "*PROGRAM \"neuroppa layout: qrouter's RC tree per net\"\n*VERSION \"1\"\n*DESIGN_FLOW \"PIN_CAP NONE\"\n"
        "*DIVIDER /\n*DELIMITER :\n*BUS_DELIMITER [ ]\n*T_UNIT 1 NS\n*C_UNIT 1 PF\n*R_UNIT 1 OHM\n*L_UNIT 1 HENRY\n\n",
        netlist_.top);
  }

  double number(const std::string& w, const char* what) const {
    double v = 0;
    const auto [end, ec] = std::from_chars(w.data(), w.data() + w.size(), v);
    if (ec != std::errc() || end != w.data() + w.size() || !std::isfinite(v) || v < 0)
      throw error(fmt::format("{} '{}' is not a non-negative number", what, w));
    return v;
  }

  int net_id(const std::string& name) const {
    int id = -1;
    if (name.size() > 1 && name[0] == 'n') {
      const auto [end, ec] = std::from_chars(name.data() + 1, name.data() + name.size(), id);
      if (ec != std::errc() || end != name.data() + name.size()) id = -1;
    }
    if (id < 0 || id >= netlist_.net_count())
      throw error(fmt::format("net '{}' is not one neuroppa wrote (n0 .. n{})", name, netlist_.net_count() - 1));
    return id;
  }

  // A node of the tree that is a pin: PIN/n<id> (a port) or CELL_k/PIN.
  struct Pin {
    std::string node;  // its SPEF name
    std::string conn;  // its *CONN line
  };
  Pin pin(const std::string& name, int net) const {
    const auto slash = name.rfind('/');
    if (slash == std::string::npos) throw error(fmt::format("'{}' is not INSTANCE/PIN", name));
    const std::string owner = name.substr(0, slash), pin_name = name.substr(slash + 1);
    if (owner == "PIN") {
      if (net_id(pin_name) != net || ports_[net].empty())
        throw error(fmt::format("pin '{}' is not a port of net n{}", name, net));
      const std::string port = spef_name(ports_[net], true);
      return {port, fmt::format("*P {} {}\n", port, port_input_[net] ? "I" : "O")};
    }
    const auto under = owner.rfind('_');
    int ordinal = 0;
    const auto [end, ec] = under == std::string::npos
                               ? std::from_chars_result{nullptr, std::errc::invalid_argument}
                               : std::from_chars(owner.data() + under + 1, owner.data() + owner.size(), ordinal);
    const auto cell = by_cell_.find(under == std::string::npos ? owner : owner.substr(0, under));
    if (ec != std::errc() || end != owner.data() + owner.size() || cell == by_cell_.end() || ordinal < 1 ||
        ordinal > static_cast<int>(cell->second.size()))
      throw error(fmt::format("instance '{}' is not one of the netlist's (CELL_k, the k-th instance of CELL)", owner));
    const Netlist::Instance& inst = netlist_.instances[cell->second[ordinal - 1]];
    for (const auto& c : inst.connections)
      if (c.pin->name == pin_name) {
        if (c.net != net)
          throw error(fmt::format("{} is instance {} of the netlist, whose pin {} is on n{}, not n{}: the layout's "
                                  "instance order differs from the BLIF's",
                                  owner, inst.name, pin_name, c.net, net));
        const std::string node = spef_name(inst.name) + ":" + pin_name;
        return {node, fmt::format("*I {} {}\n", node, c.pin->direction == PinDirection::output ? "O" : "I")};
      }
    throw error(fmt::format("{} (instance {}, cell {}) has no connected pin {}", owner, inst.name, inst.cell->name, pin_name));
  }

  struct Tree {
    std::string conn, caps, resistors;
    std::map<std::string, double> cap;  // per node, pF
    int internal = 0, resistor_count = 0, stubs = 0;
    double total = 0;
  };

  // One record "( R C [PIN] [, child]... )" whose "(" was read: a segment
  // from `parent` to its end node, its C split between its two ends.
  void record(const std::vector<std::string>& t, std::size_t& i, const std::string& parent, int net,
              const std::string& net_name, Tree& tree) {
    if (i + 2 > t.size()) throw error("the tree ends inside a record");
    const double r = number(t[i++], "resistance"), c = number(t[i++], "capacitance");
    std::string end;
    const auto end_node = [&]() -> const std::string& {
      if (end.empty()) end = fmt::format("{}:{}", net_name, ++tree.internal);
      return end;
    };
    for (;;) {
      if (i >= t.size()) throw error("the tree ends before its ')'");
      const std::string& w = t[i++];
      if (w == ")") break;
      if (w == ",") continue;
      if (w == "(") {
        record(t, i, end_node(), net, net_name, tree);
        continue;
      }
      if (w == "ERROR") {  // qrouter's mark of a segment that ends at no pin and goes on nowhere: a stub of wire
        ++tree.stubs;
        continue;
      }
      if (!end.empty()) throw error(fmt::format("'{}' after the record's node or subtrees", w));
      const Pin p = pin(w, net);
      end = p.node;
      tree.conn += p.conn;
    }
    const std::string& e = end_node();
    tree.cap[parent] += c / 2;
    tree.cap[e] += c / 2;
    tree.total += c;
    tree.resistors += fmt::format("{} {} {} {:.6g}\n", ++tree.resistor_count, parent, e, r);
  }

  std::string net(const std::string& line) {
    std::vector<std::string> t;
    std::istringstream words(line);
    for (std::string w; words >> w;) t.push_back(w);
    if (t.size() < 5 || t[4] != "(") throw error("not a net line: NAME 1 DRIVER LOADS ( R C ... )");
    const int id = net_id(t[0]);
    if (seen_[id]) throw error(fmt::format("net '{}' is given twice", t[0]));
    seen_[id] = true;
    // The net's name as named_verilog declares it: a port's bit, or the netlist's name for it.
    const std::string name = ports_[id].empty() ? spef_name(netlist_.net_names[id]) : spef_name(ports_[id], true);
    Tree tree;
    const Pin driver = pin(t[2], id);
    tree.conn += driver.conn;
    std::size_t i = 5;
    record(t, i, driver.node, id, name, tree);
    if (i != t.size()) throw error(fmt::format("'{}' after the net's tree", t[i]));
    ++nets_;
    int count = 0;
    for (const auto& [node, c] : tree.cap) tree.caps += fmt::format("{} {} {:.6g}\n", ++count, node, c);
    return fmt::format("*D_NET {} {:.6g}\n*CONN\n{}*CAP\n{}*RES\n{}*END\n\n", name, tree.total, tree.conn, tree.caps,
                       tree.resistors);
  }

  const Netlist& netlist_;
  std::string rc_name_;
  std::unordered_map<std::string, std::vector<int>> by_cell_;
  std::vector<std::string> ports_;
  std::vector<bool> port_input_;
  std::vector<bool> seen_;  // nets converted
  std::int64_t line_ = 0;
  int nets_ = 0;
};

std::string technology_par(const fs::path& tech_dir, const std::string& tech, const LayoutOptions& o) {
  std::string par = base::read_file(tech_dir / (tech + ".par"));
  if (!o.aspect_ratio) return par;
  const std::string key = "TWMC*chip.aspect.ratio";
  const auto at = par.find(key);
  const std::string line = fmt::format("{} : {}", key, *o.aspect_ratio);
  if (at == std::string::npos) return par + "\n" + line + "\n";
  return par.replace(at, par.find('\n', at) - at, line);
}

}  // namespace

std::string layout_blif(const Netlist& netlist) {
  std::string out = fmt::format(".model {}\n.inputs", netlist.top);
  std::vector<bool> pin(netlist.net_count(), false);
  for (const auto& port : netlist.ports)
    if (!port.output)
      for (int net : port.bits)
        if (net >= 0 && !pin[net]) {
          pin[net] = true;
          out += " " + net_ref(net);
        }
  out += "\n.outputs";
  for (const auto& port : netlist.ports)
    if (port.output)
      for (int net : port.bits)
        if (net >= 0 && !pin[net]) {  // constant outputs need no wire; an output that is an input is one pin
          pin[net] = true;
          out += " " + net_ref(net);
        }
  out += "\n";
  for (const auto& inst : netlist.instances) {
    out += ".gate " + inst.cell->name;
    for (const auto& c : inst.connections)
      if (c.net != Netlist::kFloating) out += fmt::format(" {}={}", c.pin->name, net_ref(c.net));
    out += "\n";
  }
  return out + ".end\n";
}

std::string qrouter_rc_to_spef(const std::string& rc_text, const std::string& rc_name, const Netlist& netlist) {
  return RcConverter(netlist, rc_name).convert(rc_text);
}

DefSummary summarise_def(const std::string& text, const std::string& name) {
  std::vector<std::string> t;
  std::istringstream words(text);
  for (std::string w; words >> w;) t.push_back(w);
  DefSummary s;
  double units = 0;
  const auto number = [&](std::size_t i) {
    double v = 0;
    if (i >= t.size()) throw Error(fmt::format("{}: the file ends inside a statement", name));
    const auto [end, ec] = std::from_chars(t[i].data(), t[i].data() + t[i].size(), v);
    if (ec != std::errc() || end != t[i].data() + t[i].size())
      throw Error(fmt::format("{}: '{}' where a number should be", name, t[i]));
    return v;
  };
  bool in_nets = false, routed = false;
  for (std::size_t i = 0; i < t.size(); ++i) {
    if (t[i] == "UNITS" && i + 3 < t.size() && t[i + 1] == "DISTANCE") units = number(i + 3);
    else if (t[i] == "DIEAREA") {
      if (units <= 0) throw Error(fmt::format("{}: DIEAREA before UNITS DISTANCE MICRONS", name));
      s.die_area = std::abs((number(i + 6) - number(i + 2)) * (number(i + 7) - number(i + 3))) / (units * units);
    } else if (t[i] == "NETS") {
      in_nets = true;
    } else if (t[i] == "END" && i + 1 < t.size() && t[i + 1] == "NETS") {
      in_nets = false;
      ++i;
    } else if (in_nets && t[i] == "-") {
      routed = false;  // a net begins
    } else if (in_nets && t[i] == "ROUTED" && !routed) {
      routed = true;  // (qrouter may give a net more than one ROUTED)
      ++s.routed_nets;
    }
    if (!in_nets || (t[i] != "ROUTED" && t[i] != "NEW")) continue;
    if (units <= 0) throw Error(fmt::format("{}: routed wires before UNITS DISTANCE MICRONS", name));
    // A wire: LAYER ( x y [ext] ) ( x|* y|* [ext] ) ... [VIA], until the next NEW, + or ;.
    double x = 0, y = 0;
    bool first = true;
    std::size_t j = i + 2;
    while (j < t.size() && t[j] != "NEW" && t[j] != ";" && t[j] != "+") {
      if (t[j] != "(") {
        ++s.vias;  // a via's name
        ++j;
        continue;
      }
      if (j + 2 >= t.size()) throw Error(fmt::format("{}: the file ends inside a point ( x y )", name));
      const double nx = t[j + 1] == "*" ? x : number(j + 1), ny = t[j + 2] == "*" ? y : number(j + 2);
      if (!first) s.wire_length += (std::abs(nx - x) + std::abs(ny - y)) / units;
      x = nx;
      y = ny;
      first = false;
      while (j < t.size() && t[j] != ")") ++j;
      ++j;
    }
    i = j - 1;
  }
  if (s.die_area <= 0) throw Error(fmt::format("{}: no DIEAREA", name));
  return s;
}

std::optional<std::string> qflow_technology(const Library& library) {
  std::error_code ec;
  const fs::path dir = fs::weakly_canonical(library.path, ec).parent_path();
  if (ec || dir.parent_path() != kQflowTechRoot) return std::nullopt;
  const std::string tech = dir.filename().string();
  if (!fs::exists(dir / (tech + ".sh")) || !fs::exists(dir / (tech + ".par"))) return std::nullopt;
  return tech;
}

LayoutResult place_and_route(const Netlist& netlist, const Library& library, const LayoutOptions& o,
                             const fs::path& cache_root, const ProgressFn& progress) {
  const auto tech = qflow_technology(library);
  if (!tech)
    throw Error(fmt::format("layout: library {} ({}) is not one qflow has a technology for (LEF, router setup); "
                            "layout works on the libraries of {}/<tech>/ (qflow-tech-osu018, -osu035, -osu050)",
                            library.name, library.path.string(), kQflowTechRoot.string()));
  if (o.density && !(*o.density > 0 && *o.density <= 1))
    throw Error(fmt::format("layout density {}: give a cell density in (0, 1]", *o.density));
  if (o.aspect_ratio && !(*o.aspect_ratio > 0.1 && *o.aspect_ratio < 10))
    throw Error(fmt::format("layout aspect ratio {}: give a core height / width between 0.1 and 10", *o.aspect_ratio));
  const std::string& qflow_version = base::tool_version("qflow", "qflow", "-v");
  const std::string& qrouter_version = base::tool_version("/usr/lib/qflow/bin/qrouter", "qflow", "-h");
  const fs::path tech_dir = kQflowTechRoot / *tech;
  const std::string blif = layout_blif(netlist);
  const std::string par = technology_par(tech_dir, *tech, o);
  const std::string vars = fmt::format("set vddnet=vdd\nset gndnet=gnd\n{}",
                                       o.density ? fmt::format("set initial_density={}\n", *o.density) : "");
  base::Sha256 h;
  h.update(kLayoutFormat).update(qflow_version).update(qrouter_version).update(*tech).update(blif).update(par).update(vars);
  for (const char* ext : {".sh", "_stdcells.lef"}) {
    const fs::path f = tech_dir / (*tech + ext);
    if (fs::exists(f)) h.update(base::read_file(f));
  }
  const std::string key = h.hex();
  const std::string& top = netlist.top;

  const auto entry = base::ContentStore(cache_root).get_or_build("layout", key, [&](const base::ContentStore::BuildContext& ctx) {
    const auto start = std::chrono::steady_clock::now();
    if (progress) progress(fmt::format("placing and routing {} on {} with qflow (graywolf, qrouter) ... ", top, *tech));
    const fs::path project = ctx.dir / "qflow";
    fs::create_directories(project / "source");
    fs::create_directories(project / "synthesis");
    fs::create_directories(project / "layout");
    base::write_file(project / "source" / (top + ".v"), fmt::format("module {}(); endmodule\n", top));
    base::write_file(project / "synthesis" / (top + ".blif"), blif);
    base::write_file(project / "project_vars.sh", vars);
    base::write_file(project / "layout" / (top + ".par"), par);
    // The build folder goes when a step fails; its log (qflow's output, the tools' included) stays.
    const auto fail = [&](const std::string& step) {
      if (progress) progress("failed\n");
      return Error(fmt::format("layout of {} on {}: {} failed; log: {}\n{}", top, *tech, step, ctx.log.string(),
                               base::tail_of_file(ctx.log, 8)));
    };
    base::require_tool("qflow", "qflow");
    const int placed = base::run_logged({"qflow", "-T", *tech, "place", top}, ctx.log, project);
    if (placed != 0 || !fs::exists(project / "layout" / (top + ".def"))) throw fail("placement (graywolf)");
    const int routed = base::run_logged({"qflow", "-T", *tech, "route", top}, ctx.log, project);
    const fs::path route_log = project / "log" / "route.log";
    const fs::path rc = project / "layout" / (top + ".rc");
    const std::string route_text = fs::exists(route_log) ? base::read_file(route_log) : "";
    if (routed != 0 || !fs::exists(rc) || route_text.find("Final: No failed routes") == std::string::npos) {
      const auto unrouted = route_text.rfind("Final: Failed net routes:");
      throw fail(unrouted == std::string::npos
                     ? std::string("routing (qrouter: no RC file)")
                     : fmt::format("routing (qrouter left {} nets unrouted: give the cells more room "
                                   "with a lower --layout-density)",
                                   route_text.substr(unrouted + 26, route_text.find('\n', unrouted) - unrouted - 26)));
    }
    const std::string spef = qrouter_rc_to_spef(base::read_file(rc), rc.string(), netlist);
    base::write_file(ctx.dir / "wires.spef", spef);
    base::write_file(ctx.dir / "netlist.v", named_verilog(netlist));
    const DefSummary def = summarise_def(base::read_file(project / "layout" / (top + ".def")), top + ".def");
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    const nlohmann::json summary = {{"die_area", def.die_area},       {"wire_length", def.wire_length},
                                    {"vias", def.vias},               {"routed_nets", def.routed_nets},
                                    {"seconds", seconds},             {"technology", *tech}};
    base::write_file(ctx.dir / "layout.json", summary.dump(2) + "\n");
    // What the results need stays; graywolf's and qrouter's working files go.
    for (const auto& f : fs::directory_iterator(project / "layout"))
      if (f.path().filename() != top + ".def" && f.path().filename() != top + ".rc") fs::remove_all(f.path());
    fs::remove_all(project / "synthesis");
    if (progress) progress(fmt::format("done in {:.1f} s\n", seconds));
  });

  LayoutResult r;
  r.technology = *tech;
  r.key = key;
  r.cached = entry.cached;
  r.spef = entry.dir / "wires.spef";
  r.verilog = entry.dir / "netlist.v";
  r.def = entry.dir / "qflow" / "layout" / (top + ".def");
  r.log_dir = entry.dir / "qflow" / "log";
  const nlohmann::json summary = nlohmann::json::parse(base::read_file(entry.dir / "layout.json"));
  r.core_area = summary.at("die_area").get<double>();
  r.wire_length = summary.at("wire_length").get<double>();
  r.vias = summary.at("vias").get<long>();
  r.routed_nets = summary.at("routed_nets").get<int>();
  r.seconds = summary.at("seconds").get<double>();
  r.cell_area = area_of(netlist).total;
  return r;
}

}  // namespace neuroppa::tech
