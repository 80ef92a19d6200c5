#include "options.hpp"

#include <cctype>
#include <initializer_list>
#include <string_view>
#include <fmt/format.h>

#include "neuroppa/models/error.hpp"

namespace neuroppa::cli {

namespace {

// "<number><unit>" with the unit from `units` (case-insensitive); a positive
// quantity in base units, or neuroppa::Error with `example` as a hint.
double parse_quantity(const std::string& text, std::initializer_list<std::pair<std::string_view, double>> units,
                      const std::string& option, const std::string& example) {
  std::size_t used = 0;
  double value = 0;
  try {
    value = std::stod(text, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  std::string unit = text.substr(used);
  for (auto& c : unit) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  for (const auto& [name, scale] : units)
    if (used > 0 && unit == name && value > 0) return value * scale;
  throw Error(fmt::format("{} {}: write e.g. {}", option, text, example));
}

}  // namespace

double parse_frequency(const std::string& text) {
  return parse_quantity(text, {{"", 1}, {"hz", 1}, {"khz", 1e3}, {"mhz", 1e6}, {"ghz", 1e9}}, "--freq",
                        "100MHz, 1.2GHz or 5e7 (a frequency)");
}

double parse_period(const std::string& text) {
  return parse_quantity(text, {{"", 1}, {"s", 1}, {"ms", 1e-3}, {"us", 1e-6}, {"ns", 1e-9}, {"ps", 1e-12}},
                        "--period", "5ns, 200ps or 5e-9 (a time)");
}

std::vector<std::string> split_list(const std::string& text) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start <= text.size()) {
    const std::size_t end = std::min(text.find(',', start), text.size());
    if (end > start) out.push_back(text.substr(start, end - start));
    start = end + 1;
  }
  return out;
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

}  // namespace neuroppa::cli
