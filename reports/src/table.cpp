#include "neuroppa/reports/table.hpp"

#include <cmath>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "neuroppa/base/error.hpp"

namespace neuroppa::reports {

Format parse_format(const std::string& name) {
  if (name == "md") return Format::markdown;
  if (name == "csv") return Format::csv;
  if (name == "json") return Format::json;
  if (name == "tex") return Format::latex;
  throw Error(fmt::format("--format {}: unknown format; choose md, csv, json or tex", name));
}

std::string format_number(double value, int precision) {
  if (!std::isfinite(value)) return "n/a";
  if (value == 0) return "0";  // an exact zero (a count of nothing) needs no digits
  if (value != 0 && (std::fabs(value) >= 1e7 || std::fabs(value) < 1e-3)) return fmt::format("{:.{}e}", value, precision - 1);
  // Fixed notation with `precision` significant digits.
  const int magnitude = value == 0 ? 0 : static_cast<int>(std::floor(std::log10(std::fabs(value))));
  return fmt::format("{:.{}f}", value, std::max(0, precision - 1 - magnitude));
}

namespace {

std::string header(const Column& c) { return c.unit.empty() ? c.name : fmt::format("{} ({})", c.name, c.unit); }

std::string cell_text(const Cell& cell, const Column& column) {
  if (const auto* s = std::get_if<std::string>(&cell)) return *s;
  const double v = std::get<double>(cell);
  if (column.integer && std::isfinite(v)) return fmt::format("{:.0f}", v);
  return format_number(v, column.precision);
}

std::string csv_field(const std::string& s) {
  if (s.find_first_of(",\"\n") == std::string::npos) return s;
  std::string out = "\"";
  for (char c : s) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

std::string latex_escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '&': case '%': case '$': case '#': case '_': case '{': case '}': out += '\\'; out += c; break;
      case '~': out += "\\textasciitilde{}"; break;
      case '^': out += "\\textasciicircum{}"; break;
      case '\\': out += "\\textbackslash{}"; break;
      default: out += c;
    }
  }
  return out;
}

// A "|" in a cell would end it; Markdown reads "\|" as the character itself.
std::string markdown_cell(const std::string& s) {
  std::string out;
  for (char c : s) out += c == '|' ? std::string("\\|") : std::string(1, c);
  return out;
}

std::string markdown(const Table& t) {
  std::string out = t.title.empty() ? "" : "### " + t.title + "\n\n";
  out += "|";
  for (const auto& c : t.columns) out += " " + markdown_cell(header(c)) + " |";
  out += "\n|";
  for (std::size_t i = 0; i < t.columns.size(); ++i) out += i == 0 ? "---|" : "---:|";
  out += "\n";
  for (const auto& row : t.rows) {
    out += "|";
    for (std::size_t i = 0; i < row.size(); ++i) out += " " + markdown_cell(cell_text(row[i], t.columns[i])) + " |";
    out += "\n";
  }
  for (const auto& note : t.notes) out += "\n" + note + "\n";
  if (!t.provenance.empty()) {
    out += "\n<!-- provenance\n";
    for (const auto& line : t.provenance) out += line + "\n";
    out += "-->\n";
  }
  return out;
}

std::string csv(const Table& t) {
  std::string out;
  for (const auto& line : t.provenance) out += "# " + line + "\n";
  for (std::size_t i = 0; i < t.columns.size(); ++i) out += (i ? "," : "") + csv_field(header(t.columns[i]));
  out += "\n";
  for (const auto& row : t.rows) {
    for (std::size_t i = 0; i < row.size(); ++i) {
      // Full precision in CSV: it is read by programs.
      const std::string text = std::holds_alternative<double>(row[i]) ? fmt::format("{}", std::get<double>(row[i]))
                                                                      : std::get<std::string>(row[i]);
      out += (i ? "," : "") + csv_field(text);
    }
    out += "\n";
  }
  return out;
}

nlohmann::ordered_json json_document(const Table& t) {
  nlohmann::ordered_json doc;
  doc["title"] = t.title;
  doc["columns"] = nlohmann::json::array();
  for (const auto& c : t.columns) doc["columns"].push_back({{"name", c.name}, {"unit", c.unit}});
  doc["rows"] = nlohmann::json::array();
  for (const auto& row : t.rows) {
    nlohmann::ordered_json r;
    for (std::size_t i = 0; i < row.size(); ++i) {
      if (const auto* d = std::get_if<double>(&row[i])) r[t.columns[i].name] = std::isfinite(*d) ? nlohmann::json(*d) : nlohmann::json(nullptr);
      else r[t.columns[i].name] = std::get<std::string>(row[i]);
    }
    doc["rows"].push_back(r);
  }
  doc["notes"] = t.notes;
  if (!t.provenance.empty()) doc["provenance"] = t.provenance;
  return doc;
}

std::string json(const Table& t) { return json_document(t).dump(2) + "\n"; }

std::string latex(const Table& t) {
  std::string spec;
  for (std::size_t i = 0; i < t.columns.size(); ++i) spec += i == 0 ? "l" : "r";
  std::string out;
  for (const auto& line : t.provenance) out += "% " + line + "\n";
  out += "% requires \\usepackage{booktabs}\n\\begin{table}[t]\n\\centering\n";
  if (!t.title.empty()) out += "\\caption{" + latex_escape(t.title) + "}\n";
  out += "\\begin{tabular}{" + spec + "}\n\\toprule\n";
  for (std::size_t i = 0; i < t.columns.size(); ++i) out += (i ? " & " : "") + latex_escape(header(t.columns[i]));
  out += " \\\\\n\\midrule\n";
  for (const auto& row : t.rows) {
    for (std::size_t i = 0; i < row.size(); ++i) out += (i ? " & " : "") + latex_escape(cell_text(row[i], t.columns[i]));
    out += " \\\\\n";
  }
  out += "\\bottomrule\n\\end{tabular}\n";
  for (const auto& note : t.notes) out += "\\par\\footnotesize " + latex_escape(note) + "\n";
  out += "\\end{table}\n";
  return out;
}

}  // namespace

std::string write(const Table& table, Format format) {
  switch (format) {
    case Format::markdown: return markdown(table);
    case Format::csv: return csv(table);
    case Format::json: return json(table);
    case Format::latex: return latex(table);
  }
  return "";
}

std::string write(const std::vector<Table>& tables, Format format) {
  if (format == Format::json) {
    nlohmann::ordered_json doc = nlohmann::json::array();
    for (const Table& t : tables) doc.push_back(json_document(t));
    return doc.dump(2) + "\n";
  }
  std::string out;
  for (const Table& t : tables) out += (out.empty() ? "" : "\n") + write(t, format);
  return out;
}

}  // namespace neuroppa::reports
