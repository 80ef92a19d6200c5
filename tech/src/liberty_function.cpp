#include "neuroppa/tech/liberty_function.hpp"

#include <algorithm>
#include <cctype>
#include <fmt/format.h>

#include "neuroppa/base/error.hpp"

namespace neuroppa::tech {

std::string BoolExpr::to_verilog(const std::function<std::string(std::string_view)>& rename) const {
  auto join = [&](const char* op) {
    std::string out = "(";
    for (std::size_t i = 0; i < operands.size(); ++i) {
      if (i) out += op;
      out += operands[i].to_verilog(rename);
    }
    return out + ")";
  };
  switch (op) {
    case Op::constant: return value ? "1'b1" : "1'b0";
    case Op::variable: return rename(name);
    case Op::negate: return "(~" + operands[0].to_verilog(rename) + ")";
    case Op::conjunction: return join(" & ");
    case Op::disjunction: return join(" | ");
    case Op::exclusive_or: return join(" ^ ");
  }
  return "";
}

std::vector<std::string> BoolExpr::variables() const {
  std::vector<std::string> out;
  const std::function<void(const BoolExpr&)> walk = [&](const BoolExpr& e) {
    if (e.op == Op::variable && std::find(out.begin(), out.end(), e.name) == out.end()) out.push_back(e.name);
    for (const auto& o : e.operands) walk(o);
  };
  walk(*this);
  return out;
}

bool BoolExpr::evaluate(const std::function<bool(std::string_view)>& value_of) const {
  switch (op) {
    case Op::constant: return value;
    case Op::variable: return value_of(name);
    case Op::negate: return !operands[0].evaluate(value_of);
    case Op::conjunction:
      return std::all_of(operands.begin(), operands.end(), [&](const BoolExpr& o) { return o.evaluate(value_of); });
    case Op::disjunction:
      return std::any_of(operands.begin(), operands.end(), [&](const BoolExpr& o) { return o.evaluate(value_of); });
    case Op::exclusive_or: {
      bool v = false;
      for (const auto& o : operands) v ^= o.evaluate(value_of);
      return v;
    }
  }
  return false;
}

namespace {

class FunctionParser {
 public:
  FunctionParser(std::string_view text, const std::string& context) : text_(text), context_(context) {}

  BoolExpr parse() {
    BoolExpr e = parse_or();
    skip_space();
    if (pos_ != text_.size()) throw error(fmt::format("unexpected '{}'", text_[pos_]));
    return e;
  }

 private:
  Error error(const std::string& what) const {
    return Error(fmt::format("{}: cannot read function \"{}\": {} at column {}", context_, text_, what, pos_ + 1));
  }
  void skip_space() {
    while (pos_ < text_.size() && std::isspace(static_cast<unsigned char>(text_[pos_]))) ++pos_;
  }
  char peek() {
    skip_space();
    return pos_ < text_.size() ? text_[pos_] : '\0';
  }
  static bool starts_operand(char c) {
    return c == '(' || c == '!' || std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '\\';
  }
  static BoolExpr combine(BoolExpr::Op op, BoolExpr lhs, BoolExpr rhs) {
    if (lhs.op == op) {
      lhs.operands.push_back(std::move(rhs));
      return lhs;
    }
    BoolExpr e;
    e.op = op;
    e.operands.push_back(std::move(lhs));
    e.operands.push_back(std::move(rhs));
    return e;
  }

  BoolExpr parse_or() {
    BoolExpr e = parse_and();
    while (peek() == '|' || peek() == '+') {
      ++pos_;
      e = combine(BoolExpr::Op::disjunction, std::move(e), parse_and());
    }
    return e;
  }
  BoolExpr parse_and() {
    BoolExpr e = parse_xor();
    while (true) {
      const char c = peek();
      if (c == '&' || c == '*') ++pos_;
      else if (!starts_operand(c)) break;  // juxtaposition: "A B" is A & B
      e = combine(BoolExpr::Op::conjunction, std::move(e), parse_xor());
    }
    return e;
  }
  BoolExpr parse_xor() {
    BoolExpr e = parse_unary();
    while (peek() == '^') {
      ++pos_;
      e = combine(BoolExpr::Op::exclusive_or, std::move(e), parse_unary());
    }
    return e;
  }
  // Nesting (parentheses and negations) is bounded: the parser and every
  // walk of the tree recurse once per level, and fuzzing overflowed the stack.
  static constexpr int kMaxDepth = 256;
  void deeper() {
    if (++depth_ > kMaxDepth) throw error(fmt::format("nested more than {} deep", kMaxDepth));
  }
  BoolExpr parse_unary() {
    if (peek() == '!') {
      ++pos_;
      deeper();
      BoolExpr e;
      e.op = BoolExpr::Op::negate;
      e.operands.push_back(parse_unary());
      --depth_;
      return e;
    }
    const int depth = depth_;
    BoolExpr e = parse_primary();
    while (peek() == '\'') {
      deeper();
      ++pos_;
      BoolExpr n;
      n.op = BoolExpr::Op::negate;
      n.operands.push_back(std::move(e));
      e = std::move(n);
    }
    depth_ = depth;
    return e;
  }
  BoolExpr parse_primary() {
    const char c = peek();
    if (c == '(') {
      ++pos_;
      deeper();
      BoolExpr e = parse_or();
      if (peek() != ')') throw error("missing ')'");
      ++pos_;
      --depth_;
      return e;
    }
    if (c == '\0') throw error("expression ends early");
    const std::size_t start = pos_;
    while (pos_ < text_.size()) {
      const char d = text_[pos_];
      if (std::isalnum(static_cast<unsigned char>(d)) || d == '_' || d == '[' || d == ']' || d == '.' || d == '\\') ++pos_;
      else break;
    }
    if (pos_ == start) throw error(fmt::format("unexpected '{}'", c));
    BoolExpr e;
    const std::string_view word = text_.substr(start, pos_ - start);
    if (word == "0" || word == "1") {
      e.op = BoolExpr::Op::constant;
      e.value = word == "1";
    } else {
      e.op = BoolExpr::Op::variable;
      e.name = std::string(word);
    }
    return e;
  }

  std::string_view text_;
  const std::string& context_;
  std::size_t pos_ = 0;
  int depth_ = 0;  // current nesting (deeper())
};

}  // namespace

BoolExpr parse_liberty_function(std::string_view text, const std::string& context) {
  return FunctionParser(text, context).parse();
}

}  // namespace neuroppa::tech
