#include "neuroppa/reports/plot.hpp"

#include <algorithm>
#include <cmath>
#include <fmt/format.h>
#include <functional>

namespace neuroppa::reports {
namespace {

constexpr double kWidth = 360, kLeft = 56, kRight = 16, kTop = 24, kPlotHeight = 170;
// Okabe-Ito: distinguishable with colour-vision deficiencies, and in grey.
constexpr const char* kColours[] = {"#0072B2", "#E69F00", "#009E73", "#D55E00",
                                    "#CC79A7", "#56B4E9", "#F0E442", "#000000"};

std::string xml(const std::string& s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      default: out += c;
    }
  }
  return out;
}

// Fixed formatting so that the same figure always gives the same bytes.
std::string num(double v) { return fmt::format("{:.2f}", v); }

std::string tick_label(double v) {
  if (v == 0) return "0";
  const double a = std::fabs(v);
  if (a >= 1e5 || a < 1e-2) return fmt::format("{:.0e}", v);
  if (v == std::round(v)) return fmt::format("{:.0f}", v);
  return fmt::format("{:.3g}", v);
}

// Ticks of a linear axis from 0 (or lo) to above hi: steps of 1, 2 or 5 x 10^n.
std::vector<double> nice_ticks(double lo, double hi) {
  if (!(hi > lo)) hi = lo + 1;
  const double raw = (hi - lo) / 5;
  const double mag = std::pow(10, std::floor(std::log10(raw)));
  double step = mag;
  for (double m : {1.0, 2.0, 5.0, 10.0})
    if (m * mag >= raw) {
      step = m * mag;
      break;
    }
  std::vector<double> ticks;
  for (double t = std::floor(lo / step) * step; t < hi + step * 0.999; t += step) ticks.push_back(t);
  return ticks;
}

std::string header(double height, const std::string& title, const std::vector<std::string>& provenance) {
  std::string out = fmt::format(
      "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{}\" height=\"{}\" viewBox=\"0 0 {} {}\" "
      "font-family=\"DejaVu Sans, Arial, sans-serif\" font-size=\"9\">\n",
      num(kWidth), num(height), num(kWidth), num(height));
  out += "<title>" + xml(title) + "</title>\n<desc>";
  for (const auto& line : provenance) out += xml(line) + "\n";
  out += "</desc>\n";
  out += fmt::format("<rect x=\"0\" y=\"0\" width=\"{}\" height=\"{}\" fill=\"#ffffff\"/>\n", num(kWidth), num(height));
  out += fmt::format("<text x=\"{}\" y=\"14\" text-anchor=\"middle\" font-size=\"10\" font-weight=\"bold\">{}</text>\n",
                     num(kWidth / 2), xml(title));
  return out;
}

// A legend below the plot; returns its SVG and the height it takes.
std::pair<std::string, double> legend(const std::vector<std::string>& names, double y, bool squares) {
  std::string out;
  double x = kLeft, row = 0;
  for (std::size_t i = 0; i < names.size(); ++i) {
    const double w = 16 + 5.2 * double(names[i].size()) + 10;
    if (x + w > kWidth - kRight && x > kLeft) {
      x = kLeft;
      row += 13;
    }
    const char* colour = kColours[i % std::size(kColours)];
    if (squares)
      out += fmt::format("<rect x=\"{}\" y=\"{}\" width=\"9\" height=\"9\" fill=\"{}\"/>\n", num(x), num(y + row), colour);
    else
      out += fmt::format("<circle cx=\"{}\" cy=\"{}\" r=\"3.5\" fill=\"{}\"/>\n", num(x + 4.5), num(y + row + 4.5), colour);
    out += fmt::format("<text x=\"{}\" y=\"{}\">{}</text>\n", num(x + 13), num(y + row + 8), xml(names[i]));
    x += w;
  }
  return {out, row + 13};
}

std::string y_axis(const std::vector<double>& ticks, double lo, double hi, const std::string& label,
                   const std::function<std::string(double)>& text = tick_label) {
  std::string out;
  const double bottom = kTop + kPlotHeight;
  for (double t : ticks) {
    const double y = bottom - (t - lo) / (hi - lo) * kPlotHeight;
    out += fmt::format("<line x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" stroke=\"#dddddd\" stroke-width=\"0.5\"/>\n",
                       num(kLeft), num(y), num(kWidth - kRight), num(y));
    out += fmt::format("<text x=\"{}\" y=\"{}\" text-anchor=\"end\">{}</text>\n", num(kLeft - 3), num(y + 3), text(t));
  }
  out += fmt::format("<line x1=\"{0}\" y1=\"{1}\" x2=\"{0}\" y2=\"{2}\" stroke=\"#000000\"/>\n", num(kLeft), num(kTop),
                     num(bottom));
  out += fmt::format("<line x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" stroke=\"#000000\"/>\n", num(kLeft), num(bottom),
                     num(kWidth - kRight), num(bottom));
  out += fmt::format("<text x=\"12\" y=\"{}\" text-anchor=\"middle\" transform=\"rotate(-90 12 {})\">{}</text>\n",
                     num(kTop + kPlotHeight / 2), num(kTop + kPlotHeight / 2), xml(label));
  return out;
}

}  // namespace

std::vector<std::size_t> pareto_front(const std::vector<ScatterPoint>& points) {
  std::vector<std::size_t> order(points.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
    return points[a].x < points[b].x || (points[a].x == points[b].x && points[a].y > points[b].y);
  });
  std::vector<std::size_t> front;
  double best_y = -INFINITY;
  for (std::size_t i : order)
    if (points[i].y > best_y) {
      front.push_back(i);
      best_y = points[i].y;
    }
  return front;
}

std::string write_svg(const BarChart& chart) {
  double hi = 0;
  for (std::size_t c = 0; c < chart.categories.size(); ++c) {
    double stack = 0;
    for (const auto& s : chart.series) {
      const double v = c < s.values.size() && std::isfinite(s.values[c]) ? s.values[c] : 0;
      stack = chart.stacked ? stack + v : std::max(stack, v);
    }
    hi = std::max(hi, stack);
  }
  const std::vector<double> ticks = nice_ticks(0, hi);
  const double top = ticks.back();
  std::vector<std::string> names;
  for (const auto& s : chart.series) names.push_back(s.name);
  const double bottom = kTop + kPlotHeight;
  const double slot = (kWidth - kLeft - kRight) / double(std::max<std::size_t>(chart.categories.size(), 1));
  // Category labels wider than their slot are turned 40 degrees.
  std::size_t longest = 0;
  for (const auto& c : chart.categories) longest = std::max(longest, c.size());
  const bool rotate = 5.2 * double(longest) > slot * 0.95;
  const double label_height = rotate ? 5.2 * double(longest) * 0.64 + 8 : 0;
  auto [legend_svg, legend_height] = legend(names, bottom + 22 + label_height, true);
  const double height = bottom + 22 + label_height + legend_height + 6;
  std::string out = header(height, chart.title, chart.provenance);
  out += y_axis(ticks, 0, top, chart.y_label);
  const double groups = chart.stacked ? 1.0 : double(std::max<std::size_t>(chart.series.size(), 1));
  const double bar = std::min(24.0, slot * 0.8 / groups);
  for (std::size_t c = 0; c < chart.categories.size(); ++c) {
    const double centre = kLeft + slot * (double(c) + 0.5);
    double stack = 0;
    for (std::size_t s = 0; s < chart.series.size(); ++s) {
      const double v = c < chart.series[s].values.size() && std::isfinite(chart.series[s].values[c])
                           ? chart.series[s].values[c]
                           : 0;
      const double h = v / top * kPlotHeight;
      const double x = chart.stacked ? centre - bar / 2 : centre - bar * groups / 2 + bar * double(s);
      const double y = bottom - (chart.stacked ? stack / top * kPlotHeight : 0) - h;
      out += fmt::format("<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"{}\"><title>{}: {}</title></rect>\n",
                         num(x), num(y), num(bar), num(h), kColours[s % std::size(kColours)],
                         xml(chart.series[s].name + ", " + chart.categories[c]), tick_label(v));
      stack += v;
    }
    if (rotate)
      out += fmt::format("<text x=\"{0}\" y=\"{1}\" text-anchor=\"end\" transform=\"rotate(-40 {0} {1})\">{2}</text>\n",
                         num(centre + 3), num(bottom + 10), xml(chart.categories[c]));
    else
      out += fmt::format("<text x=\"{}\" y=\"{}\" text-anchor=\"middle\">{}</text>\n", num(centre), num(bottom + 12),
                         xml(chart.categories[c]));
  }
  out += legend_svg;
  return out + "</svg>\n";
}

std::string write_svg(const ScatterPlot& plot) {
  double x_lo = INFINITY, x_hi = -INFINITY, y_lo = INFINITY, y_hi = -INFINITY;
  for (const auto& p : plot.points) {
    x_lo = std::min(x_lo, p.x);
    x_hi = std::max(x_hi, p.x);
    y_lo = std::min(y_lo, p.y);
    y_hi = std::max(y_hi, p.y);
  }
  if (plot.points.empty()) x_lo = y_lo = 0, x_hi = y_hi = 1;
  if (y_hi - y_lo < 1e-6) y_lo -= 0.05, y_hi += 0.05;  // equal values: still a readable axis
  // y: linear with a margin; x: linear or decades.
  const std::vector<double> y_ticks = nice_ticks(y_lo - 0.05 * (y_hi - y_lo + 1e-9), y_hi + 0.05 * (y_hi - y_lo + 1e-9));
  const double y0 = y_ticks.front(), y1 = y_ticks.back();
  double x0, x1;
  std::vector<double> x_ticks;
  if (plot.log_x) {
    // Bounds on the 1-2-5 sequence around the data; ticks at decades, and at 2 and 5 when that is few.
    const auto below = [](double v) {
      const double d = std::pow(10, std::floor(std::log10(v)));
      return v >= 5 * d ? 5 * d : v >= 2 * d ? 2 * d : d;
    };
    const auto above = [](double v) {
      const double d = std::pow(10, std::floor(std::log10(v)));
      return v <= d ? d : v <= 2 * d ? 2 * d : v <= 5 * d ? 5 * d : 10 * d;
    };
    x0 = below(x_lo);
    x1 = above(x_hi);
    if (x1 <= x0) x1 = x0 * 10;
    const bool fine = std::log10(x1 / x0) <= 2.01;
    for (double d = std::pow(10, std::floor(std::log10(x0))); d <= x1 * 1.0001; d *= 10)
      for (double m : {1.0, 2.0, 5.0})
        if ((m == 1.0 || fine) && d * m >= x0 * 0.9999 && d * m <= x1 * 1.0001) x_ticks.push_back(d * m);
  } else {
    x_ticks = nice_ticks(x_lo, x_hi);
    x0 = x_ticks.front();
    x1 = x_ticks.back();
  }
  const double bottom = kTop + kPlotHeight, right = kWidth - kRight;
  const auto sx = [&](double x) {
    const double f = plot.log_x ? (std::log10(x) - std::log10(x0)) / (std::log10(x1) - std::log10(x0)) : (x - x0) / (x1 - x0);
    return kLeft + f * (right - kLeft);
  };
  const auto sy = [&](double y) { return bottom - (y - y0) / (y1 - y0) * kPlotHeight; };

  std::vector<std::string> groups;
  for (const auto& p : plot.points)
    if (std::find(groups.begin(), groups.end(), p.group) == groups.end()) groups.push_back(p.group);
  std::vector<std::string> names = groups;
  if (plot.pareto_min_x_max_y) names.push_back("Pareto front");
  auto [legend_svg, legend_height] = legend(names, bottom + 30, false);
  const double height = bottom + 30 + legend_height + 6;
  std::string out = header(height, plot.title, plot.provenance);
  out += y_axis(y_ticks, y0, y1, plot.y_label);
  for (double t : x_ticks) {
    const double x = sx(t);
    out += fmt::format("<line x1=\"{0}\" y1=\"{1}\" x2=\"{0}\" y2=\"{2}\" stroke=\"#dddddd\" stroke-width=\"0.5\"/>\n",
                       num(x), num(kTop), num(bottom));
    out += fmt::format("<text x=\"{}\" y=\"{}\" text-anchor=\"middle\">{}</text>\n", num(x), num(bottom + 11),
                       tick_label(t));
  }
  out += fmt::format("<text x=\"{}\" y=\"{}\" text-anchor=\"middle\">{}</text>\n", num((kLeft + right) / 2),
                     num(bottom + 23), xml(plot.x_label));
  if (plot.pareto_min_x_max_y) {
    std::string path;
    for (std::size_t i : pareto_front(plot.points))
      path += fmt::format("{}{},{}", path.empty() ? "M" : " L", num(sx(plot.points[i].x)), num(sy(plot.points[i].y)));
    const char* colour = kColours[groups.size() % std::size(kColours)];
    out += fmt::format("<path d=\"{}\" fill=\"none\" stroke=\"{}\" stroke-width=\"1.2\" stroke-dasharray=\"4 2\"/>\n",
                       path, colour);
    // A ring round each point on the front: visible even when one point makes it alone.
    for (std::size_t i : pareto_front(plot.points))
      out += fmt::format("<circle cx=\"{}\" cy=\"{}\" r=\"6.5\" fill=\"none\" stroke=\"{}\" stroke-width=\"1.5\"/>\n",
                         num(sx(plot.points[i].x)), num(sy(plot.points[i].y)), colour);
  }
  // Each label at the first place around its point that covers no other label or point and
  // stays on the canvas (right, above, below, left, then further out); else where it covers least.
  struct Box {
    double x0, y0, x1, y1;
  };
  const auto overlap = [](const Box& a, const Box& b) {
    return std::max(0.0, std::min(a.x1, b.x1) - std::max(a.x0, b.x0)) *
           std::max(0.0, std::min(a.y1, b.y1) - std::max(a.y0, b.y0));
  };
  std::vector<Box> taken;
  for (const auto& p : plot.points) taken.push_back({sx(p.x) - 3.5, sy(p.y) - 3.5, sx(p.x) + 3.5, sy(p.y) + 3.5});
  struct Place {
    double dx, dy;  // of the text's anchor from the point; dy to the baseline
    int anchor;     // -1 end, 0 middle, 1 start
  };
  static constexpr Place kPlaces[] = {{5, -4, 1},   {5, 10, 1},  {0, -8, 0},   {0, 16, 0},   {-5, -4, -1}, {-5, 10, -1},
                                      {5, -14, 1},  {5, 20, 1},  {0, -18, 0},  {0, 26, 0},   {-5, -14, -1}, {-5, 20, -1}};
  for (const auto& p : plot.points) {
    const std::size_t g = std::size_t(std::find(groups.begin(), groups.end(), p.group) - groups.begin());
    out += fmt::format("<circle cx=\"{}\" cy=\"{}\" r=\"3.5\" fill=\"{}\"><title>{}</title></circle>\n", num(sx(p.x)),
                       num(sy(p.y)), kColours[g % std::size(kColours)], xml(p.label));
    const double width = 4.3 * double(p.label.size()), height = 7.5;
    const auto box_at = [&](const Place& place) {
      const double x = sx(p.x) + place.dx, base = sy(p.y) + place.dy;
      const double x0 = place.anchor > 0 ? x : place.anchor < 0 ? x - width : x - width / 2;
      return Box{x0, base - height + 1.5, x0 + width, base + 1.5};
    };
    const Place* best = nullptr;
    double best_cost = INFINITY;
    for (const Place& place : kPlaces) {
      const Box b = box_at(place);
      if (b.x0 < 2 || b.x1 > kWidth - 2 || b.y0 < kTop - 10 || b.y1 > bottom + 8) continue;
      double cost = 0;
      for (const Box& t : taken) cost += overlap(b, t);
      if (cost < best_cost) best = &place, best_cost = cost;
      if (cost == 0) break;
    }
    if (!best) best = &kPlaces[0];
    taken.push_back(box_at(*best));
    const char* anchor = best->anchor > 0 ? "" : best->anchor < 0 ? " text-anchor=\"end\"" : " text-anchor=\"middle\"";
    out += fmt::format("<text x=\"{}\" y=\"{}\" font-size=\"7.5\"{}>{}</text>\n", num(sx(p.x) + best->dx),
                       num(sy(p.y) + best->dy), anchor, xml(p.label));
  }
  out += legend_svg;
  return out + "</svg>\n";
}

std::string write_svg(const LinePlot& plot) {
  const auto shown = [&](double y) { return std::isfinite(y) && (!plot.log_y || y > 0); };
  double x_lo = INFINITY, x_hi = -INFINITY, y_lo = INFINITY, y_hi = -INFINITY;
  for (const auto& s : plot.series)
    for (std::size_t i = 0; i < s.x.size() && i < s.y.size(); ++i) {
      if (!shown(s.y[i]) || !std::isfinite(s.x[i])) continue;
      x_lo = std::min(x_lo, s.x[i]), x_hi = std::max(x_hi, s.x[i]);
      y_lo = std::min(y_lo, s.y[i]), y_hi = std::max(y_hi, s.y[i]);
    }
  if (!(x_hi >= x_lo)) x_lo = 0, x_hi = 1;
  if (!(y_hi >= y_lo)) y_lo = plot.log_y ? 1 : 0, y_hi = plot.log_y ? 10 : 1;
  std::vector<double> x_ticks = nice_ticks(x_lo, x_hi);
  const double x0 = x_ticks.front(), x1 = x_ticks.back();
  std::vector<double> y_ticks;  // on a log axis: the exponents of the decades
  if (plot.log_y) {
    for (double e = std::floor(std::log10(y_lo)); e <= std::ceil(std::log10(y_hi)); ++e) y_ticks.push_back(e);
    if (y_ticks.size() < 2) y_ticks.push_back(y_ticks.back() + 1);
  } else {
    y_ticks = nice_ticks(y_lo - 0.05 * (y_hi - y_lo + 1e-9), y_hi + 0.05 * (y_hi - y_lo + 1e-9));
  }
  const double y0 = y_ticks.front(), y1 = y_ticks.back();
  const double bottom = kTop + kPlotHeight, right = kWidth - kRight;
  const auto sx = [&](double x) { return kLeft + (x - x0) / (x1 - x0) * (right - kLeft); };
  const auto sy = [&](double y) {
    const double v = plot.log_y ? std::log10(y) : y;
    return bottom - (v - y0) / (y1 - y0) * kPlotHeight;
  };
  std::vector<std::string> names;
  for (const auto& s : plot.series) names.push_back(s.name);
  auto [legend_svg, legend_height] = legend(names, bottom + 30, true);
  const double height = bottom + 30 + legend_height + 6;
  std::string out = header(height, plot.title, plot.provenance);
  out += plot.log_y ? y_axis(y_ticks, y0, y1, plot.y_label, [](double e) { return tick_label(std::pow(10, e)); })
                    : y_axis(y_ticks, y0, y1, plot.y_label);
  for (double t : x_ticks) {
    out += fmt::format("<text x=\"{}\" y=\"{}\" text-anchor=\"middle\">{}</text>\n", num(sx(t)), num(bottom + 11),
                       tick_label(t));
  }
  out += fmt::format("<text x=\"{}\" y=\"{}\" text-anchor=\"middle\">{}</text>\n", num((kLeft + right) / 2),
                     num(bottom + 23), xml(plot.x_label));
  for (std::size_t s = 0; s < plot.series.size(); ++s) {
    const LineSeries& line = plot.series[s];
    std::string path;
    bool pen_down = false;
    for (std::size_t i = 0; i < line.x.size() && i < line.y.size(); ++i) {
      if (!shown(line.y[i]) || !std::isfinite(line.x[i])) {
        pen_down = false;
        continue;
      }
      path += fmt::format("{}{},{}", path.empty() ? "M" : pen_down ? " L" : " M", num(sx(line.x[i])), num(sy(line.y[i])));
      pen_down = true;
    }
    if (path.empty()) continue;
    out += fmt::format("<path d=\"{}\" fill=\"none\" stroke=\"{}\" stroke-width=\"1.2\"{}><title>{}</title></path>\n",
                       path, kColours[s % std::size(kColours)], line.dashed ? " stroke-dasharray=\"4 2\"" : "",
                       xml(line.name));
  }
  out += legend_svg;
  return out + "</svg>\n";
}

}  // namespace neuroppa::reports
