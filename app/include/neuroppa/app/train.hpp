// neuroppa train: a network of one neuron kind trained on Fashion-MNIST and
// written as a model file (docs/model-format.md).
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "neuroppa/app/context.hpp"
#include "neuroppa/models/dataset.hpp"
#include "neuroppa/models/training.hpp"
#include "neuroppa/reports/table.hpp"

namespace neuroppa::app {

struct TrainRequest {
  models::TrainOptions train;
  std::filesystem::path out;  // empty: <kind>-<arch>.json.gz
  std::filesystem::path data = models::kFashionMnistDir;
};

struct TrainResult {
  std::filesystem::path written;
  models::Network network;
  // With --sharpness: the curves, and where they were written (beside the
  // model file: <stem>.curves.csv and <stem>.curves.svg).
  std::vector<models::CurvePoint> curves;
  std::filesystem::path curves_csv, curves_svg;
  std::string summary() const;  // "wrote FILE (NAME): float test accuracy ..., integer ..."
  // The same as a table of quantities (what --format prints, and sweeps collect).
  reports::Table table(const models::TrainOptions& options) const;
};

// The curves as CSV (step, phase, epoch, lr, two_over_lr, loss, sharpness,
// thresholds_off_zero) and as an SVG plot of sharpness against 2/lr and the loss.
std::string curves_csv(const std::vector<models::CurvePoint>& curves);
std::string curves_svg(const std::vector<models::CurvePoint>& curves, const std::string& title);

TrainResult train(const TrainRequest& request, const Context& context);

}  // namespace neuroppa::app
