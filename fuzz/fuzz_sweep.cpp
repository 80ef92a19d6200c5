// Sweep files (TOML: axes, options, slurm). The command's options are not
// what is fuzzed here: every option exists and every command line passes.
#include "fuzz_target.hpp"
#include "neuroppa/app/sweep.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const neuroppa::app::sweep::CommandChecker checker{
      [](const std::string&, const std::string&) { return true; },
      [](const std::vector<std::string>&) { return std::optional<std::string>(); }};
  const neuroppa::fuzz::TempFile file(data, size, ".toml");
  return neuroppa::fuzz::expect_clean_error([&] { neuroppa::app::sweep::read_sweep_file(file.path(), checker); });
}
