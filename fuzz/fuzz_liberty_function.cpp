// Liberty boolean expressions (pin functions, `when`, next_state), parsed
// and evaluated.
#include "fuzz_target.hpp"
#include "neuroppa/tech/liberty_function.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  return neuroppa::fuzz::expect_clean_error([&] {
    const auto e = neuroppa::tech::parse_liberty_function(neuroppa::fuzz::as_text(data, size), "fuzz");
    e.evaluate([](std::string_view name) { return name.size() % 2 == 1; });
    e.to_verilog([](std::string_view name) { return std::string(name); });
  });
}
