// SVG plots for papers: plain data in, deterministic SVG text out (the same
// data give the same bytes). Sized for one column of a two-column paper
// (360 x 250 px, 9-10 px text), axis labels with units, a legend.
#pragma once

#include <string>
#include <vector>

namespace neuroppa::reports {

struct BarSeries {
  std::string name;            // legend entry
  std::vector<double> values;  // one per category
};

struct BarChart {
  std::string title;
  std::vector<std::string> categories;  // x axis
  std::string y_label;                  // with its unit, e.g. "power (µW)"
  std::vector<BarSeries> series;        // grouped side by side, or stacked
  bool stacked = false;
  std::vector<std::string> provenance;  // written into the SVG's <desc>
};

struct ScatterPoint {
  std::string label;  // printed beside the point
  double x = 0, y = 0;
  std::string group;  // one colour and legend entry per group
};

struct ScatterPlot {
  std::string title;
  std::string x_label, y_label;  // with units
  bool log_x = false;
  std::vector<ScatterPoint> points;
  // Mark the Pareto front: points no other point beats with lower x and higher y.
  bool pareto_min_x_max_y = false;
  std::vector<std::string> provenance;
};

struct LineSeries {
  std::string name;  // legend entry
  std::vector<double> x, y;  // equal lengths; non-finite y (or y <= 0 on a log axis) breaks the line
  bool dashed = false;
};

struct LinePlot {
  std::string title;
  std::string x_label, y_label;  // with units
  bool log_y = false;            // decades: quantities that span orders of magnitude
  std::vector<LineSeries> series;
  std::vector<std::string> provenance;
};

// Indices of the Pareto-optimal points (lower x and higher y are better), by increasing x.
std::vector<std::size_t> pareto_front(const std::vector<ScatterPoint>& points);

std::string write_svg(const BarChart& chart);
std::string write_svg(const ScatterPlot& plot);
std::string write_svg(const LinePlot& plot);

}  // namespace neuroppa::reports
