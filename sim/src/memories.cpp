#include "neuroppa/sim/memories.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <fmt/format.h>

#include "neuroppa/base/error.hpp"

namespace neuroppa::sim {
namespace {

std::uint64_t bytes_of_bits(std::uint64_t bits) { return (bits + 7) / 8; }

// A number with an optional unit suffix, scaled by the unit's factor.
double parse_quantity(const std::string& key, const std::string& text,
                      const std::vector<std::pair<std::string, double>>& units) {
  double value = 0;
  const char* end = text.data() + text.size();
  auto [p, ec] = std::from_chars(text.data(), end, value);
  if (ec != std::errc() || !std::isfinite(value) || value < 0)
    throw Error(fmt::format("--mem {}={}: not a non-negative number", key, text));
  const std::string unit(p, end);
  if (unit.empty()) return value;
  for (const auto& [name, factor] : units)
    if (unit == name) return value * factor;
  std::string known;
  for (const auto& [name, factor] : units) known += (known.empty() ? "" : ", ") + name;
  throw Error(fmt::format("--mem {}={}: unit '{}' unknown (use {})", key, text, unit, known.empty() ? "none" : known));
}

unsigned parse_count(const std::string& key, const std::string& text, unsigned lo, unsigned hi) {
  const double v = parse_quantity(key, text, {});
  if (v != std::floor(v) || v < lo || v > hi)
    throw Error(fmt::format("--mem {}={}: choose a whole number {}..{}", key, text, lo, hi));
  return unsigned(v);
}

void check_capacity(const char* memory, std::uint64_t capacity, std::uint64_t needed, const std::string& what) {
  if (capacity && needed > capacity)
    throw Error(fmt::format("{} of {} bytes is too small: {} needs {} bytes (--mem {}.capacity={})", memory, capacity,
                            what, needed,
                            std::string_view(memory).starts_with("weight")       ? "weights"
                            : std::string_view(memory).starts_with("activation") ? "activations"
                                                                                 : "membrane",
                            needed));
}

}  // namespace

std::uint64_t OnChipMemory::occupancy(std::uint64_t bits) const {
  if (word_bits == 0) return 0;
  const std::uint64_t per_cycle = std::uint64_t{word_bits} * banks;
  return (bits + per_cycle - 1) / per_cycle;
}

std::string OnChipMemory::describe() const {
  return fmt::format("{}, {}, {} bank{}, {} port{}, read latency {}",
                     capacity_bytes ? fmt::format("{} B", capacity_bytes) : "sized to the network",
                     word_bits ? fmt::format("{}-bit words", word_bits) : "unlimited width", banks,
                     banks == 1 ? "" : "s", ports, ports == 1 ? "" : "s", read_latency);
}

MemoryConfig MemoryConfig::ideal() { return MemoryConfig{}; }

MemoryConfig MemoryConfig::standard(unsigned lanes, unsigned K, unsigned code_bits, unsigned activation_bits,
                                    unsigned AW) {
  MemoryConfig c;
  c.name = "standard";
  c.weights = {0, K * code_bits, lanes, 1, 1};
  c.activations = {0, K * activation_bits, 1, 2, 1};
  c.membrane = {0, AW, lanes, 2, 1};
  c.system = {100e-9, 1.6e9};
  return c;
}

std::string memory_config_keys() {
  return "ideal | standard | {weights,activations,membrane}.{capacity[B|KiB|MiB] (0: sized to the network),width (bits; 0: unlimited),banks,ports,latency (cycles)} | "
         "system.latency[s|ns|us] | system.bandwidth[B/s|MB/s|GB/s]";
}

MemoryConfig parse_memory_config(const std::string& spec, const MemoryConfig& standard) {
  MemoryConfig c = standard;
  bool first = true;
  std::size_t at = 0;
  while (at <= spec.size()) {
    const std::size_t comma = std::min(spec.find(',', at), spec.size());
    const std::string item = spec.substr(at, comma - at);
    at = comma + 1;
    if (item.empty()) throw Error(fmt::format("--mem {}: an empty item", spec));
    if (item == "ideal" || item == "standard") {
      if (!first) throw Error(fmt::format("--mem {}: '{}' must come first", spec, item));
      c = item == "ideal" ? MemoryConfig::ideal() : standard;
      first = false;
      continue;
    }
    first = false;
    const std::size_t eq = item.find('=');
    if (eq == std::string::npos)
      throw Error(fmt::format("--mem {}: '{}' is not key=value (keys: {})", spec, item, memory_config_keys()));
    const std::string key = item.substr(0, eq), value = item.substr(eq + 1);
    const std::size_t dot = key.find('.');
    const std::string memory = key.substr(0, dot), field = dot == std::string::npos ? "" : key.substr(dot + 1);
    if (memory == "system") {
      if (field == "latency") c.system.latency = parse_quantity(key, value, {{"s", 1}, {"ns", 1e-9}, {"us", 1e-6}});
      else if (field == "bandwidth")
        c.system.bandwidth = parse_quantity(key, value, {{"B/s", 1}, {"MB/s", 1e6}, {"GB/s", 1e9}});
      else throw Error(fmt::format("--mem {}: unknown key (keys: {})", key, memory_config_keys()));
    } else {
      OnChipMemory* m = memory == "weights" ? &c.weights
                        : memory == "activations" ? &c.activations
                        : memory == "membrane" ? &c.membrane
                                               : nullptr;
      if (!m) throw Error(fmt::format("--mem {}: unknown key (keys: {})", key, memory_config_keys()));
      if (field == "capacity") {
        const double bytes = parse_quantity(key, value, {{"B", 1}, {"KiB", 1024}, {"MiB", 1024 * 1024}});
        if (bytes != std::floor(bytes) || bytes > 1e12)
          throw Error(fmt::format("--mem {}={}: choose whole bytes up to 1e12 (0: sized to the network)", key, value));
        m->capacity_bytes = std::uint64_t(bytes);
      } else if (field == "width") m->word_bits = parse_count(key, value, 0, 1u << 16);
      else if (field == "banks") m->banks = parse_count(key, value, 1, 4096);
      else if (field == "ports") m->ports = parse_count(key, value, 1, 16);
      else if (field == "latency") m->read_latency = parse_count(key, value, 0, 1000);
      else throw Error(fmt::format("--mem {}: unknown key (keys: {})", key, memory_config_keys()));
    }
    c.name = "custom";
  }
  return c;
}

WeightPlan plan_memories(const models::Network& net, const MemoryConfig& config, unsigned lanes, unsigned K) {
  (void)K;
  const unsigned act_bits = net.activation_bits();
  std::uint64_t largest = 0, membrane = 0;
  std::string largest_layer;
  for (std::size_t i = 0; i < net.layers.size(); ++i) {
    const models::Layer& l = net.layers[i];
    for (const std::size_t n : {l.in.size(), l.out.size()})
      if (bytes_of_bits(n * act_bits) > largest) {
        largest = bytes_of_bits(n * act_bits);
        largest_layer = fmt::format("layer {} ({})", i + 1, l.describe());
      }
    membrane += bytes_of_bits(net.state_words_total(l) * net.AW);
  }
  const std::uint64_t image = bytes_of_bits(net.input.size() * net.XW);
  // Residual sources stay in buffers of their own from their layer to the last that reads them.
  std::vector<std::size_t> last_reader(net.layers.size(), 0);
  for (std::size_t i = 0; i < net.layers.size(); ++i)
    if (net.layers[i].residual) last_reader[net.layers[i].residual - 1] = i;
  std::uint64_t kept = 0;
  for (std::size_t i = 0; i < net.layers.size(); ++i) {
    std::uint64_t live = 0;
    for (std::size_t r = 0; r < i; ++r)
      if (last_reader[r] >= i) live += bytes_of_bits(net.layers[r].out.size() * act_bits);
    kept = std::max(kept, live);
  }
  check_capacity("activation buffers", config.activations.capacity_bytes, 2 * largest + image + kept,
                 fmt::format("{}, double-buffered, with the next image staged{}", largest_layer,
                             kept ? fmt::format(" and {} B of residual sources kept", kept) : ""));
  check_capacity("membrane memory", config.membrane.capacity_bytes, membrane, "the state of every spiking or sigma-delta neuron");

  WeightPlan plan;
  plan.activation_bytes = 2 * largest + image + kept;
  plan.membrane_bytes = membrane;
  plan.first_segment.assign(net.layers.size(), 0);
  std::vector<std::uint64_t> layer_bytes(net.layers.size(), 0);
  for (std::size_t i = 0; i < net.layers.size(); ++i) {
    const models::Layer& l = net.layers[i];
    if (l.computes()) layer_bytes[i] = bytes_of_bits(std::uint64_t{l.out.channels} * l.fan_in() * l.code_bits);
    plan.total_bytes += layer_bytes[i];
  }
  const std::uint64_t capacity = config.weights.capacity_bytes;
  plan.resident = capacity == 0 || plan.total_bytes <= capacity;
  const std::uint64_t half = capacity / 2;
  for (std::size_t i = 0; i < net.layers.size(); ++i) {
    const models::Layer& l = net.layers[i];
    if (!l.computes()) continue;
    const unsigned groups = (l.out.channels + lanes - 1) / lanes;
    plan.first_segment[i] = plan.segments.size();
    if (plan.resident || layer_bytes[i] <= half) {
      plan.segments.push_back({i, 0, groups, 0, layer_bytes[i]});
      continue;
    }
    const std::uint64_t group_bits = std::uint64_t{lanes} * l.fan_in() * l.code_bits;
    const std::string what = fmt::format("layer {} ({})", i + 1, l.describe());
    if (l.type == models::LayerType::conv)  // every position uses every group: the layer must stay
      check_capacity("weight memory", capacity, 2 * layer_bytes[i], what + ", streamed: all its weights in one half");
    check_capacity("weight memory", capacity, 2 * bytes_of_bits(group_bits),
                   what + ", streamed: one group of lanes' weights in each half");
    for (unsigned g = 0; g < groups; ++g) {
      const std::uint64_t begin = g * group_bits / 8;
      const std::uint64_t end = std::min(layer_bytes[i], bytes_of_bits((g + 1) * group_bits));
      plan.segments.push_back({i, g, 1, begin, end - begin});
    }
  }
  if (plan.resident) {
    plan.weight_bytes = plan.total_bytes;
  } else {
    for (const WeightSegment& segment : plan.segments) plan.weight_bytes = std::max(plan.weight_bytes, 2 * segment.bytes);
  }
  return plan;
}

}  // namespace neuroppa::sim
