// neuroppa import: a float network from an ONNX file (PyTorch's export, or
// any other exporter's) quantised for a neuron kind and written as a model
// file (docs/onnx-import.md).
#pragma once

#include <filesystem>
#include <string>

#include "neuroppa/app/context.hpp"
#include "neuroppa/models/dataset.hpp"
#include "neuroppa/models/onnx_import.hpp"
#include "neuroppa/models/training.hpp"

namespace neuroppa::app {

struct ImportRequest {
  std::filesystem::path model;            // the .onnx file
  models::ImportOptions options;          // kind, calibration images, timesteps
  models::InputScaling scaling;           // what the model expects for a pixel
  std::filesystem::path out;              // empty: <model stem>-<kind>.json.gz
  std::filesystem::path data = models::kFashionMnistDir;
};

struct ImportResult {
  std::filesystem::path written;
  models::FloatNetwork imported;  // the layers as read, with the notes
  models::Network network;        // as written
  std::string summary() const;    // layers, notes, float and quantised test accuracy
};

// Reads and checks the whole file first (nothing is written when it fails).
ImportResult import_onnx(const ImportRequest& request, const Context& context);

}  // namespace neuroppa::app
