#include "neuroppa/tech/specify.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdlib>
#include <fmt/format.h>
#include <optional>
#include <unordered_map>

#include "neuroppa/base/error.hpp"
#include "neuroppa/base/file.hpp"

namespace neuroppa::tech {
namespace {

struct Token {
  std::string text;
  int line = 0;
};

// Comments become spaces (newlines kept, for line numbers).
std::string without_comments(const std::string& text) {
  std::string out = text;
  for (std::size_t i = 0; i + 1 < out.size(); ++i) {
    if (out[i] == '/' && out[i + 1] == '/') {
      while (i < out.size() && out[i] != '\n') out[i++] = ' ';
    } else if (out[i] == '/' && out[i + 1] == '*') {
      const std::size_t end = out.find("*/", i + 2);
      const std::size_t stop = end == std::string::npos ? out.size() : end + 2;
      for (; i < stop; ++i)
        if (out[i] != '\n') out[i] = ' ';
      --i;
    }
  }
  return out;
}

// Identifiers (with $ and escaped names), numbers, compiler directives with
// the rest of their line, and single punctuation characters ("=>" is '=' '>').
std::vector<Token> tokenise(const std::string& text) {
  std::vector<Token> tokens;
  int line = 1;
  for (std::size_t i = 0; i < text.size();) {
    const char c = text[i];
    if (c == '\n') ++line;
    if (std::isspace(static_cast<unsigned char>(c))) {
      ++i;
      continue;
    }
    std::size_t j = i + 1;
    if (c == '`') {  // a directive: keep the whole line
      j = std::min(text.find('\n', i), text.size());
    } else if (c == '\\') {  // an escaped identifier, to the next white space
      while (j < text.size() && !std::isspace(static_cast<unsigned char>(text[j]))) ++j;
    } else if (std::isalpha(static_cast<unsigned char>(c)) || c == '_' || c == '$') {
      while (j < text.size() && (std::isalnum(static_cast<unsigned char>(text[j])) || text[j] == '_' || text[j] == '$')) ++j;
    } else if (std::isdigit(static_cast<unsigned char>(c)) || c == '.') {
      while (j < text.size()) {
        const char d = text[j];
        const bool exponent_sign = (d == '-' || d == '+') && (text[j - 1] == 'e' || text[j - 1] == 'E');
        if (!(std::isalnum(static_cast<unsigned char>(d)) || d == '.' || d == '_' || d == '\'' || exponent_sign)) break;
        ++j;
      }
    }
    tokens.push_back({text.substr(i, j - i), line});
    i = j;
  }
  return tokens;
}

class Parser {
 public:
  Parser(std::vector<Token> tokens, std::string source) : tokens_(std::move(tokens)), source_(std::move(source)) {}

  SpecifyDelays run() {
    SpecifyDelays out;
    std::string module;
    while (pos_ < tokens_.size()) {
      const Token& t = tokens_[pos_++];
      if (t.text.rfind("`timescale", 0) == 0) {
        timescale(t);
      } else if (t.text == "module" || t.text == "macromodule") {
        if (pos_ >= tokens_.size()) fail(t, "a module without a name");
        module = tokens_[pos_++].text;
        specparams_.clear();
      } else if (t.text == "specify") {
        if (module.empty()) fail(t, "a specify block outside a module");
        specify(t, out.cells[module]);
      } else if (t.text == "endmodule") {
        module.clear();
      }
    }
    for (auto it = out.cells.begin(); it != out.cells.end();)
      it = it->second.empty() ? out.cells.erase(it) : std::next(it);
    return out;
  }

 private:
  std::vector<Token> tokens_;
  std::string source_;
  std::size_t pos_ = 0;
  double unit_ = 1e-9;  // s; Verilog simulators' usual default, and the OSU and SKY130 models' `timescale
  double precision_ = 0;  // s: delays are rounded to it, as a Verilog simulator does (0: not rounded)
  std::unordered_map<std::string, double> specparams_;  // of the module being read, in its units

  [[noreturn]] void fail(const Token& t, const std::string& what) const {
    throw Error(fmt::format("{}:{}: {}", source_, t.line, what));
  }

  // `timescale 1ns/10ps: the unit delays are given in, and the precision they are rounded to.
  void timescale(const Token& t) {
    std::string spec = t.text.substr(std::string("`timescale").size());
    spec.erase(std::remove_if(spec.begin(), spec.end(), [](unsigned char c) { return std::isspace(c); }), spec.end());
    const std::size_t slash = spec.find('/');
    if (slash == std::string::npos) fail(t, fmt::format("`timescale '{}': expected UNIT/PRECISION", spec));
    unit_ = time_of(t, spec, spec.substr(0, slash));
    precision_ = time_of(t, spec, spec.substr(slash + 1));
  }

  double time_of(const Token& t, const std::string& spec, const std::string& text) const {
    std::size_t digits = 0;
    while (digits < text.size() && std::isdigit(static_cast<unsigned char>(text[digits]))) ++digits;
    const std::string magnitude = text.substr(0, digits), name = text.substr(digits);
    static const std::pair<const char*, double> kUnits[] = {{"s", 1}, {"ms", 1e-3}, {"us", 1e-6}, {"ns", 1e-9}, {"ps", 1e-12}, {"fs", 1e-15}};
    for (const auto& [n, seconds] : kUnits)
      if (name == n && (magnitude == "1" || magnitude == "10" || magnitude == "100")) return std::stod(magnitude) * seconds;
    fail(t, fmt::format("`timescale '{}': expected 1, 10 or 100 of s, ms, us, ns, ps or fs", spec));
  }

  // A delay in seconds, rounded to the precision as the simulator rounds it (half away from zero).
  double seconds(double units) const {
    const double s = units * unit_;
    return precision_ > 0 ? std::round(s / precision_) * precision_ : s;
  }

  // The tokens of one statement, to its ';' (not included).
  std::vector<Token> statement(const Token& start) {
    std::vector<Token> out;
    while (pos_ < tokens_.size() && tokens_[pos_].text != ";") {
      if (tokens_[pos_].text == "endspecify") fail(start, "a statement in the specify block without its ';'");
      out.push_back(tokens_[pos_++]);
    }
    if (pos_ >= tokens_.size()) fail(start, "the specify block is never closed (no endspecify)");
    ++pos_;  // the ';'
    return out;
  }

  void specify(const Token& start, std::vector<ArcDelay>& arcs) {
    for (;;) {
      if (pos_ >= tokens_.size()) fail(start, "the specify block is never closed (no endspecify)");
      const Token& first = tokens_[pos_];
      if (first.text == "endspecify") {
        ++pos_;
        return;
      }
      std::vector<Token> s = statement(first);
      if (s.empty() || s[0].text[0] == '$' || s[0].text == "pulsestyle_onevent" || s[0].text == "pulsestyle_ondetect" ||
          s[0].text == "showcancelled" || s[0].text == "noshowcancelled")
        continue;  // timing checks and pulse styles
      if (s[0].text == "specparam") {
        define(s);
        continue;
      }
      path(s, arcs);
    }
  }

  // specparam a = 1:2:3, b = 0.5
  void define(const std::vector<Token>& s) {
    std::size_t i = 1;
    while (i < s.size()) {
      if (i + 1 >= s.size() || s[i + 1].text != "=") fail(s[i], "expected 'name = value' in a specparam");
      const std::string name = s[i].text;
      std::size_t end = i + 2;
      int depth = 0;
      while (end < s.size() && !(depth == 0 && s[end].text == ",")) {
        depth += s[end].text == "(" ? 1 : s[end].text == ")" ? -1 : 0;
        ++end;
      }
      specparams_[name] = value(s, i + 2, end);
      i = end + 1;
    }
  }

  // A delay of tokens [begin, end): a number, a specparam, or min:typ:max of them (the typical).
  double value(const std::vector<Token>& s, std::size_t begin, std::size_t end) const {
    if (begin >= end) fail(s[std::min(begin, s.size() - 1)], "an empty delay value");
    std::vector<std::string> parts(1);
    for (std::size_t i = begin; i < end; ++i) {
      if (s[i].text == ":") parts.emplace_back();
      else if (s[i].text != "(" && s[i].text != ")") parts.back() += s[i].text;
    }
    if (parts.size() != 1 && parts.size() != 3)
      fail(s[begin], fmt::format("delay value with {} parts: expected one or min:typ:max", parts.size()));
    const std::string& typ = parts.size() == 3 ? parts[1] : parts[0];
    if (const auto it = specparams_.find(typ); it != specparams_.end()) return it->second;
    const bool negative = !typ.empty() && typ[0] == '-';
    const std::string digits = negative || (!typ.empty() && typ[0] == '+') ? typ.substr(1) : typ;
    if (const auto it = specparams_.find(digits); it != specparams_.end()) return negative ? -it->second : it->second;
    char* stop = nullptr;
    const double v = std::strtod(digits.c_str(), &stop);
    if (digits.empty() || *stop != '\0' || !std::isfinite(v)) {
      const bool name = !digits.empty() && (std::isalpha(static_cast<unsigned char>(digits[0])) || digits[0] == '_');
      fail(s[begin], name ? fmt::format("'{}' is not a specparam of this module", digits)
                          : fmt::format("'{}' is not a number", typ));
    }
    return negative ? -v : v;
  }

  // [if (cond) | ifnone] ([edge] A, B [+|-]=> or *> Y or (Y [+|-]: D)) = (rise, fall, ...) or = delay
  void path(const std::vector<Token>& s, std::vector<ArcDelay>& arcs) {
    std::size_t i = 0;
    if (s[i].text == "ifnone") {
      ++i;
    } else if (s[i].text == "if") {
      i = after_parens(s, i + 1);
    }
    if (i >= s.size() || s[i].text != "(") fail(s[std::min(i, s.size() - 1)], "expected a path '(' in the specify block");
    const std::size_t close = after_parens(s, i);  // one past the ')'
    std::vector<std::string> from, to;
    bool arrow = false;
    for (std::size_t k = i + 1; k + 1 < close; ++k) {
      const std::string& t = s[k].text;
      if (t == "posedge" || t == "negedge" || t == "edge" || t == "," || t == "+" || t == "-") continue;
      if (t == "[") {  // a bit select: skip it
        while (k + 1 < close && s[k].text != "]") ++k;
        continue;
      }
      if ((t == "=" || t == "*") && k + 1 < close && s[k + 1].text == ">") {
        arrow = true;
        ++k;
        continue;
      }
      if (t == "(") {  // a data destination (Q : D): Q is the output
        if (!arrow || k + 1 >= close) fail(s[k], "malformed path");
        to.push_back(s[k + 1].text);
        k = after_parens(s, k) - 1;
        continue;
      }
      if (t == ":" || t == ")") continue;
      (arrow ? to : from).push_back(t);
    }
    if (!arrow || from.empty() || to.empty()) fail(s[i], "malformed path: expected (inputs => outputs) or *>");
    if (close >= s.size() || s[close].text != "=") fail(s[std::min(close, s.size() - 1)], "expected '=' after the path");
    // The delays: (d1, d2, ...) or one delay.
    std::vector<double> delays;
    std::size_t k = close + 1;
    const bool listed = k < s.size() && s[k].text == "(";
    const std::size_t end = listed ? after_parens(s, k) - 1 : s.size();
    if (listed) ++k;
    while (k < end) {
      std::size_t stop = k;
      int depth = 0;
      while (stop < end && !(depth == 0 && s[stop].text == ",")) {
        depth += s[stop].text == "(" ? 1 : s[stop].text == ")" ? -1 : 0;
        ++stop;
      }
      delays.push_back(value(s, k, stop));
      k = stop + 1;
    }
    if (delays.empty()) fail(s[close], "a path without a delay");
    // One value: both; two or more: rise (0->1) and fall (1->0) first, as Verilog orders them.
    const double rise = seconds(delays[0]), fall = seconds(delays.size() > 1 ? delays[1] : delays[0]);
    for (const std::string& a : from)
      for (const std::string& b : to) add(arcs, {a, b, rise, fall});
  }

  // Conditional variants of one arc keep the slowest rise and fall.
  static void add(std::vector<ArcDelay>& arcs, const ArcDelay& d) {
    for (ArcDelay& a : arcs)
      if (a.from == d.from && a.to == d.to) {
        a.rise = std::max(a.rise, d.rise);
        a.fall = std::max(a.fall, d.fall);
        return;
      }
    arcs.push_back(d);
  }

  // The index after the ')' matching the '(' at `open`.
  std::size_t after_parens(const std::vector<Token>& s, std::size_t open) const {
    if (open >= s.size() || s[open].text != "(") fail(s[std::min(open, s.size() - 1)], "expected '('");
    int depth = 0;
    for (std::size_t k = open; k < s.size(); ++k) {
      depth += s[k].text == "(" ? 1 : s[k].text == ")" ? -1 : 0;
      if (depth == 0) return k + 1;
    }
    fail(s[open], "unbalanced parentheses");
  }
};

}  // namespace

SpecifyDelays parse_specify(const std::string& text, const std::string& source) {
  SpecifyDelays out = Parser(tokenise(without_comments(text)), source).run();
  out.path = source;
  if (out.cells.empty())
    throw Error(fmt::format("{}: no module with path delays in a specify block (not a Verilog cell library with "
                            "timing)",
                            source));
  return out;
}

SpecifyDelays read_specify(const std::filesystem::path& path) {
  return parse_specify(base::read_file(path), path.string());
}

ArcDelays specify_arc_delays(const Netlist& netlist, const SpecifyDelays& delays, bool allow_missing) {
  ArcDelays out;
  out.per_instance.resize(netlist.instances.size());
  for (std::size_t i = 0; i < netlist.instances.size(); ++i) {
    const Netlist::Instance& instance = netlist.instances[i];
    const auto it = delays.cells.find(instance.cell->name);
    if (it == delays.cells.end()) {
      if (allow_missing) continue;
      throw Error(fmt::format("{}: no path delays for cell {} (instance {}): the Verilog models of another library?",
                              delays.path.string(), instance.cell->name, instance.name));
    }
    out.per_instance[i] = it->second;
  }
  return out;
}

}  // namespace neuroppa::tech
