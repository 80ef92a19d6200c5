// neuroppa train: a network of one neuron kind trained on Fashion-MNIST and
// written as a model file (docs/model-format.md).
#pragma once

#include <filesystem>
#include <string>

#include "neuroppa/app/context.hpp"
#include "neuroppa/models/dataset.hpp"
#include "neuroppa/models/training.hpp"

namespace neuroppa::app {

struct TrainRequest {
  models::TrainOptions train;
  std::filesystem::path out;  // empty: <kind>-<arch>.json.gz
  std::filesystem::path data = models::kFashionMnistDir;
};

struct TrainResult {
  std::filesystem::path written;
  models::Network network;
  std::string summary() const;  // "wrote FILE (NAME): float test accuracy ..., integer ..."
};

TrainResult train(const TrainRequest& request, const Context& context);

}  // namespace neuroppa::app
