// Parsing of option values shared by the commands.
#pragma once

#include <string>
#include <vector>

namespace neuroppa::cli {

// "100MHz", "1.5GHz", "250kHz", "1e8" (Hz) -> Hz. Throws neuroppa::Error.
double parse_frequency(const std::string& text);

// "5ns", "200ps", "5e-9" (s) -> seconds. Throws neuroppa::Error.
double parse_period(const std::string& text);

// "9,25,49" -> {9, 25, 49}. Throws neuroppa::Error naming `option`.
std::vector<unsigned> parse_unsigned_list(const std::string& text, const std::string& option);

// "a,b,c" -> {"a", "b", "c"}.
std::vector<std::string> split_list(const std::string& text);

// The command line as typed, for reports ("neuroppa kernels --K 9").
std::string command_line(int argc, char** argv);

}  // namespace neuroppa::cli
