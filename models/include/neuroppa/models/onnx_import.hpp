// Float networks from outside: ONNX files (PyTorch's torch.onnx.export and
// other exporters) read with Debian's libonnx (its protobuf classes, checker
// and shape inference), mapped onto neuroppa's layers (docs/onnx-import.md).
//
// Every node is checked before anything is built: one models::Error lists
// every op or pattern neuroppa cannot run, each with its node's name.
// The result is a float network (weights as the file holds them, batch norm
// folded into the layer before it, the input's scaling folded into the
// first compute layer) that models::quantise_float_network turns into a
// model file for a kind.
#pragma once

#include <cmath>
#include <filesystem>
#include <string>
#include <vector>

#include "neuroppa/models/network.hpp"

namespace neuroppa::models {

// What the model expects for pixel p (0..255): (p * scale - mean) / std.
// torchvision's ToTensor: scale 1/255, mean 0, std 1 (the default).
struct InputScaling {
  double scale = 1.0 / 255.0;
  double mean = 0.0;
  double std = 1.0;
};

// A compute layer's float weights: out x fan_in, row-major, in the fan-in
// order of models::Layer (conv: input channel, row, column; dense: the
// flattened channel, row, column), and one bias per output.
struct FloatLayerWeights {
  std::vector<float> weights;
  std::vector<float> bias;
  float ceiling = INFINITY;  // the activation's maximum after the ReLU (Clip's max), if any
  // QDQ form: the float value of the layer's largest activation code ((qmax - zero point) x scale of the
  // QuantizeLinear after its ReLU); 0: calibrated on training images instead.
  float activation_range = 0;
};

struct FloatNetwork {
  std::string name;                        // the file's stem
  Shape input{1, 28, 28};
  std::vector<LayerSpec> spec;             // the layers, as an --arch would give them
  std::vector<FloatLayerWeights> weights;  // one per dense or conv layer of `spec`, in order
  std::vector<std::string> notes;          // what the import did: folded, skipped, assumed
  std::string producer;                    // "pytorch 1.13.1", from the file
  int opset = 0;
};

// The opsets and IR versions libonnx 1.12 checks.
inline constexpr int kOnnxMinOpset = 13, kOnnxMaxOpset = 17, kOnnxMaxIr = 8;

// Reads `path` for images of `input` (1x28x28: Fashion-MNIST). Throws
// models::Error naming the file: not ONNX, truncated, an IR or opset out of
// range, a checker failure, a shape that does not resolve to one image, a
// weight that is not a constant, or the list of every unsupported node.
FloatNetwork read_onnx(const std::filesystem::path& path, const InputScaling& scaling, const Shape& input = {1, 28, 28});

}  // namespace neuroppa::models
