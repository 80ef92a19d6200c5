// Tables of results and their writers: Markdown, CSV, JSON, LaTeX
// (booktabs). Plain data in, text out; nothing here knows the simulator.
#pragma once

#include <string>
#include <variant>
#include <vector>

namespace neuroppa::reports {

struct Column {
  std::string name;
  std::string unit;  // "" if none; printed in headers as "name (unit)"
  int precision = 3; // significant digits of numbers
  bool integer = false;  // print numbers as whole numbers
};

// A cell: text, or a number printed with its column's precision.
using Cell = std::variant<std::string, double>;

struct Table {
  std::string title;
  std::vector<Column> columns;
  std::vector<std::vector<Cell>> rows;
  std::vector<std::string> notes;  // printed under the table (Markdown, LaTeX) or as JSON "notes"
  // How the table was made (command, versions, inputs): an HTML comment in
  // Markdown, "# " lines before the CSV header, "% " lines in LaTeX, JSON "provenance".
  std::vector<std::string> provenance;
};

enum class Format { markdown, csv, json, latex };

// "md", "csv", "json", "tex"; throws neuroppa::Error naming the value otherwise.
Format parse_format(const std::string& name);

std::string format_number(double value, int precision);
std::string write(const Table& table, Format format);
// Several tables in one text: one after the other with a blank line between
// (Markdown, CSV, LaTeX), or a JSON array of the tables.
std::string write(const std::vector<Table>& tables, Format format);

}  // namespace neuroppa::reports
