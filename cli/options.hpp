// Parsing and checking of option values shared by the commands. Every check
// ends in neuroppa::Error with one line naming the option and the value.
#pragma once

#include <CLI/CLI.hpp>

#include <initializer_list>
#include <string>
#include <vector>

#include "neuroppa/app/run.hpp"
#include "neuroppa/base/text.hpp"

namespace neuroppa::cli {

using base::split_list;  // "a,b,c" -> {"a", "b", "c"}

// "100MHz", "1.5GHz", "250kHz", "1e8" (Hz) -> Hz.
double parse_frequency(const std::string& text, const std::string& option = "--freq");

// "5ns", "200ps", "5e-9" (s) -> seconds.
double parse_period(const std::string& text, const std::string& option = "--period");

// "2pJ", "500fJ", "1nJ", "0J" -> joules (zero allowed, a unit required).
double parse_energy(const std::string& text, const std::string& option);

// "weights=2pJ,act-read=1pJ,act-write=1pJ,membrane=0.5pJ": energy per access.
sim::MemoryEnergy parse_memory_energy(const std::string& text);

// "9,25,49" -> {9, 25, 49}.
std::vector<unsigned> parse_unsigned_list(const std::string& text, const std::string& option);

// The command line as typed, for reports ("neuroppa kernels --K 9").
std::string command_line(int argc, char** argv);

// CLI11 validators whose failures read like every other error here:
// "--level fpga: choose rtl or gate", "--images 0: choose 1..10000".
CLI::Validator one_of(const std::string& option, std::initializer_list<std::string> choices);
CLI::Validator in_range(const std::string& option, double lo, double hi);
// Digits only (CLI11 would take "-1" for an unsigned option as 2^64 - 1).
CLI::Validator whole_number(const std::string& option);

// An option that was renamed: using it is an error naming the new spelling
// (`flag`: the old one took no value).
void retire_option(CLI::App& cmd, const std::string& old_name, const std::string& new_name, bool flag = false);

}  // namespace neuroppa::cli
