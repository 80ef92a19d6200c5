#include "neuroppa/app/train.hpp"

#include <cstring>
#include <fmt/format.h>

#include "neuroppa/base/file.hpp"
#include "neuroppa/kernels/package.hpp"
#include "neuroppa/reports/plot.hpp"
#include "neuroppa_version.hpp"

namespace neuroppa::app {

std::string TrainResult::summary() const {
  return fmt::format("wrote {} ({}): float test accuracy {:.4f}, integer test accuracy {:.4f}\n", written.string(),
                     network.name, network.training.float_accuracy, network.training.quantised_accuracy);
}

namespace {

// FILE.json.gz -> FILE.curves.EXT beside it.
std::filesystem::path beside(const std::filesystem::path& model, const std::string& ext) {
  std::string name = model.filename().string();
  for (const char* suffix : {".json.gz", ".json"})
    if (name.size() > std::strlen(suffix) && name.ends_with(suffix)) {
      name.resize(name.size() - std::strlen(suffix));
      break;
    }
  return model.parent_path() / (name + ".curves." + ext);
}

}  // namespace

std::string curves_csv(const std::vector<models::CurvePoint>& curves) {
  std::string out = "step,phase,epoch,lr,two_over_lr,loss,sharpness,thresholds_off_zero\n";
  for (const models::CurvePoint& c : curves)
    out += fmt::format("{},{},{},{:.6g},{:.6g},{:.6g},{:.6g},{:.6g}\n", c.step, c.phase, c.epoch, c.lr, 2 / c.lr, c.loss,
                       c.sharpness, c.thresholds_off_zero);
  return out;
}

std::string curves_svg(const std::vector<models::CurvePoint>& curves, const std::string& title) {
  reports::LinePlot plot;
  plot.title = title;
  plot.x_label = "optimiser step";
  plot.y_label = "sharpness, 2/lr, loss (log)";
  plot.log_y = true;
  reports::LineSeries sharpness{"sharpness", {}, {}}, stability{"2/lr", {}, {}, true}, loss{"training loss", {}, {}},
      off{"thresholds off zero (fraction)", {}, {}};
  bool thresholds = false;
  for (const models::CurvePoint& c : curves) {
    for (auto* s : {&sharpness, &stability, &loss, &off}) s->x.push_back(c.step);
    sharpness.y.push_back(c.sharpness);
    stability.y.push_back(2 / c.lr);
    loss.y.push_back(c.loss);
    off.y.push_back(c.thresholds_off_zero);
    thresholds = thresholds || c.thresholds_off_zero > 0;
  }
  plot.series = {sharpness, stability, loss};
  if (thresholds) plot.series.push_back(off);
  plot.provenance = {"neuroppa " NEUROPPA_VERSION ": neuroppa train --sharpness"};
  return reports::write_svg(plot);
}

reports::Table TrainResult::table(const models::TrainOptions& o) const {
  reports::Table t;
  t.title = fmt::format("Training {}", network.name);
  t.columns = {{"quantity", ""}, {"value", "", 5}, {"unit", ""}};
  const auto row = [&](std::string name, reports::Cell value, std::string unit = "") {
    t.rows.push_back({std::move(name), std::move(value), std::move(unit)});
  };
  row("model file", written.string());
  row("float test accuracy", network.training.float_accuracy);
  row("integer test accuracy", network.training.quantised_accuracy);
  row("  measured on the first test images", double(network.training.test_images), "images");
  row("optimizer", std::string(models::to_string(o.optimizer)));
  row("learning rate", o.learning_rate);
  row("lr schedule", std::string(models::to_string(o.lr_schedule)));
  if (!curves.empty()) {
    const models::CurvePoint& last = curves.back();
    double peak = 0;
    for (const auto& c : curves) peak = std::max(peak, c.sharpness);
    row("final sharpness", last.sharpness);
    row("peak sharpness", peak);
    row("2/lr at the end", 2 / last.lr);
    row("final training loss", last.loss);
    row("thresholds off zero", last.thresholds_off_zero);
    row("curves", curves_csv.string());
  }
  t.notes.push_back(network.training.notes);
  t.provenance = {fmt::format("neuroppa {}: neuroppa train", NEUROPPA_VERSION)};
  return t;
}

TrainResult train(const TrainRequest& r, const Context& context) {
  TrainResult out;
  out.written = r.out.empty() ? std::filesystem::path(fmt::format("{}-{}.json.gz", models::to_string(r.train.kind), r.train.arch))
                              : r.out;
  models::parse_arch(r.train.arch);  // option errors before the data are read
  base::check_writable_file(out.written, "--out");  // before the (long) training
  const models::LabelledImages train = models::load_fashion_mnist(true, r.data);
  const models::LabelledImages test = models::load_fashion_mnist(false, r.data);
  context.say(fmt::format("Fashion-MNIST from {}: {} training, {} test images\n", r.data.string(), train.labels.size(),
                          test.labels.size()));
  out.network = models::train_network(r.train, train, test, context.status,
                                      r.train.sharpness_every ? &out.curves : nullptr);
  for (const models::KernelKind kind : out.network.kinds())  // what its package kinds' codes mean
    if (const kernels::Package& p = kernels::package_of(kind); !p.builtin)
      out.network.training.packages.emplace_back(p.name, p.hash);
  models::write_network(out.network, out.written);
  if (r.train.sharpness_every) {
    out.curves_csv = beside(out.written, "csv");
    out.curves_svg = beside(out.written, "svg");
    base::write_file(out.curves_csv, curves_csv(out.curves));
    base::write_file(out.curves_svg,
                     curves_svg(out.curves, fmt::format("{}: sharpness, {} lr {} ({})", out.network.name,
                                                        models::to_string(r.train.optimizer), r.train.learning_rate,
                                                        models::to_string(r.train.lr_schedule))));
  }
  return out;
}

}  // namespace neuroppa::app
