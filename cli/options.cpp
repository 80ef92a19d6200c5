#include "options.hpp"

#include <cctype>
#include <fmt/format.h>

#include "neuroppa/models/error.hpp"

namespace neuroppa::cli {

double parse_frequency(const std::string& text) {
  std::size_t used = 0;
  double value = 0;
  try {
    value = std::stod(text, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  std::string unit = text.substr(used);
  for (auto& c : unit) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  double scale = 0;
  if (unit.empty() || unit == "hz") scale = 1;
  else if (unit == "khz") scale = 1e3;
  else if (unit == "mhz") scale = 1e6;
  else if (unit == "ghz") scale = 1e9;
  if (used == 0 || scale == 0 || !(value > 0))
    throw Error(fmt::format("--freq {}: not a frequency; write e.g. 100MHz, 1.2GHz or 5e7", text));
  return value * scale;
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
