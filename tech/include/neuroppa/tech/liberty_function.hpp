// Liberty boolean expressions (pin `function`, ff `next_state`, `when`
// conditions): parsed once into a tree that can be printed as Verilog and
// evaluated.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace neuroppa::tech {

struct BoolExpr {
  enum class Op { constant, variable, negate, conjunction, disjunction, exclusive_or };
  Op op = Op::constant;
  bool value = false;        // constant
  std::string name;          // variable: a pin or internal state name
  std::vector<BoolExpr> operands;

  // Verilog text, with variables renamed by `rename`.
  std::string to_verilog(const std::function<std::string(std::string_view)>& rename) const;
  // Every variable name, once each, in order of first use.
  std::vector<std::string> variables() const;
  bool evaluate(const std::function<bool(std::string_view)>& value_of) const;
};

// Parses Liberty syntax: ! and ' (not), ^ (xor), & * or juxtaposition (and),
// | + (or), parentheses, 0 and 1; precedence in that order. Throws
// neuroppa::Error naming `context` (e.g. "cell NAND2X1 pin Y") on bad syntax.
BoolExpr parse_liberty_function(std::string_view text, const std::string& context);

}  // namespace neuroppa::tech
