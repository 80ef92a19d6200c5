#include "neuroppa/tech/activity_file.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <fmt/format.h>
#include <unordered_map>

#include "neuroppa/base/error.hpp"
#include "neuroppa/base/file.hpp"
#include "neuroppa/tech/liberty_syntax.hpp"
#include "words.hpp"

namespace neuroppa::tech {
namespace fs = std::filesystem;

namespace {

double time_unit(std::string_view unit, const fs::path& path, int line) {
  static const std::pair<std::string_view, double> units[] = {{"s", 1},      {"ms", 1e-3},  {"us", 1e-6},
                                                              {"ns", 1e-9},  {"ps", 1e-12}, {"fs", 1e-15}};
  for (const auto& [name, scale] : units)
    if (unit == name) return scale;
  throw Error(fmt::format("{}:{}: unknown time unit '{}'", path.string(), line, unit));
}

std::string strip_escape(std::string_view name) {
  return std::string(!name.empty() && name[0] == '\\' ? name.substr(1) : name);
}

// One bit of a VCD variable: its value and running totals.
struct BitState {
  char value = 'x';
  std::uint64_t since = 0;  // time of the last change, in timescale units
  std::uint64_t toggles = 0;
  std::uint64_t x_transitions = 0;  // x/z -> 0/1, the first value of the dump included
  std::uint64_t high = 0;
};

struct VcdVar {
  std::string scope, name;
  int msb = 0, lsb = 0;
  bool vector = false;
  std::size_t first_bit = 0;  // into the id's bits
};

}  // namespace

ActivityFile read_vcd(const fs::path& path) {
  Words words(path);
  ActivityFile file;
  file.path = path;
  double timescale = 1e-9;
  std::vector<std::string> scope;
  std::unordered_map<std::string, std::vector<BitState>> bits_of;  // by id code
  std::vector<std::pair<std::string, VcdVar>> vars;                // id, var
  const auto error = [&](const std::string& what) {
    return Error(fmt::format("{}:{}: {}", path.string(), words.line(), what));
  };
  const auto skip_to_end = [&] {
    std::string w;
    while (words.next(w))
      if (w == "$end") return;
    throw error("a $ section is not closed by $end");
  };
  std::string w;
  bool definitions = true;
  std::string value;
  std::uint64_t now = 0, start = 0;
  bool started = false;
  const auto change = [&](std::string_view id, std::string_view value) {
    auto it = bits_of.find(std::string(id));
    if (it == bits_of.end()) throw error(fmt::format("value change for undeclared identifier '{}'", id));
    auto& bits = it->second;
    for (std::size_t i = 0; i < bits.size(); ++i) {
      // value's last char is bit 0; shorter values extend with 0 (or x/z).
      char v = i < value.size() ? value[value.size() - 1 - i] : (value[0] == 'x' || value[0] == 'z' ? value[0] : '0');
      v = static_cast<char>(std::tolower(static_cast<unsigned char>(v)));
      BitState& b = bits[i];
      if (v == b.value) continue;
      if (b.value == '1') b.high += now - b.since;
      if ((b.value == '0' && v == '1') || (b.value == '1' && v == '0')) ++b.toggles;
      else if ((b.value == 'x' || b.value == 'z') && (v == '0' || v == '1')) ++b.x_transitions;
      b.value = v;
      b.since = now;
    }
  };
  while (words.next(w)) {
    if (definitions) {
      if (w == "$timescale") {
        std::string spec;
        while (words.next(w) && w != "$end") spec += std::string(w);
        std::size_t digits = 0;
        while (digits < spec.size() && std::isdigit(static_cast<unsigned char>(spec[digits]))) ++digits;
        if (digits == 0 || digits > 4) throw error(fmt::format("bad $timescale '{}'", spec));  // 1, 10, 100
        timescale = std::stod(spec.substr(0, digits)) * time_unit(spec.substr(digits), path, words.line());
      } else if (w == "$scope") {
        std::string kind, name;
        if (!words.next(kind) || !words.next(name)) throw error("$scope without a name");
        scope.push_back(strip_escape(name));
        skip_to_end();
      } else if (w == "$upscope") {
        if (scope.empty()) throw error("$upscope without a $scope");
        scope.pop_back();
        skip_to_end();
      } else if (w == "$var") {
        std::string type, size_text, id, name, range;
        if (!words.next(type) || !words.next(size_text) || !words.next(id) || !words.next(name))
          throw error("$var needs a type, size, identifier and name");
        int size = 0;
        try {
          size = std::stoi(size_text);
        } catch (const std::exception&) {
          throw error(fmt::format("$var size '{}' is not a number", size_text));
        }
        // Bounded before anything is allocated from it.
        constexpr int kMaxVarBits = 1 << 20;
        if (size < 1 || size > kMaxVarBits)
          throw error(fmt::format("$var size {} is out of range (1..{} bits)", size, kMaxVarBits));
        VcdVar v;
        v.name = strip_escape(name);
        std::string joined;
        for (const auto& s : scope) joined += (joined.empty() ? "" : "/") + s;
        v.scope = joined;
        if (words.next(range) && range != "$end") {
          int msb = 0, lsb = 0;
          if (std::sscanf(std::string(range).c_str(), "[%d:%d]", &msb, &lsb) == 2) {
            v.vector = true;
            v.msb = msb;
            v.lsb = lsb;
          } else if (std::sscanf(std::string(range).c_str(), "[%d]", &msb) == 1) {
            v.vector = true;
            v.msb = v.lsb = msb;
          }
          skip_to_end();
        }
        if (type == "real" || type == "string" || type == "event") continue;
        if (v.vector && std::abs(v.msb - v.lsb) + 1 != size) throw error(fmt::format("$var {} range does not match its size {}", v.name, size));
        auto& bits = bits_of[id];
        if (bits.empty()) bits.resize(static_cast<std::size_t>(std::max(size, 1)));
        vars.emplace_back(id, v);
      } else if (w == "$enddefinitions") {
        skip_to_end();
        definitions = false;
      } else if (w[0] == '$') {
        skip_to_end();
      }
      continue;
    }
    switch (w[0]) {
      case '#': {
        // Digits only: stoull took "#2.1e+09" for 2 and "#-1" for 2^64 - 1.
        std::uint64_t t = 0;
        const char* first = w.data() + 1;
        const char* last = w.data() + w.size();
        const auto [end, ec] = std::from_chars(first, last, t);
        if (first == last || ec != std::errc() || end != last)
          throw error(fmt::format("bad time '{}': give a whole number of time units", w));
        if (started && t < now) throw error(fmt::format("time goes back from {} to {}", now, t));
        if (!started) start = t;
        started = true;
        now = t;
        break;
      }
      case '0': case '1': case 'x': case 'X': case 'z': case 'Z':
        change(std::string_view(w).substr(1), std::string_view(w).substr(0, 1));
        break;
      case 'b': case 'B': {
        value = w;  // w is reused for the identifier
        if (!words.next(w)) throw error("vector value without an identifier");
        change(w, std::string_view(value).substr(1));
        break;
      }
      case 'r': case 'R': {
        if (!words.next(w)) throw error("real value without an identifier");
        break;
      }
      case '$':
        if (w == "$comment") skip_to_end();
        break;  // $dumpvars, $dumpall, $end ...: the values inside are ordinary changes
      default:
        throw error(fmt::format("unexpected '{}'", w));
    }
  }
  if (definitions) throw error("no $enddefinitions: the file is truncated or not a VCD");
  file.duration = double(now - start) * timescale;
  for (const auto& [id, v] : vars) {
    const auto& bits = bits_of[id];
    auto& signals = file.scopes[v.scope];
    for (std::size_t i = 0; i < bits.size(); ++i) {
      const BitState& b = bits[i];
      const std::uint64_t high = b.high + (b.value == '1' ? now - b.since : 0);
      const int index = v.msb >= v.lsb ? v.lsb + int(i) : v.lsb - int(i);
      const std::string name = v.vector ? fmt::format("{}[{}]", v.name, index) : v.name;
      signals[name] = SignalActivity{b.toggles, b.x_transitions, double(high) * timescale};
    }
  }
  return file;
}

namespace {

// S-expression atoms and parentheses of a SAIF file; a backslash escapes
// the next character (SAIF writes dpath\.a\[0\]).
struct SaifToken {
  enum Kind { open, close, atom, end } kind = end;
  std::string text;
  int line = 0;
};

// Characters of a file read piece by piece (a SAIF of a long run may be
// large), for the SAIF lexer.
class Chars {
 public:
  explicit Chars(const fs::path& path) : in_(path), buffer_(1 << 20, '\0') {}
  // The next character, or -1 at the end of the file.
  int peek() {
    if (pos_ == end_) {
      end_ = in_.read(buffer_.data(), buffer_.size());
      pos_ = 0;
      if (end_ == 0) return -1;
    }
    return static_cast<unsigned char>(buffer_[pos_]);
  }
  void skip() { ++pos_; }

 private:
  base::InputFile in_;
  std::string buffer_;
  std::size_t pos_ = 0, end_ = 0;
};

class SaifLexer {
 public:
  explicit SaifLexer(const fs::path& path) : chars_(path), path_(path) {}
  SaifToken next() {
    int c;
    while ((c = chars_.peek()) >= 0 && std::isspace(c)) {
      line_ += c == '\n';
      chars_.skip();
    }
    SaifToken t;
    t.line = line_;
    if (c < 0) return t;
    if (c == '(' || c == ')') {
      chars_.skip();
      t.kind = c == '(' ? SaifToken::open : SaifToken::close;
      return t;
    }
    t.kind = SaifToken::atom;
    if (c == '"') {
      chars_.skip();
      while ((c = chars_.peek()) != '"') {
        if (c < 0) throw Error(fmt::format("{}:{}: string is not closed", path_.string(), t.line));
        line_ += c == '\n';
        append(t, c);
      }
      chars_.skip();
      return t;
    }
    while ((c = chars_.peek()) >= 0 && !std::isspace(c) && c != '(' && c != ')') {
      if (c == '\\') {
        chars_.skip();
        if ((c = chars_.peek()) < 0) break;
      }
      append(t, c);
    }
    return t;
  }

 private:
  static constexpr std::size_t kMaxAtom = 1 << 16;  // names and numbers; more is not a SAIF
  void append(SaifToken& t, int c) {
    if (t.text.size() == kMaxAtom)
      throw Error(fmt::format("{}:{}: a name or string of more than {} characters", path_.string(), t.line, kMaxAtom));
    t.text += static_cast<char>(c);
    chars_.skip();
  }
  Chars chars_;
  fs::path path_;
  int line_ = 1;
};

class SaifReader {
 public:
  explicit SaifReader(const fs::path& path) : lex_(path), path_(path) {}

  ActivityFile read() {
    ActivityFile file;
    file.path = path_;
    expect_open();
    if (expect_atom() != "SAIFILE") throw error("not a SAIF file (no SAIFILE)");
    std::vector<std::string> scope;
    parse_body(file, scope, 0);
    if (timescale_ == 0) throw error("no TIMESCALE");
    file.duration = duration_ * timescale_;
    for (auto& [scope_name, signals] : file.scopes)
      for (auto& [name, s] : signals) s.high_time *= timescale_;
    return file;
  }

 private:
  Error error(const std::string& what) const { return Error(fmt::format("{}:{}: {}", path_.string(), tok_.line, what)); }
  void advance() { tok_ = lex_.next(); }
  void expect_open() {
    advance();
    if (tok_.kind != SaifToken::open) throw error("expected '('");
  }
  std::string expect_atom() {
    advance();
    if (tok_.kind != SaifToken::atom) throw error("expected a name");
    return tok_.text;
  }
  // Skips the rest of a group whose '(' and keyword were read.
  void skip_group() {
    int depth = 1;
    while (depth > 0) {
      advance();
      if (tok_.kind == SaifToken::end) throw error("a group is not closed (missing ')')");
      depth += tok_.kind == SaifToken::open ? 1 : tok_.kind == SaifToken::close ? -1 : 0;
    }
  }
  double number(const std::string& s) const {
    try {
      return std::stod(s);
    } catch (const std::exception&) {
      throw error(fmt::format("'{}' is not a number", s));
    }
  }

  // Groups inside a SAIFILE or INSTANCE until the closing ')'.
  void parse_body(ActivityFile& file, std::vector<std::string>& scope, int depth) {
    while (true) {
      advance();
      if (tok_.kind == SaifToken::close) return;
      if (tok_.kind == SaifToken::end) {
        if (depth == 0) throw error("the file ends inside SAIFILE (truncated?)");
        throw error("an INSTANCE is not closed (missing ')')");
      }
      if (tok_.kind != SaifToken::open) continue;  // atoms of the enclosing group (its name)
      const std::string key = expect_atom();
      if (key == "TIMESCALE") {
        std::string value = expect_atom();
        advance();
        if (tok_.kind == SaifToken::atom) {
          value += tok_.text;
          advance();
        }
        std::size_t digits = 0;
        while (digits < value.size() && std::isdigit(static_cast<unsigned char>(value[digits]))) ++digits;
        timescale_ = number(value.substr(0, digits)) * time_unit(value.substr(digits), path_, tok_.line);
        if (tok_.kind != SaifToken::close) skip_group();
      } else if (key == "DURATION") {
        duration_ = number(expect_atom());
        skip_group();
      } else if (key == "INSTANCE") {
        std::string name = expect_atom();
        if (name.empty()) throw error("INSTANCE without a name");
        if (depth >= kMaxDepth) throw error(fmt::format("INSTANCEs nested more than {} deep", kMaxDepth));
        scope.push_back(name);
        parse_body(file, scope, depth + 1);
        scope.pop_back();
      } else if (key == "NET" || key == "PORT") {
        parse_nets(file, scope);
      } else {
        skip_group();
      }
    }
  }

  void parse_nets(ActivityFile& file, const std::vector<std::string>& scope) {
    std::string joined;
    for (const auto& s : scope) joined += (joined.empty() ? "" : "/") + s;
    auto& signals = file.scopes[joined];
    while (true) {
      advance();
      if (tok_.kind == SaifToken::close) return;
      if (tok_.kind != SaifToken::open) throw error("expected a net entry '('");
      const std::string name = expect_atom();
      SignalActivity s;
      while (true) {
        advance();
        if (tok_.kind == SaifToken::close) break;
        if (tok_.kind != SaifToken::open) throw error(fmt::format("expected '(' in net {}", name));
        const std::string field = expect_atom();
        const double value = number(expect_atom());
        if ((field == "TC" || field == "T1") && !(value >= 0 && value < 1e19))
          throw error(fmt::format("net {}: {} {} is out of range (0 .. 1e19)", name, field, value));
        if (field == "TC") s.toggles = static_cast<std::uint64_t>(value);
        else if (field == "T1") s.high_time = value;
        skip_group();
      }
      signals[name] = s;
    }
  }

  static constexpr int kMaxDepth = 256;  // a design hierarchy; the parser recurses per level
  SaifLexer lex_;
  const fs::path& path_;
  SaifToken tok_;
  double timescale_ = 0, duration_ = 0;
};

}  // namespace

// Read as a stream: memory grows with the nets, not the file.
ActivityFile read_saif(const fs::path& path) { return SaifReader(path).read(); }

namespace {

// The scopes worth suggesting: those naming nets of the netlist, most
// first, at most eight.
std::string scope_list(const ActivityFile& file, const Netlist& netlist) {
  std::vector<std::pair<long, std::string>> ranked;
  for (const auto& [name, signals] : file.scopes) {
    long matches = 0;
    for (const auto& [signal, s] : signals) matches += netlist.net_by_name.count(signal);
    if (matches > 0) ranked.emplace_back(-matches, name.empty() ? "(top)" : name);
  }
  std::sort(ranked.begin(), ranked.end());
  std::string list;
  for (std::size_t i = 0; i < ranked.size() && i < 8; ++i) list += (i ? ", " : "") + ranked[i].second;
  if (ranked.size() > 8) list += fmt::format(" and {} more", ranked.size() - 8);
  if (list.empty()) list = fmt::format("none of the file's {} scopes names a net of {}", file.scopes.size(), netlist.top);
  return list;
}

}  // namespace

std::string choose_scope(const Netlist& netlist, const ActivityFile& file, const std::string& scope) {
  if (!scope.empty()) {
    if (!file.scopes.count(scope))
      throw Error(fmt::format("{}: no scope '{}'; scopes: {}", file.path.string(), scope, scope_list(file, netlist)));
    return scope;
  }
  std::string chosen;
  long best = 0;
  bool tie = false;
  for (const auto& [name, signals] : file.scopes) {
    long matches = 0;
    for (const auto& [signal, s] : signals) matches += netlist.net_by_name.count(signal);
    if (matches > best) {
      best = matches;
      chosen = name;
      tie = false;
    } else if (matches == best && matches > 0) {
      tie = true;
    }
  }
  if (best == 0)
    throw Error(fmt::format("{}: no scope names a net of {}; scopes: {}", file.path.string(), netlist.top, scope_list(file, netlist)));
  if (tie)
    throw Error(fmt::format("{}: several scopes name as many nets of {}; choose one with --scope ({})",
                            file.path.string(), netlist.top, scope_list(file, netlist)));
  return chosen;
}

Activity annotate(const Netlist& netlist, const ActivityFile& file, const std::string& scope, const std::string& clock,
                  double period, bool allow_partial, Annotation& annotation, XTransitions x_transitions) {
  if (!(period > 0)) throw Error(fmt::format("clock period {} s: must be positive", period));
  if (!(file.duration > 0)) throw Error(fmt::format("{}: records no time (duration 0)", file.path.string()));
  const std::string chosen = choose_scope(netlist, file, scope);
  const auto it = file.scopes.find(chosen);

  Activity a;
  a.cycles = static_cast<std::uint64_t>(std::llround(file.duration / period));
  if (a.cycles == 0) throw Error(fmt::format("{}: records {} s, less than one clock period", file.path.string(), file.duration));
  a.toggles.assign(netlist.net_count(), 0);
  a.high_cycles.assign(netlist.net_count(), 0);
  std::vector<bool> annotated(netlist.net_count(), false);
  for (const auto& [name, s] : it->second) {
    const auto net = netlist.net_by_name.find(name);
    if (net == netlist.net_by_name.end() || annotated[net->second]) continue;
    annotated[net->second] = true;
    a.toggles[net->second] = s.toggles;
    a.high_cycles[net->second] = static_cast<std::uint64_t>(std::llround(s.high_time / period));
    if (x_transitions == XTransitions::half) {
      a.toggles[net->second] = 2 * s.toggles + s.x_transitions;
      a.high_cycles[net->second] = static_cast<std::uint64_t>(std::llround(2 * s.high_time / period));
    }
  }
  if (x_transitions == XTransitions::half) a.cycles *= 2;
  if (const Netlist::Port* clk = netlist.find_port(clock))
    for (int net : clk->bits)
      if (net >= 0) a.clock_nets.push_back(net);

  annotation = Annotation{};
  annotation.scope = chosen;
  annotation.cycles = file.duration / period;
  annotation.nets = netlist.net_count();
  for (bool b : annotated) annotation.nets_annotated += b;
  for (const auto& inst : netlist.instances)
    for (const auto& c : inst.connections) {
      ++annotation.pins;
      if (c.net < 0) ++annotation.pins_constant;
      else if (annotated[c.net]) ++annotation.pins_annotated;
    }
  const long missing = annotation.pins - annotation.pins_annotated - annotation.pins_constant;
  if (missing > 0 && !allow_partial)
    throw Error(fmt::format("{}: scope '{}' annotates only {} of {} pins of {} ({} pins' nets are not in it); check the "
                            "scope, or allow partial annotation to price those nets as idle; scopes: {}",
                            file.path.string(), chosen, annotation.pins_annotated, annotation.pins, netlist.top,
                            missing, scope_list(file, netlist)));
  if (annotation.pins_annotated == 0 && annotation.pins > 0)
    throw Error(fmt::format("{}: scope '{}' annotates no pin of {}; scopes: {}", file.path.string(), chosen,
                            netlist.top, scope_list(file, netlist)));
  return a;
}

}  // namespace neuroppa::tech
