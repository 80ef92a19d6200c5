#include "neuroppa/tech/liberty_syntax.hpp"

#include <fmt/format.h>

#include "neuroppa/base/error.hpp"
#include "neuroppa/base/file.hpp"

namespace neuroppa::tech::liberty {

const Attribute* Group::find(std::string_view name) const {
  for (const Attribute& a : attributes)
    if (a.name == name) return &a;
  return nullptr;
}

const std::string& Group::name() const {
  static const std::string empty;
  return args.empty() ? empty : args.front().text;
}

namespace {

enum class Tok { word, string, lparen, rparen, lbrace, rbrace, colon, semicolon, comma, newline, end };

struct Token {
  Tok kind = Tok::end;
  std::string_view text;
  int line = 0;
};

bool is_delimiter(char c) {
  switch (c) {
    case ' ': case '\t': case '\r': case '\n': case '(': case ')': case '{': case '}':
    case ':': case ';': case ',': case '"': case '\\':
      return true;
    default:
      return false;
  }
}

// Splits Liberty text into tokens. Newlines are tokens because a simple
// attribute may end at the line end without a semicolon; a backslash before
// a line end joins the lines.
class Lexer {
 public:
  Lexer(std::string_view text, const std::string& source) : text_(text), source_(source) {}

  Token next() {
    skip_blanks();
    Token t;
    t.line = line_;
    if (pos_ >= text_.size()) return t;
    const char c = text_[pos_];
    switch (c) {
      case '\n': ++pos_; ++line_; t.kind = Tok::newline; return t;
      case '(': ++pos_; t.kind = Tok::lparen; return t;
      case ')': ++pos_; t.kind = Tok::rparen; return t;
      case '{': ++pos_; t.kind = Tok::lbrace; return t;
      case '}': ++pos_; t.kind = Tok::rbrace; return t;
      case ':': ++pos_; t.kind = Tok::colon; return t;
      case ';': ++pos_; t.kind = Tok::semicolon; return t;
      case ',': ++pos_; t.kind = Tok::comma; return t;
      case '"': return quoted();
      case '\\': throw error(line_, "stray backslash (a line continuation must end its line)");
      default: break;
    }
    const std::size_t start = pos_;
    int brackets = 0;  // inside [..] a colon is part of the word: a bus range such as A[9:0]
    while (pos_ < text_.size()) {
      const char ch = text_[pos_];
      if (ch == '[') ++brackets;
      else if (ch == ']' && brackets > 0) --brackets;
      else if (!(ch == ':' && brackets > 0) && is_delimiter(ch)) break;
      if (ch == '/' && pos_ + 1 < text_.size() && (text_[pos_ + 1] == '*' || text_[pos_ + 1] == '/')) break;
      ++pos_;
    }
    t.kind = Tok::word;
    t.text = text_.substr(start, pos_ - start);
    return t;
  }

  Error error(int line, const std::string& what) const {
    return Error(fmt::format("{}:{}: {}", source_, line, what));
  }

 private:
  void skip_blanks() {
    while (pos_ < text_.size()) {
      const char c = text_[pos_];
      if (c == ' ' || c == '\t' || c == '\r') {
        ++pos_;
      } else if (c == '\\' && continuation_at(pos_)) {
        // skip the backslash, blanks and the newline
        ++pos_;
        while (text_[pos_] != '\n') ++pos_;
        ++pos_;
        ++line_;
      } else if (c == '/' && pos_ + 1 < text_.size() && text_[pos_ + 1] == '*') {
        const int start_line = line_;
        const std::size_t end = text_.find("*/", pos_ + 2);
        if (end == std::string_view::npos) throw error(start_line, "comment is not closed (missing */)");
        for (std::size_t i = pos_; i < end; ++i) line_ += text_[i] == '\n';
        pos_ = end + 2;
      } else if (c == '/' && pos_ + 1 < text_.size() && text_[pos_ + 1] == '/') {
        while (pos_ < text_.size() && text_[pos_] != '\n') ++pos_;
      } else {
        return;
      }
    }
  }

  // A backslash followed by blanks and a newline.
  bool continuation_at(std::size_t p) const {
    for (++p; p < text_.size(); ++p) {
      if (text_[p] == '\n') return true;
      if (text_[p] != ' ' && text_[p] != '\t' && text_[p] != '\r') return false;
    }
    return false;
  }

  Token quoted() {
    Token t;
    t.kind = Tok::string;
    t.line = line_;
    const std::size_t start = ++pos_;
    while (pos_ < text_.size() && text_[pos_] != '"') {
      if (text_[pos_] == '\\' && pos_ + 1 < text_.size()) ++pos_;  // escaped char or line continuation
      if (text_[pos_] == '\n') ++line_;
      ++pos_;
    }
    if (pos_ >= text_.size()) throw error(t.line, "string is not closed (missing \")");
    t.text = text_.substr(start, pos_ - start);
    ++pos_;
    return t;
  }

  std::string_view text_;
  const std::string& source_;
  std::size_t pos_ = 0;
  int line_ = 1;
};

// Quoted text: drops backslash-newline continuations, keeps other characters.
std::string unquote(std::string_view raw) {
  std::string out;
  out.reserve(raw.size());
  for (std::size_t i = 0; i < raw.size(); ++i) {
    if (raw[i] == '\\' && i + 1 < raw.size()) {
      std::size_t j = i + 1;
      while (j < raw.size() && (raw[j] == ' ' || raw[j] == '\t' || raw[j] == '\r')) ++j;
      if (j < raw.size() && raw[j] == '\n') {
        i = j;
        continue;
      }
      out += raw[++i];
      continue;
    }
    out += raw[i];
  }
  return out;
}

class Parser {
 public:
  Parser(std::string_view text, const std::string& source) : lex_(text, source) { advance(); }

  Group parse_library() {
    skip_newlines();
    if (tok_.kind == Tok::end) throw lex_.error(tok_.line, "no library group: the file is empty");
    if (tok_.kind != Tok::word) throw unexpected("a group name such as 'library'");
    Group root;
    const int line = tok_.line;
    std::string name(tok_.text);
    advance();
    if (!parse_statement_after_name(name, line, root) || root.groups.empty())
      throw lex_.error(line, fmt::format("expected a group, found the attribute '{}'", name));
    skip_newlines();
    while (tok_.kind == Tok::semicolon) {
      advance();
      skip_newlines();
    }
    if (tok_.kind != Tok::end) throw unexpected("the end of the file after the library group");
    return std::move(root.groups.front());
  }

 private:
  static constexpr int kMaxNesting = 256;
  int depth_ = 0;  // groups open around the current statement

  void advance() { tok_ = lex_.next(); }
  void skip_newlines() {
    while (tok_.kind == Tok::newline) advance();
  }

  Error unexpected(const std::string& expected) const {
    std::string found;
    switch (tok_.kind) {
      case Tok::end: found = "the end of the file"; break;
      case Tok::newline: found = "a line end"; break;
      case Tok::word: found = fmt::format("'{}'", tok_.text); break;
      case Tok::string: found = fmt::format("\"{}\"", tok_.text.substr(0, 40)); break;
      default: found = fmt::format("'{}'", token_char(tok_.kind)); break;
    }
    return lex_.error(tok_.line, fmt::format("expected {}, found {}", expected, found));
  }

  static char token_char(Tok k) {
    switch (k) {
      case Tok::lparen: return '(';
      case Tok::rparen: return ')';
      case Tok::lbrace: return '{';
      case Tok::rbrace: return '}';
      case Tok::colon: return ':';
      case Tok::semicolon: return ';';
      case Tok::comma: return ',';
      default: return '?';
    }
  }

  Value value_of(const Token& t) const {
    if (t.kind == Tok::string) return Value{unquote(t.text), true};
    return Value{std::string(t.text), false};
  }

  // Statements inside a group until its closing brace.
  void parse_body(Group& group) {
    while (true) {
      skip_newlines();
      if (tok_.kind == Tok::rbrace) {
        advance();
        return;
      }
      if (tok_.kind == Tok::semicolon) {  // stray semicolons are harmless
        advance();
        continue;
      }
      if (tok_.kind == Tok::end)
        throw lex_.error(group.line, fmt::format("group '{}' is not closed (missing }})", group.type));
      if (tok_.kind != Tok::word) throw unexpected("an attribute or group name");
      const int line = tok_.line;
      std::string name(tok_.text);
      advance();
      parse_statement_after_name(name, line, group);
    }
  }

  // After `name`: `: value ;`, `( args ) ;` or `( args ) { body }`.
  // Returns true if it was a group.
  bool parse_statement_after_name(std::string& name, int line, Group& parent) {
    if (tok_.kind == Tok::colon) {
      advance();
      parse_simple(std::move(name), line, parent);
      return false;
    }
    if (tok_.kind != Tok::lparen) throw unexpected(fmt::format("':' or '(' after '{}'", name));
    advance();
    std::vector<Value> args;
    bool need_value = false;
    while (true) {
      skip_newlines();
      if (tok_.kind == Tok::rparen) break;
      if (tok_.kind == Tok::comma) {
        if (need_value || args.empty()) args.push_back(Value{});  // empty argument
        need_value = true;
        advance();
        continue;
      }
      if (tok_.kind != Tok::word && tok_.kind != Tok::string) throw unexpected(fmt::format("a value or ')' in '{}'", name));
      args.push_back(value_of(tok_));
      need_value = false;
      advance();
    }
    advance();  // ')'
    while (tok_.kind == Tok::newline) advance();
    if (tok_.kind == Tok::lbrace) {
      // The parser recurses once per level: a limit far above any real
      // library (they nest 6 or 7 deep) keeps a malformed file from
      // overflowing the stack.
      if (depth_ == kMaxNesting)
        throw lex_.error(line, fmt::format("group '{}' is nested more than {} deep", name, kMaxNesting));
      advance();
      Group g;
      g.type = std::move(name);
      g.args = std::move(args);
      g.line = line;
      ++depth_;
      parse_body(g);
      --depth_;
      parent.groups.push_back(std::move(g));
      return true;
    }
    if (tok_.kind == Tok::semicolon) advance();
    else if (tok_.kind != Tok::rbrace && tok_.kind != Tok::word && tok_.kind != Tok::end)
      throw unexpected(fmt::format("';' or '{{' after '{}(...)'", name));
    parent.attributes.push_back(Attribute{std::move(name), std::move(args), true, line});
    return false;
  }

  // `name : value ;` where the value may be several words (an unquoted
  // expression) and the semicolon may be left out at the end of a line.
  void parse_simple(std::string name, int line, Group& parent) {
    Attribute a{std::move(name), {}, false, line};
    Value v;
    bool any = false;
    while (tok_.kind == Tok::word || tok_.kind == Tok::string || tok_.kind == Tok::lparen ||
           tok_.kind == Tok::rparen) {
      if (tok_.kind == Tok::string) {
        v = value_of(tok_);
      } else {
        if (any) v.text += ' ';
        v.text += tok_.kind == Tok::word ? std::string(tok_.text) : std::string(1, token_char(tok_.kind));
      }
      any = true;
      advance();
    }
    if (!any) throw unexpected(fmt::format("a value for '{}'", a.name));
    if (tok_.kind == Tok::semicolon || tok_.kind == Tok::newline) advance();
    else if (tok_.kind != Tok::rbrace && tok_.kind != Tok::end) throw unexpected(fmt::format("';' after '{}'", a.name));
    a.values.push_back(std::move(v));
    parent.attributes.push_back(std::move(a));
  }

  Lexer lex_;
  Token tok_;
};

}  // namespace

Group parse(std::string_view text, const std::string& source) { return Parser(text, source).parse_library(); }

Group parse_file(const std::filesystem::path& path) { return parse(base::read_file(path), path.string()); }

}  // namespace neuroppa::tech::liberty
