#include "neuroppa/models/operands.hpp"

#include <fmt/format.h>
#include <fstream>
#include <sstream>

#include "neuroppa/base/error.hpp"
#include "neuroppa/base/file.hpp"

namespace neuroppa::models {

std::vector<std::uint32_t> read_value_file(const std::filesystem::path& path, unsigned bits, const char* what) {
  base::check_input_file(path, fmt::format("{} file", what));
  std::ifstream in(path);
  if (!in) throw Error(fmt::format("{}: cannot open {} file", path.string(), what));
  std::vector<std::uint32_t> values;
  std::string line;
  for (int line_no = 1; std::getline(in, line); ++line_no) {
    std::istringstream words(line);
    std::string word;
    while (words >> word) {
      if (word[0] == '#') break;  // comment to the end of the line
      std::size_t used = 0;
      unsigned long long v = 0;
      try {
        v = std::stoull(word, &used);
      } catch (const std::exception&) {
        used = 0;
      }
      if (used != word.size() || word[0] == '-' || v >= (1ull << bits))
        throw Error(fmt::format("{}:{}: {} value '{}' is not an integer in 0..{}", path.string(), line_no, what,
                                word, (1ull << bits) - 1));
      values.push_back(static_cast<std::uint32_t>(v));
    }
  }
  if (values.empty()) throw Error(fmt::format("{}: no {} values", path.string(), what));
  return values;
}

OperandStream::OperandStream(const KernelParams& params, const OperandSpec& spec, std::uint64_t seed)
    : p_(params), spec_(spec), rng_(seed) {
  if (!(spec.activation_sparsity >= 0 && spec.activation_sparsity <= 1))
    throw Error(fmt::format("sparsity {}: must be between 0 and 1", spec.activation_sparsity));
  if (spec.beats_per_output == 0) throw Error("beats per output must be at least 1");
  beat_.x.resize(p_.K);
  beat_.w.resize(p_.K);
  beat_.valid = true;
  // An output shift that keeps typical sums inside the XW-bit output range.
  const unsigned sum_bits = p_.required_accumulator_bits();
  beat_.shift = sum_bits > p_.XW + 2 ? sum_bits - p_.XW - 2 : 0;
  beat_.vth = std::int64_t{1} << (p_.WW + 1);
}

const Beat& OperandStream::next() {
  const std::uint32_t x_max = (1u << p_.activation_bits()) - 1;
  // Zero with the given probability, else uniform in 1..x_max or a sample.
  const auto activation = [&]() -> std::uint32_t {
    if (rng_.below(1u << 20) < spec_.activation_sparsity * (1u << 20)) return 0;
    if (!spec_.activations.empty()) return spec_.activations[rng_.below(spec_.activations.size())];
    return static_cast<std::uint32_t>(1 + rng_.below(x_max));
  };
  for (unsigned k = 0; k < p_.K; ++k) {
    beat_.x[k] = activation();
    beat_.w[k] = spec_.weights.empty() ? static_cast<std::uint32_t>(rng_.bits(p_.code_bits()))
                                       : spec_.weights[rng_.below(spec_.weights.size())];
  }
  beat_.first = index_ == 0;
  beat_.last = ++index_ == spec_.beats_per_output;
  if (beat_.last) index_ = 0;
  return beat_;
}

}  // namespace neuroppa::models
