#include "neuroppa/sim/memory_cost.hpp"

#include <algorithm>
#include <bit>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "neuroppa/base/error.hpp"
#include "neuroppa/base/file.hpp"
#include "neuroppa/kernels/catalogue.hpp"
#include "neuroppa/models/random.hpp"
#include "neuroppa/tech/gate_model.hpp"
#include "neuroppa/tech/liberty_function.hpp"
#include "neuroppa/tech/power.hpp"
#include "neuroppa/tech/synthesis.hpp"
#include "neuroppa/tech/timed_activity.hpp"
#include "neuroppa/tech/toggle_counter.hpp"

namespace neuroppa::sim {
namespace {

constexpr const char* kRegfileFile = "np_regfile.sv";
enum Phase : std::size_t { kIdle, kRead, kWrite, kPhases };

std::uint64_t ceil_div(std::uint64_t a, std::uint64_t b) { return (a + b - 1) / b; }
// Bits one access moves, per memory: a lane's K codes, an activation beat,
// one output value, one potential.
struct AccessBits {
  std::uint64_t weight_read, activation_read, activation_write, potential;
};

AccessBits access_bits(const models::Network& net, unsigned K) {
  unsigned code_bits = 1;
  for (const models::Layer& l : net.layers)
    if (l.computes()) code_bits = std::max(code_bits, l.code_bits);
  const std::uint64_t act_bits = net.activation_bits();
  return {std::uint64_t{K} * code_bits, K * act_bits, act_bits, net.AW};
}


}  // namespace

std::string BankCost::describe() const {
  const std::string what =
      cells ? fmt::format("{} of {} x {} bits on {} ({:.0f} µm², {} cells each)", kind, depth, width, library, area, cells)
            : fmt::format("{} of {} x {} bits from {} ({:.0f} µm² each)", kind, depth, width, library, area);
  return caveat.empty() ? what : what + "; " + caveat;
}

BankCost sram_macro_bank(const tech::Library& library) {
  const tech::LibertyCell* cell = nullptr;
  const tech::LibertyPin* clock = nullptr;
  for (const auto& c : library.cells) {
    for (const auto& p : c.pins)
      if (p.clock && p.direction == tech::PinDirection::input) {
        clock = &p;
        break;
      }
    if (clock) {
      cell = &c;
      break;
    }
  }
  if (!cell) throw Error(fmt::format("{}: no cell with a clock pin: not an SRAM macro", library.name));
  // The port of the clock (clk0 -> 0) names its data, address, select and write enable.
  const std::string port = clock->name.substr(clock->name.find_last_not_of("0123456789") + 1);
  unsigned data_bits = 0, addr_bits = 0;
  for (const auto& p : cell->pins) {
    if (p.name.starts_with("dout" + port + "[")) ++data_bits;
    if (p.name.starts_with("addr" + port + "[")) ++addr_bits;
  }
  if (data_bits == 0 || addr_bits == 0 || addr_bits > 24)
    throw Error(fmt::format("{}: cell {} has no dout{}[...] and addr{}[...] buses (OpenRAM's names)", library.name,
                            cell->name, port, port));
  const std::string select = "csb" + port, write_enable = "web" + port;
  // Energy of one clock cycle (a rise and a fall) when `when` holds for the given select and write enable.
  const auto cycle_energy = [&](bool csb, bool web, const char* what) {
    for (const tech::InternalPower& ip : clock->internal_power) {
      if (!ip.related_pin.empty()) continue;
      const bool holds =
          ip.when.empty() || tech::parse_liberty_function(ip.when, fmt::format("cell {} pin {} when", cell->name, clock->name))
                                 .evaluate([&](std::string_view name) {
                                   return name == select ? csb : name == write_enable ? web : false;
                                 });
      if (holds) return (ip.rise.empty() ? 0 : ip.rise.lookup(0, 0)) + (ip.fall.empty() ? 0 : ip.fall.lookup(0, 0));
    }
    throw Error(fmt::format("{}: cell {} pin {} has no internal_power for a {} cycle ({}={}, {}={})", library.name,
                            cell->name, clock->name, what, select, int(csb), write_enable, int(web)));
  };
  BankCost bank;
  bank.kind = "SRAM macros " + cell->name;
  bank.library = library.name;
  bank.width = data_bits;
  bank.depth = 1u << addr_bits;
  bank.area = cell->area;
  bank.leakage = cell->cell_leakage_power.value_or(0);
  bank.read_energy = cycle_energy(false, true, "read");
  bank.write_energy = cycle_energy(false, false, "write");
  bank.idle_energy = cycle_energy(true, true, "deselected");
  if (bank.read_energy == bank.write_energy && bank.write_energy == bank.idle_energy)
    bank.caveat = "the macro's Liberty gives one energy for read, write and deselected cycles: not calibrated figures";
  return bank;
}

BankCost characterise_regfile(const tech::Library& library, unsigned width, unsigned depth, double frequency,
                              const std::filesystem::path& cache_dir, const ProgressFn& progress,
                              std::uint64_t cycles) {
  if (width == 0 || width > 64) throw Error(fmt::format("register-file bank width {}: choose 1..64 bits", width));
  if (depth < 2 || depth > 1024 || !std::has_single_bit(depth))
    throw Error(fmt::format("register-file bank depth {}: choose a power of two 2..1024", depth));
  if (auto gap = tech::mapping_gap(library, false))
    throw Error(fmt::format("{}: cannot synthesise a register-file bank: {}", library.name, *gap));
  const tech::SynthesisRequest request{"np_regfile",
                                       {{kRegfileFile, std::string(kernels::rtl_text(kRegfileFile))}},
                                       {{"W", std::to_string(width)}, {"D", std::to_string(depth)}},
                                       library.path,
                                       fmt::format("register file {}x{} on {}", depth, width, library.name)};
  const tech::SynthesisResult synthesis = tech::synthesize(request, cache_dir, progress);
  const tech::Netlist netlist = tech::read_yosys_json(synthesis.netlist_json, "np_regfile", library);

  BankCost cost;
  cost.library = library.name;
  cost.width = width;
  cost.depth = depth;
  cost.area = tech::area_of(netlist).total;
  cost.yosys_area = synthesis.yosys_area;
  cost.cells = long(netlist.instances.size());
  cost.cycles = cycles;

  vmodel::ModelCache models(cache_dir, progress);
  const auto model = models.load(tech::gate_level_spec(netlist, "clk_i", request.label, true));
  vmodel::ModelInstance bank(model);
  const vmodel::Port we = bank.port("we_i"), waddr = bank.port("waddr_i"), wdata = bank.port("wdata_i");
  const vmodel::Port re = bank.port("re_i"), raddr = bank.port("raddr_i");
  tech::ToggleCounter toggles(bank, netlist, "clk_i");
  tech::TimedSampler timed(netlist, library, "clk_i", tech::TimedOptions{}, tech::ActivityMode{true, 1}, 1);
  toggles.use_banks(kPhases);
  timed.use_banks(kPhases);
  models::Rng rng(7);
  const std::uint64_t mask = width == 64 ? ~0ull : (1ull << width) - 1;
  // Fill every word first so reads see data, then each kind of cycle in turn.
  we.set(1);
  for (unsigned a = 0; a < depth; ++a) {
    waddr.set(a);
    wdata.set(rng.bits(64) & mask);
    bank.tick();
  }
  we.set(0);
  toggles.sample();
  for (const Phase phase : {kIdle, kRead, kWrite}) {
    toggles.select_bank(phase);
    timed.select_bank(phase);
    for (std::uint64_t c = 0; c < cycles; ++c) {
      // Inputs of the port not in use hold still (the controller drives them only to access).
      we.set(phase == kWrite);
      re.set(phase == kRead);
      if (phase == kRead) raddr.set(rng.below(depth));
      if (phase == kWrite) {
        waddr.set(rng.below(depth));
        wdata.set(rng.bits(64) & mask);
      }
      bank.tick();
      toggles.sample();
      timed.cycle(toggles.previous_words().data(), toggles.words().data());
    }
  }
  tech::PowerOptions options;
  options.frequency = frequency;
  double* energy[] = {&cost.idle_energy, &cost.read_energy, &cost.write_energy};
  for (const Phase phase : {kIdle, kRead, kWrite}) {
    const tech::PowerReport p = tech::estimate_power(netlist, library, timed.estimate(toggles.activity(phase), phase), options);
    *energy[phase] = (p.total.internal + p.total.switching) / frequency;
    cost.leakage = p.total.leakage;
  }
  // The bank as a careful designer builds it clocks a word's flops only when
  // the word is written (per-word clock gating): an idle cycle measured here
  // clocks all D words and the read register, so an access costs its cycle
  // less the idle clocking, plus one word's share of it (the read register,
  // or the word written). The gating cells themselves are not in the netlist.
  const double one_word = cost.idle_energy / (depth + 1);
  cost.read_energy = std::max(0.0, cost.read_energy - cost.idle_energy) + one_word;
  cost.write_energy = std::max(0.0, cost.write_energy - cost.idle_energy) + one_word;
  return cost;
}

MemoriesCost price_memories(const BankCost& bank, const models::Network& net, const MemoryConfig& config,
                            unsigned lanes, unsigned K) {
  const WeightPlan plan = plan_memories(net, config, lanes, K);
  const std::uint64_t bank_bits = std::uint64_t{bank.width} * bank.depth;
  const auto tile = [&](const char* name, const OnChipMemory& m, std::uint64_t needed) {
    MemoryCost c;
    c.name = name;
    c.capacity_bytes = m.capacity_bytes ? m.capacity_bytes : needed;
    // Enough banks for the capacity, and side by side for the width a cycle.
    const std::uint64_t wide = m.word_bits ? ceil_div(std::uint64_t{m.word_bits} * m.banks, bank.width) : 1;
    c.tiles = std::max(ceil_div(c.capacity_bytes * 8, bank_bits), wide);
    if (c.capacity_bytes == 0) c.tiles = 0;
    c.area = double(c.tiles) * bank.area;
    c.leakage = double(c.tiles) * bank.leakage;
    return c;
  };
  MemoriesCost cost;
  cost.model = bank.describe();
  cost.weights = tile("weight memory", config.weights, plan.weight_bytes);
  cost.activations = tile("activation buffers", config.activations, plan.activation_bytes);
  cost.membrane = tile("membrane memory", config.membrane, plan.membrane_bytes);
  const AccessBits bits = access_bits(net, K);
  // An access touches the banks its bits span (at least one).
  const auto banks_for = [&](std::uint64_t n) { return double(ceil_div(n, bank.width)); };
  MemoryEnergy& e = cost.energy;
  e.weight_read = banks_for(bits.weight_read) * bank.read_energy;
  e.weight_write = banks_for(bits.weight_read) * bank.write_energy;
  e.activation_read = banks_for(bits.activation_read) * bank.read_energy;
  e.activation_write = banks_for(bits.activation_write) * bank.write_energy;
  if (cost.membrane.tiles) {
    e.membrane_read = banks_for(bits.potential) * bank.read_energy;
    e.membrane_write = banks_for(bits.potential) * bank.write_energy;
  }
  e.weight_leakage = cost.weights.leakage;
  e.activation_leakage = cost.activations.leakage;
  e.membrane_leakage = cost.membrane.leakage;
  return cost;
}

MemoriesCost price_memories_from_table(const std::filesystem::path& path, const models::Network& net,
                                       const MemoryConfig& config, unsigned lanes, unsigned K) {
  const WeightPlan plan = plan_memories(net, config, lanes, K);
  nlohmann::json table;
  try {
    table = nlohmann::json::parse(base::read_file(path));
  } catch (const nlohmann::json::exception& e) {
    throw Error(fmt::format("{}: not JSON: {}", path.string(), e.what()));
  }
  const auto fail = [&](const std::string& what) { return Error(fmt::format("{}: {}", path.string(), what)); };
  if (!table.is_object()) throw fail("expected an object of memories");
  const auto number = [&](const nlohmann::json& object, const std::string& where, const char* key) {
    if (!object.contains(key)) return 0.0;
    const auto& v = object.at(key);
    if (!v.is_number() || v.get<double>() < 0 || v.get<double>() > 1e12)
      throw fail(fmt::format("{}.{}: give a number 0..1e12", where, key));
    return v.get<double>();
  };
  const auto check_keys = [&](const nlohmann::json& object, const std::string& where,
                              std::initializer_list<const char*> keys) {
    if (!object.is_object()) throw fail(where + ": expected an object");
    for (const auto& item : object.items()) {
      const std::string& key = item.key();  // not a structured binding: clang 15 cannot capture those
      if (std::none_of(keys.begin(), keys.end(), [&](const char* k) { return key == k; })) {
        std::string known;
        for (const char* k : keys) known += (known.empty() ? "" : ", ") + std::string(k);
        throw fail(fmt::format("{}: unknown key '{}' (keys: {})", where, key, known));
      }
    }
  };
  check_keys(table, "the table", {"name", "weights", "activations", "membrane"});
  const AccessBits bits = access_bits(net, K);
  MemoriesCost cost;
  cost.model = table.contains("name") && table["name"].is_string() ? table["name"].get<std::string>()
                                                                   : "the table " + path.filename().string();
  // energy of one access = per_access + per_bit x bits, in pJ
  const auto energy = [&](const nlohmann::json& memory, const std::string& where, const char* op, std::uint64_t n) {
    if (!memory.contains(op)) return 0.0;
    const std::string at = where + "." + op;
    check_keys(memory.at(op), at, {"per_access_pJ", "per_bit_pJ"});
    return (number(memory.at(op), at, "per_access_pJ") + number(memory.at(op), at, "per_bit_pJ") * double(n)) * 1e-12;
  };
  const auto memory = [&](const char* key, const char* name, std::uint64_t needed, const OnChipMemory& m,
                          bool used) -> std::pair<MemoryCost, const nlohmann::json*> {
    MemoryCost c;
    c.name = name;
    c.capacity_bytes = m.capacity_bytes ? m.capacity_bytes : needed;
    if (!table.contains(key)) {
      if (used) throw fail(fmt::format("no entry for the {} ('{}'), which this network uses", name, key));
      return {c, nullptr};
    }
    const nlohmann::json& entry = table.at(key);
    check_keys(entry, key, {"read", "write", "leakage_uW", "area_um2"});
    c.tiles = 1;
    c.leakage = number(entry, key, "leakage_uW") * 1e-6;
    c.area = number(entry, key, "area_um2");
    return {c, &entry};
  };
  const auto [w, wj] = memory("weights", "weight memory", plan.weight_bytes, config.weights, true);
  const auto [a, aj] = memory("activations", "activation buffers", plan.activation_bytes, config.activations, true);
  const auto [v, vj] = memory("membrane", "membrane memory", plan.membrane_bytes, config.membrane, net.spiking());
  cost.weights = w;
  cost.activations = a;
  cost.membrane = v;
  MemoryEnergy& e = cost.energy;
  e.weight_read = energy(*wj, "weights", "read", bits.weight_read);
  e.weight_write = energy(*wj, "weights", "write", bits.weight_read);
  e.activation_read = energy(*aj, "activations", "read", bits.activation_read);
  e.activation_write = energy(*aj, "activations", "write", bits.activation_write);
  if (vj) {
    e.membrane_read = energy(*vj, "membrane", "read", bits.potential);
    e.membrane_write = energy(*vj, "membrane", "write", bits.potential);
  }
  e.weight_leakage = w.leakage;
  e.activation_leakage = a.leakage;
  e.membrane_leakage = v.leakage;
  return cost;
}

}  // namespace neuroppa::sim
