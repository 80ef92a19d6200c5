// Liberty text (lexer, group syntax, units, tables, bus pins, functions).
#include "fuzz_target.hpp"
#include "neuroppa/tech/liberty.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  return neuroppa::fuzz::expect_clean_error(
      [&] { neuroppa::tech::read_liberty_text(neuroppa::fuzz::as_text(data, size), "fuzz.lib"); });
}
