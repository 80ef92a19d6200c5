#include "neuroppa/tech/sdf.hpp"

#include <fmt/format.h>

#include <cctype>
#include <cmath>
#include <unordered_map>

#include "neuroppa/base/error.hpp"
#include "neuroppa/base/file.hpp"
#include "neuroppa/base/text.hpp"

namespace neuroppa::tech {

namespace {

// The file as a tree of parenthesised lists; atoms keep their text with
// escapes resolved ("\$abc" -> "$abc"), strings their text without quotes.
struct Node {
  std::string atom;  // empty for a list
  bool is_list = false;
  std::vector<Node> items;
  int line = 0;
};

class Parser {
 public:
  Parser(const std::string& text, const std::string& source) : text_(text), source_(source) {}

  Node parse() {
    skip_space();
    if (at_ >= text_.size() || text_[at_] != '(') fail("expected '(' to start the DELAYFILE");
    Node root = list(0);
    skip_space();
    if (at_ < text_.size()) fail("text after the end of the DELAYFILE");
    return root;
  }

  [[noreturn]] void fail(const std::string& what) const { throw Error(fmt::format("{}:{}: {}", source_, line_, what)); }

 private:
  void skip_space() {
    while (at_ < text_.size()) {
      const char c = text_[at_];
      if (c == '\n') ++line_;
      if (std::isspace(static_cast<unsigned char>(c))) {
        ++at_;
      } else if (c == '/' && at_ + 1 < text_.size() && text_[at_ + 1] == '/') {
        while (at_ < text_.size() && text_[at_] != '\n') ++at_;
      } else if (c == '/' && at_ + 1 < text_.size() && text_[at_ + 1] == '*') {
        const std::size_t end = text_.find("*/", at_ + 2);
        if (end == std::string::npos) fail("unterminated comment");
        for (std::size_t i = at_; i < end; ++i) line_ += text_[i] == '\n';
        at_ = end + 2;
      } else {
        return;
      }
    }
  }

  // Nesting is bounded so that hostile input cannot exhaust the stack.
  Node list(int depth) {
    if (depth > 64) fail("lists nested more than 64 deep");
    Node n;
    n.is_list = true;
    n.line = line_;
    ++at_;  // '('
    for (;;) {
      skip_space();
      if (at_ >= text_.size()) fail(fmt::format("unbalanced parentheses: the list opened on line {} is not closed", n.line));
      const char c = text_[at_];
      if (c == ')') {
        ++at_;
        return n;
      }
      if (c == '(') {
        n.items.push_back(list(depth + 1));
      } else if (c == '"') {
        n.items.push_back(string());
      } else {
        n.items.push_back(atom());
      }
    }
  }

  Node string() {
    Node n;
    n.line = line_;
    const std::size_t end = text_.find('"', at_ + 1);
    if (end == std::string::npos) fail("unterminated string");
    n.atom = text_.substr(at_ + 1, end - at_ - 1);
    for (char c : n.atom) line_ += c == '\n';
    at_ = end + 1;
    return n;
  }

  Node atom() {
    Node n;
    n.line = line_;
    while (at_ < text_.size()) {
      const char c = text_[at_];
      if (c == '\\' && at_ + 1 < text_.size()) {
        n.atom += text_[at_ + 1];
        at_ += 2;
        continue;
      }
      if (std::isspace(static_cast<unsigned char>(c)) || c == '(' || c == ')' || c == '"') break;
      n.atom += c;
      ++at_;
    }
    return n;
  }

  const std::string& text_;
  const std::string& source_;
  std::size_t at_ = 0;
  int line_ = 1;
};

std::string keyword(const Node& n) {
  if (!n.is_list || n.items.empty() || n.items[0].is_list) return {};
  std::string k = n.items[0].atom;
  for (auto& c : k) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return k;
}

class Reader {
 public:
  Reader(const std::string& source, const Netlist& netlist, const InstanceNamer& names)
      : source_(source), netlist_(netlist) {
    for (std::size_t i = 0; i < netlist.instances.size(); ++i)
      index_[names ? names(i) : netlist.instances[i].name] = i;
    out_.per_instance.resize(netlist.instances.size());
  }

  ArcDelays read(const Node& root) {
    if (keyword(root) != "DELAYFILE") fail(root, "not an SDF file: it must start with (DELAYFILE");
    for (const Node& item : root.items) {
      const std::string k = keyword(item);
      if (k == "TIMESCALE") timescale(item);
      if (k == "DIVIDER" && item.items.size() == 2) divider_ = item.items[1].atom;
      if (k == "CELL") cell(item);
    }
    return std::move(out_);
  }

 private:
  [[noreturn]] void fail(const Node& n, const std::string& what) const {
    throw Error(fmt::format("{}:{}: {}", source_, n.line, what));
  }

  void timescale(const Node& n) {
    std::string text;
    for (std::size_t i = 1; i < n.items.size(); ++i) text += n.items[i].atom;
    std::size_t used = 0;
    const double number = base::leading_number(text, used);
    const std::string unit = text.substr(used);
    const double scale = unit == "s" ? 1 : unit == "ms" ? 1e-3 : unit == "us" ? 1e-6 : unit == "ns" ? 1e-9
                       : unit == "ps" ? 1e-12 : unit == "fs" ? 1e-15 : 0;
    if (used == 0 || scale == 0 || !(number > 0)) fail(n, fmt::format("TIMESCALE '{}': expected e.g. 1ns or 100ps", text));
    seconds_ = number * scale;
  }

  void cell(const Node& n) {
    std::string cell_type;
    std::vector<std::size_t> instances;
    bool named = false;
    for (const Node& item : n.items) {
      const std::string k = keyword(item);
      if (k == "CELLTYPE" && item.items.size() >= 2) cell_type = item.items[1].atom;
      if (k == "INSTANCE") {
        named = true;
        if (item.items.size() < 2) continue;  // the design itself: nothing to annotate
        std::string path = item.items[1].atom;
        if (path == "*") fail(item, "INSTANCE * (wildcards) is not supported; name each instance");
        const auto found = index_.find(path);
        if (found == index_.end()) {
          // A hierarchical path whose last part is the instance (top/u1).
          const std::size_t cut = path.find_last_of(divider_ + "./");
          if (cut != std::string::npos && index_.count(path.substr(cut + 1))) {
            instances.push_back(index_.at(path.substr(cut + 1)));
            continue;
          }
          fail(item, fmt::format("instance '{}' is not in netlist {}", path, netlist_.top));
        }
        instances.push_back(found->second);
      }
    }
    if (!named) fail(n, "CELL without INSTANCE");
    for (std::size_t inst : instances) {
      if (!cell_type.empty() && cell_type != netlist_.instances[inst].cell->name)
        fail(n, fmt::format("instance '{}' is a {} in the netlist, not a {}", netlist_.instances[inst].name,
                            netlist_.instances[inst].cell->name, cell_type));
      for (const Node& item : n.items)
        if (keyword(item) == "DELAY") delay(item, inst);
    }
  }

  void delay(const Node& n, std::size_t inst) {
    for (const Node& kind : n.items) {
      const std::string k = keyword(kind);
      if (k == "INCREMENT") fail(kind, "INCREMENT delays are not supported; give ABSOLUTE delays");
      if (k != "ABSOLUTE") continue;
      for (const Node& entry : kind.items) {
        const std::string e = keyword(entry);
        if (e == "IOPATH") iopath(entry, inst);
        else if (e == "COND" && entry.items.size() >= 3 && keyword(entry.items.back()) == "IOPATH") iopath(entry.items.back(), inst);
        else if (e == "INTERCONNECT" || e == "PORT" || e == "DEVICE") ++out_.interconnects_ignored;
      }
    }
  }

  // A port spec: "A" or "(posedge CLK)".
  std::string port(const Node& n) const {
    if (!n.is_list) return n.atom;
    if (n.items.size() == 2 && !n.items[1].is_list) return n.items[1].atom;
    fail(n, "expected a port name or (posedge|negedge port)");
  }

  // One delay value "(min:typ:max)", "(typ)" or "()": the typical value.
  std::optional<double> rvalue(const Node& n) const {
    if (!n.is_list) fail(n, fmt::format("expected a delay value in parentheses, found '{}'", n.atom));
    if (n.items.empty()) return std::nullopt;
    std::string text;
    for (const Node& part : n.items) {
      if (part.is_list) fail(n, "malformed delay value");
      text += part.atom;
    }
    std::vector<std::string> parts;
    std::size_t start = 0;
    for (;;) {
      const std::size_t colon = text.find(':', start);
      parts.push_back(text.substr(start, colon == std::string::npos ? std::string::npos : colon - start));
      if (colon == std::string::npos) break;
      start = colon + 1;
    }
    if (parts.size() != 1 && parts.size() != 3) fail(n, fmt::format("delay value '{}': expected min:typ:max", text));
    std::string typ = parts.size() == 3 ? parts[1] : parts[0];
    if (typ.empty() && parts.size() == 3) typ = !parts[0].empty() ? parts[0] : parts[2];
    if (typ.empty()) return std::nullopt;
    std::size_t used = 0;
    const double v = base::leading_number(typ, used);
    if (used != typ.size() || !std::isfinite(v)) fail(n, fmt::format("delay value '{}' is not a number", text));
    return std::max(0.0, v) * seconds_;
  }

  void iopath(const Node& n, std::size_t inst) {
    if (n.items.size() < 4) fail(n, "IOPATH needs an input port, an output port and at least one delay");
    const auto& instance = netlist_.instances[inst];
    ArcDelay d;
    d.from = port(n.items[1]);
    d.to = port(n.items[2]);
    for (const std::string& p : {d.from, d.to})
      if (!instance.cell->find_pin(p))
        fail(n, fmt::format("instance '{}' ({}) has no pin '{}'", instance.name, instance.cell->name, p));
    std::vector<std::optional<double>> values;
    for (std::size_t i = 3; i < n.items.size(); ++i) values.push_back(rvalue(n.items[i]));
    const std::optional<double> rise = values[0];
    const std::optional<double> fall = values.size() >= 2 ? values[1] : values[0];
    if (!rise && !fall) return;
    d.rise = rise.value_or(*fall);
    d.fall = fall.value_or(*rise);
    auto& arcs = out_.per_instance[inst];
    for (auto& a : arcs)
      if (a.from == d.from && a.to == d.to) {
        a = d;  // a later entry overrides (COND variants: the last one given)
        return;
      }
    arcs.push_back(d);
  }

  const std::string& source_;
  const Netlist& netlist_;
  std::unordered_map<std::string, std::size_t> index_;
  ArcDelays out_;
  double seconds_ = 1e-9;  // SDF's default TIMESCALE is 1ns
  std::string divider_ = ".";
};

std::string escaped(const std::string& name) {
  std::string out;
  for (char c : name) {
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_')) out += '\\';
    out += c;
  }
  return out;
}

}  // namespace

ArcDelays parse_sdf(const std::string& text, const std::string& source, const Netlist& netlist,
                    const InstanceNamer& names) {
  Parser parser(text, source);
  return Reader(source, netlist, names).read(parser.parse());
}

ArcDelays read_sdf(const std::filesystem::path& path, const Netlist& netlist, const InstanceNamer& names) {
  return parse_sdf(base::read_file(path), path.string(), netlist, names);
}

std::string write_sdf(const ArcDelays& delays, const Netlist& netlist, const InstanceNamer& names, int decimals) {
  std::string out = fmt::format("(DELAYFILE\n (SDFVERSION \"3.0\")\n (DESIGN \"{}\")\n (PROGRAM \"neuroppa\")\n"
                                " (DIVIDER /)\n (TIMESCALE 1ns)\n",
                                netlist.top);
  const auto ns = [&](double s) {
    const std::string v = fmt::format("{:.{}f}", s * 1e9, decimals);
    return fmt::format("({}:{}:{})", v, v, v);
  };
  for (std::size_t i = 0; i < netlist.instances.size() && i < delays.per_instance.size(); ++i) {
    if (delays.per_instance[i].empty()) continue;
    const auto& inst = netlist.instances[i];
    out += fmt::format(" (CELL\n  (CELLTYPE \"{}\")\n  (INSTANCE {})\n  (DELAY\n   (ABSOLUTE\n", inst.cell->name,
                       escaped(names ? names(i) : inst.name));
    for (const ArcDelay& a : delays.per_instance[i])
      out += fmt::format("    (IOPATH {} {} {} {})\n", a.from, a.to, ns(a.rise), ns(a.fall));
    out += "   )\n  )\n )\n";
  }
  return out + ")\n";
}

}  // namespace neuroppa::tech
