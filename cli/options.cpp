#include "options.hpp"

#include <cctype>
#include <string_view>
#include <fmt/format.h>

#include "neuroppa/base/error.hpp"
#include "neuroppa/base/text.hpp"

namespace neuroppa::cli {

namespace {

// "<number><unit>" with the unit from `units` (case-insensitive); a
// quantity in base units, or neuroppa::Error with `example` as a hint.
double parse_quantity(const std::string& text, std::initializer_list<std::pair<std::string_view, double>> units,
                      const std::string& option, const std::string& example, bool allow_zero = false) {
  std::size_t used = 0;
  const double value = base::leading_number(text, used);
  std::string unit = text.substr(used);
  for (auto& c : unit) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  for (const auto& [name, scale] : units)
    if (used > 0 && unit == name && (value > 0 || (allow_zero && value == 0))) return value * scale;
  throw Error(fmt::format("{} {}: write e.g. {}", option, text, example));
}

}  // namespace

double parse_frequency(const std::string& text, const std::string& option) {
  return parse_quantity(text, {{"", 1}, {"hz", 1}, {"khz", 1e3}, {"mhz", 1e6}, {"ghz", 1e9}}, option,
                        "100MHz, 1.2GHz or 5e7 (a frequency)");
}

double parse_period(const std::string& text, const std::string& option) {
  return parse_quantity(text, {{"", 1}, {"s", 1}, {"ms", 1e-3}, {"us", 1e-6}, {"ns", 1e-9}, {"ps", 1e-12}}, option,
                        "5ns, 200ps or 5e-9 (a time)");
}

double parse_energy(const std::string& text, const std::string& option) {
  // A unit is required: a bare "2" is more likely a forgotten pJ than 2 J.
  return parse_quantity(text, {{"j", 1}, {"nj", 1e-9}, {"pj", 1e-12}, {"fj", 1e-15}}, option,
                        "2pJ, 500fJ or 1nJ (an energy)", true);
}

sim::MemoryEnergy parse_memory_energy(const std::string& text) {
  sim::MemoryEnergy e;
  for (const std::string& item : split_list(text)) {
    const auto eq = item.find('=');
    const std::string key = item.substr(0, eq);
    if (eq == std::string::npos)
      throw Error(fmt::format("--mem-energy '{}': expected <memory>=<energy>[pJ|fJ|nJ|J], e.g. weights=2pJ", item));
    const double joules = parse_energy(item.substr(eq + 1), fmt::format("--mem-energy '{}':", item));
    if (key == "weights") e.weight_read = joules;
    else if (key == "act-read") e.activation_read = joules;
    else if (key == "act-write") e.activation_write = joules;
    else if (key == "membrane") e.membrane_read = e.membrane_write = joules;
    else
      throw Error(fmt::format("--mem-energy '{}': unknown memory '{}' (weights, act-read, act-write, membrane)", item,
                              key));
  }
  return e;
}

std::vector<unsigned> parse_unsigned_list(const std::string& text, const std::string& option) {
  std::vector<unsigned> out;
  for (const std::string& item : split_list(text)) {
    std::size_t used = 0;
    unsigned long v = 0;
    try {
      v = std::stoul(item, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    if (used != item.size() || item[0] == '-' || v > 1u << 20)
      throw Error(fmt::format("{} {}: '{}' is not a whole number", option, text, item));
    out.push_back(static_cast<unsigned>(v));
  }
  if (out.empty()) throw Error(fmt::format("{} {}: give at least one value", option, text));
  return out;
}

std::string command_line(int argc, char** argv) {
  std::string out = "neuroppa";
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    const bool quote = a.find_first_of(" \t'\"$") != std::string::npos;
    out += " " + (quote ? "'" + a + "'" : a);
  }
  return out;
}

CLI::Validator one_of(const std::string& option, std::initializer_list<std::string> choices) {
  std::vector<std::string> list(choices);
  std::string text;
  for (std::size_t i = 0; i < list.size(); ++i)
    text += (i == 0 ? "" : i + 1 == list.size() ? " or " : ", ") + list[i];
  return CLI::Validator(
      [option, list, text](std::string& value) -> std::string {
        for (const auto& c : list)
          if (value == c) return "";
        throw Error(fmt::format("{} {}: choose {}", option, value, text));
      },
      text);
}

CLI::Validator in_range(const std::string& option, double lo, double hi) {
  return CLI::Validator(
      [option, lo, hi](std::string& value) -> std::string {
        std::size_t used = 0;
        const double v = base::leading_number(value, used);
        if (used != value.size() || !(v >= lo && v <= hi))
          throw Error(fmt::format("{} {}: choose {}..{}", option, value, lo, hi));
        return "";
      },
      fmt::format("{}..{}", lo, hi));
}

CLI::Validator whole_number(const std::string& option) {
  return CLI::Validator(
      [option](std::string& value) -> std::string {
        if (value.empty() || value.size() > 19 || value.find_first_not_of("0123456789") != std::string::npos)
          throw Error(fmt::format("{} {}: give a whole number (digits only)", option, value));
        return "";
      },
      "N");
}

void retire_option(CLI::App& cmd, const std::string& old_name, const std::string& new_name, bool flag) {
  CLI::Option* option = flag ? cmd.add_flag(old_name) : cmd.add_option(old_name);
  option->group("")->each([old_name, new_name](const std::string&) {
    throw Error(fmt::format("{} is no longer an option: use {}", old_name, new_name));
  });
}

}  // namespace neuroppa::cli
