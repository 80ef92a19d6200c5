// Liberty (.lib) syntax: the generic tree of groups and attributes, read from
// plain or gzip-compressed text. tech/liberty.hpp builds the cell-library
// model on top of it.
#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace neuroppa::tech::liberty {

struct Value {
  std::string text;  // without quotes; numbers are kept as written
  bool quoted = false;
};

// `name : value ;` (simple) or `name (v1, v2, ...) ;` (complex).
struct Attribute {
  std::string name;
  std::vector<Value> values;
  bool complex = false;
  int line = 0;
};

// `type (arg, ...) { ... }`
struct Group {
  std::string type;
  std::vector<Value> args;
  std::vector<Attribute> attributes;
  std::vector<Group> groups;
  int line = 0;

  // The first simple or complex attribute of that name, or nullptr.
  const Attribute* find(std::string_view name) const;
  // The first argument's text, or "" if there is none.
  const std::string& name() const;
};

// Parses Liberty text. `source` names the text in errors ("file.lib").
// Throws neuroppa::Error("source:line: what is wrong") on malformed input.
Group parse(std::string_view text, const std::string& source);

// Reads a file, gunzipping it if it is gzip-compressed, and parses it.
Group parse_file(const std::filesystem::path& path);

}  // namespace neuroppa::tech::liberty
