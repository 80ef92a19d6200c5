#include "neuroppa/base/number.hpp"

#include <stdexcept>

namespace neuroppa::base {

double leading_number(const std::string& text, std::size_t& used) {
  used = 0;
  try {
    return std::stod(text, &used);
  } catch (const std::exception&) {  // invalid_argument, out_of_range
    used = 0;
    return 0;
  }
}

}  // namespace neuroppa::base
