#include "neuroppa/models/onnx_import.hpp"

#include <onnx/checker.h>
#include <onnx/onnx_pb.h>
#include <onnx/shape_inference/implementation.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <fmt/format.h>
#include <fstream>
#include <limits>
#include <map>
#include <optional>
#include <set>
#include <sstream>

#include "neuroppa/base/error.hpp"

namespace neuroppa::models {
namespace {

namespace fs = std::filesystem;

// A constant tensor (an initializer, a Constant node, or a node of constants
// folded: DequantizeLinear of int8 weights, Cast, ConstantOfShape), as floats or int64s.
struct Constant {
  int type = 0;  // onnx::TensorProto::DataType
  std::vector<std::int64_t> dims;
  std::vector<float> floats;  // FLOAT, DOUBLE
  std::vector<std::int64_t> ints;  // INT64, INT32, INT8, UINT8
  std::size_t size() const {
    std::size_t n = 1;
    for (std::int64_t d : dims) n *= std::size_t(d);
    return n;
  }
};

// Reads a tensor's values; nullopt (with `why`) for a type or storage neuroppa does not read.
std::optional<Constant> read_tensor(const onnx::TensorProto& t, std::string& why) {
  Constant c;
  c.type = t.data_type();
  c.dims.assign(t.dims().begin(), t.dims().end());
  std::uint64_t values = 1;
  for (std::int64_t d : c.dims) {
    if (d < 0) {
      why = "a negative dimension";
      return std::nullopt;
    }
    values *= std::uint64_t(d);
    if (values > (std::uint64_t{1} << 31)) {
      why = "more than 2^31 values";
      return std::nullopt;
    }
  }
  if (t.data_location() == onnx::TensorProto::EXTERNAL) {
    why = "its data in an external file (export with the weights inside the model)";
    return std::nullopt;
  }
  const std::size_t n = c.size();
  // The values, from raw_data (little-endian, as ONNX stores them and this
  // machine reads them) or from the typed field, as Stored, into `out`.
  const auto read = [&]<typename Stored>(const auto& typed, auto& out, Stored) {
    const std::string& raw = t.raw_data();
    if (!raw.empty()) {
      if (raw.size() != n * sizeof(Stored)) {
        why = fmt::format("{} bytes of raw data for {} values", raw.size(), n);
        return false;
      }
      for (std::size_t i = 0; i < n; ++i) {
        Stored v;
        std::memcpy(&v, raw.data() + i * sizeof(Stored), sizeof(Stored));
        out.push_back(static_cast<typename std::decay_t<decltype(out)>::value_type>(v));
      }
      return true;
    }
    if (std::size_t(typed.size()) != n) {
      why = fmt::format("{} values for a shape of {}", typed.size(), n);
      return false;
    }
    for (const auto v : typed) out.push_back(static_cast<typename std::decay_t<decltype(out)>::value_type>(v));
    return true;
  };
  bool ok = false;
  switch (t.data_type()) {
    case onnx::TensorProto::FLOAT: ok = read(t.float_data(), c.floats, float{}); break;
    case onnx::TensorProto::DOUBLE: ok = read(t.double_data(), c.floats, double{}); break;
    case onnx::TensorProto::INT64: ok = read(t.int64_data(), c.ints, std::int64_t{}); break;
    case onnx::TensorProto::INT32: ok = read(t.int32_data(), c.ints, std::int32_t{}); break;
    case onnx::TensorProto::INT8: ok = read(t.int32_data(), c.ints, std::int8_t{}); break;  // QDQ weights
    case onnx::TensorProto::UINT8: ok = read(t.int32_data(), c.ints, std::uint8_t{}); break;  // zero points
    default:
      why = fmt::format("element type {} (neuroppa reads float, double, int8, uint8, int32 and int64 constants)",
                        onnx::TensorProto::DataType_Name(onnx::TensorProto::DataType(t.data_type())));
      return std::nullopt;
  }
  if (!ok) return std::nullopt;
  return c;
}

std::string node_label(const onnx::NodeProto& node, int index) {
  return node.name().empty() ? fmt::format("{} (node {})", node.op_type(), index)
                             : fmt::format("{} '{}'", node.op_type(), node.name());
}

const onnx::AttributeProto* attribute(const onnx::NodeProto& node, const std::string& name) {
  for (const auto& a : node.attribute())
    if (a.name() == name) return &a;
  return nullptr;
}

std::int64_t int_attribute(const onnx::NodeProto& node, const std::string& name, std::int64_t fallback) {
  const auto* a = attribute(node, name);
  return a ? a->i() : fallback;
}

float float_attribute(const onnx::NodeProto& node, const std::string& name, float fallback) {
  const auto* a = attribute(node, name);
  return a ? a->f() : fallback;
}

std::vector<std::int64_t> ints_attribute(const onnx::NodeProto& node, const std::string& name) {
  const auto* a = attribute(node, name);
  return a ? std::vector<std::int64_t>(a->ints().begin(), a->ints().end()) : std::vector<std::int64_t>{};
}

std::string join(const std::vector<std::int64_t>& v) {
  std::string s;
  for (std::int64_t x : v) s += (s.empty() ? "" : ", ") + std::to_string(x);
  return "[" + s + "]";
}

bool all_equal(const std::vector<std::int64_t>& v, std::int64_t value) {
  for (std::int64_t x : v)
    if (x != value) return false;
  return true;
}

// Ops the importer maps onto neuroppa's layers, and those it skips.
const std::set<std::string> kLayerOps = {"Conv",    "Gemm",        "MatMul",            "Add",     "BatchNormalization",
                                         "Relu",    "Clip",        "MaxPool",           "Flatten", "Reshape",
                                         "AveragePool", "GlobalAveragePool", "QuantizeLinear", "DequantizeLinear", "Cast"};
const std::set<std::string> kSkippedOps = {"Identity", "Dropout", "Softmax", "LogSoftmax", "Constant"};
// Ops that compute a Reshape's target shape from the input's (torch's x.view(x.size(0), -1)).
const std::set<std::string> kShapeOps = {"Shape", "Gather", "Unsqueeze", "Squeeze", "Concat", "Slice", "Cast"};
// Ops that pass an activation on unchanged for neuroppa: its quantisation (the QDQ form) is the kind's own.
const std::set<std::string> kPassOps = {"QuantizeLinear", "DequantizeLinear", "Cast"};
// Ops folded when every input is a constant (the QDQ form's weights, biases and zero points).
const std::set<std::string> kFoldedOps = {"QuantizeLinear", "DequantizeLinear", "Cast", "ConstantOfShape"};

// Everything the walk knows about a value that is not a constant.
struct Activation {
  Shape shape;
  int rank = 4;             // the ONNX tensor's rank (batch included): 4 feature maps, 2 vectors
  int compute = -1;         // the compute layer (index into the spec) it comes from; -1: the image
  bool pre_relu = false;    // that layer's ReLU is still to come (max-pool and flatten commute with it)
  bool direct = false;      // that layer's output itself: a bias or batch norm may still fold into it
  std::size_t stage = 0;    // layers in the spec when it was made: one chain has no value from before the last
};

class Importer {
 public:
  Importer(const fs::path& path, const InputScaling& scaling, const Shape& input)
      : path_(path), where_(path.string()), scaling_(scaling), input_(input) {}

  FloatNetwork run() {
    load();
    collect_constants();
    fold_constants();
    check_ops();
    FloatNetwork net = walk();
    return net;
  }

 private:
  fs::path path_;
  std::string where_;
  InputScaling scaling_;
  Shape input_;
  onnx::ModelProto model_;
  std::map<std::string, Constant> constants_;
  std::set<int> folded_;  // nodes whose outputs were computed from constants (fold_constants)
  std::set<std::string> shape_values_;  // computed from shapes only (feed a Reshape's shape)
  FloatNetwork net_;
  struct Pending {
    int compute = -1;       // index into net_.weights
    bool relu = false;
    float ceiling = INFINITY;  // Clip's max
    std::string node;
    float activation_range = 0;  // QDQ: the value of its output's largest code (FloatLayerWeights)
  };
  std::vector<Pending> layers_;  // parallel to net_.spec

  [[noreturn]] void fail(const std::string& what) const { throw Error(fmt::format("{}: {}", where_, what)); }

  void load() {
    std::ifstream in(path_, std::ios::binary);
    if (!in) fail("cannot open the file");
    std::stringstream buffer;
    buffer << in.rdbuf();
    const std::string bytes = buffer.str();
    if (bytes.empty()) fail("empty file, not an ONNX model");
    if (!model_.ParseFromString(bytes))
      fail("not an ONNX model (the protobuf does not parse: not ONNX, or truncated)");
    if (!model_.has_graph() || model_.graph().node_size() == 0) fail("not an ONNX model (no graph, or no nodes)");
    if (model_.ir_version() > kOnnxMaxIr)
      fail(fmt::format("IR version {}: neuroppa reads IR versions up to {} (ONNX 1.12); export with opset_version={} "
                       "or older",
                       model_.ir_version(), kOnnxMaxIr, kOnnxMaxOpset));
    for (const auto& op : model_.opset_import()) {
      if (!op.domain().empty() && op.domain() != "ai.onnx")
        fail(fmt::format("operator set '{}' (version {}): neuroppa reads the standard ONNX operators only",
                         op.domain(), op.version()));
      net_.opset = int(op.version());
    }
    if (net_.opset < kOnnxMinOpset || net_.opset > kOnnxMaxOpset)
      fail(fmt::format("opset {}: neuroppa reads opsets {}..{} (what ONNX 1.12 checks); export with "
                       "opset_version={}",
                       net_.opset, kOnnxMinOpset, kOnnxMaxOpset, net_.opset > kOnnxMaxOpset ? kOnnxMaxOpset : kOnnxMinOpset));
    try {
      onnx::checker::check_model(model_);
    } catch (const std::exception& e) {
      fail(fmt::format("the ONNX checker refuses it: {}", first_line(e.what())));
    }
    try {
      onnx::ShapeInferenceOptions options{true, 1, true};  // data propagation: shapes computed from shapes (torch's view)
      onnx::shape_inference::InferShapes(model_, onnx::OpSchemaRegistry::Instance(), options);
    } catch (const std::exception& e) {
      fail(fmt::format("ONNX shape inference fails: {}", first_line(e.what())));
    }
    net_.producer = fmt::format("{} {}", model_.producer_name(), model_.producer_version());
    net_.name = path_.stem().string();
  }

  static std::string first_line(const std::string& s) { return s.substr(0, s.find('\n')); }

  void collect_constants() {
    for (const auto& t : model_.graph().initializer()) {
      std::string why;
      auto c = read_tensor(t, why);
      if (!c) fail(fmt::format("initializer '{}': {}", t.name(), why));
      constants_[t.name()] = std::move(*c);
    }
    for (int i = 0; i < model_.graph().node_size(); ++i) {
      const auto& node = model_.graph().node(i);
      if (node.op_type() != "Constant") continue;
      const auto* value = attribute(node, "value");
      if (!value || !value->has_t() || node.output_size() != 1)
        fail(fmt::format("{}: only a Constant with a tensor 'value' is read", node_label(node, i)));
      std::string why;
      auto c = read_tensor(value->t(), why);
      if (!c) fail(fmt::format("{}: {}", node_label(node, i), why));
      constants_[node.output(0)] = std::move(*c);
    }
  }

  // Nodes of constants computed once, in graph order: DequantizeLinear (QDQ
  // weights and int32 biases, per tensor or per channel), Cast, ConstantOfShape.
  void fold_constants() {
    for (int i = 0; i < model_.graph().node_size(); ++i) {
      const auto& node = model_.graph().node(i);
      if (!kFoldedOps.count(node.op_type()) || node.output_size() != 1) continue;
      bool all = node.input_size() > 0;
      for (const auto& in : node.input()) all = all && (in.empty() || constant(in));
      if (!all) continue;
      constants_[node.output(0)] = fold(node, i);
      folded_.insert(i);
    }
  }

  Constant fold(const onnx::NodeProto& node, int index) const {
    const std::string label = node_label(node, index);
    const Constant& x = constants_.at(node.input(0));
    Constant y;
    y.dims = x.dims;
    const auto values = [&](const Constant& c) {  // as doubles, whichever way stored
      std::vector<double> v(c.floats.begin(), c.floats.end());
      if (v.empty()) v.assign(c.ints.begin(), c.ints.end());
      return v;
    };
    if (node.op_type() == "ConstantOfShape") {
      y.dims = x.ints;
      std::uint64_t n = 1;
      for (std::int64_t d : y.dims) {
        if (d < 0 || (n *= std::uint64_t(d)) > (std::uint64_t{1} << 24)) fail(fmt::format("{}: shape {}", label, join(x.ints)));
      }
      const auto* value = attribute(node, "value");
      Constant fill;
      fill.type = onnx::TensorProto::FLOAT;
      fill.floats = {0.0f};
      if (value && value->has_t()) {
        std::string why;
        auto v = read_tensor(value->t(), why);
        if (!v || v->size() != 1) fail(fmt::format("{}: its value must be one number{}", label, why.empty() ? "" : ": " + why));
        fill = std::move(*v);
      }
      y.type = fill.type;
      if (!fill.floats.empty()) y.floats.assign(n, fill.floats[0]);
      else y.ints.assign(n, fill.ints[0]);
      return y;
    }
    if (node.op_type() == "Cast") {
      y.type = int(int_attribute(node, "to", onnx::TensorProto::FLOAT));
      const std::vector<double> v = values(x);
      if (y.type == onnx::TensorProto::FLOAT || y.type == onnx::TensorProto::DOUBLE) y.floats.assign(v.begin(), v.end());
      else for (double d : v) y.ints.push_back(std::int64_t(d));
      return y;
    }
    // DequantizeLinear: y = (x - zero point) * scale; QuantizeLinear: y = saturate(round(x / scale) + zero
    // point), to even on a tie; per tensor or along `axis`.
    const Constant& scale = float_constant(node.input(1), label);
    std::vector<std::int64_t> zero(scale.size(), 0);
    int zero_type = onnx::TensorProto::UINT8;
    if (node.input_size() > 2 && !node.input(2).empty()) {
      zero = constants_.at(node.input(2)).ints;
      zero_type = constants_.at(node.input(2)).type;
    }
    const bool quantise = node.op_type() == "QuantizeLinear";
    if ((quantise ? x.floats.size() : x.ints.size()) != x.size() || zero.size() != scale.size())
      fail(fmt::format("{}: {} {} ({} and one zero point a scale expected)", label, quantise ? "quantises" : "dequantises",
                       node.input(0), quantise ? "numbers" : "integers"));
    std::int64_t axis = int_attribute(node, "axis", 1);
    if (axis < 0) axis += std::int64_t(x.dims.size());
    std::size_t inner = 1;  // values between two steps along the axis
    if (scale.size() > 1) {
      if (axis < 0 || axis >= std::int64_t(x.dims.size()) || std::size_t(x.dims[std::size_t(axis)]) != scale.size())
        fail(fmt::format("{}: {} scales along axis {} of a {} tensor", label, scale.size(), axis, join(x.dims)));
      for (std::size_t d = std::size_t(axis) + 1; d < x.dims.size(); ++d) inner *= std::size_t(x.dims[d]);
    }
    if (quantise) {
      const bool int8 = zero_type == onnx::TensorProto::INT8;
      y.type = int8 ? onnx::TensorProto::INT8 : onnx::TensorProto::UINT8;
      y.ints.resize(x.size());
      for (std::size_t i = 0; i < x.size(); ++i) {
        const std::size_t c = scale.size() > 1 ? (i / inner) % scale.size() : 0;
        const double q = std::nearbyint(double(x.floats[i]) / double(scale.floats[c])) + double(zero[c]);
        y.ints[i] = std::int64_t(std::clamp(std::isnan(q) ? 0.0 : q, int8 ? -128.0 : 0.0, int8 ? 127.0 : 255.0));
      }
      return y;
    }
    y.type = onnx::TensorProto::FLOAT;
    y.floats.resize(x.size());
    for (std::size_t i = 0; i < x.size(); ++i) {
      const std::size_t c = scale.size() > 1 ? (i / inner) % scale.size() : 0;
      y.floats[i] = float(double(x.ints[i] - zero[c]) * double(scale.floats[c]));
    }
    return y;
  }

  bool constant(const std::string& name) const { return constants_.count(name) > 0; }
  // A constant that must hold floating-point numbers (weights, biases, batch norm, Clip's bounds).
  const Constant& float_constant(const std::string& name, const std::string& label) const {
    const Constant& c = constants_.at(name);
    if (c.floats.size() != c.size())
      fail(fmt::format("{}: '{}' holds integers where numbers of type float are expected", label, name));
    return c;
  }

  // Every node checked before anything is built: one error lists them all.
  void check_ops() {
    // Values computed from shapes only: a Shape node's output and what is computed from it.
    for (int i = 0; i < model_.graph().node_size(); ++i) {
      const auto& node = model_.graph().node(i);
      if (!kShapeOps.count(node.op_type())) continue;
      bool from_shapes = node.op_type() == "Shape";
      for (int k = 0; k < node.input_size() && !from_shapes; ++k) from_shapes = shape_values_.count(node.input(k)) > 0;
      if (from_shapes)
        for (const auto& out : node.output()) shape_values_.insert(out);
    }
    std::vector<std::string> problems;
    for (int i = 0; i < model_.graph().node_size(); ++i) {
      const auto& node = model_.graph().node(i);
      const std::string& op = node.op_type();
      const std::string label = node_label(node, i);
      if (!node.domain().empty() && node.domain() != "ai.onnx") {
        problems.push_back(fmt::format("{}: operator of domain '{}'", label, node.domain()));
        continue;
      }
      if (kShapeOps.count(op) && shape_values_.count(node.output(0))) continue;
      if (kSkippedOps.count(op) || folded_.count(i)) continue;
      if (!kLayerOps.count(op)) {
        problems.push_back(fmt::format("{}: unsupported op", label));
        continue;
      }
      if (auto why = pattern_problem(node)) problems.push_back(fmt::format("{}: {}", label, *why));
    }
    if (problems.empty()) return;
    std::string list;
    for (const std::string& p : problems) list += "\n  " + p;
    fail(fmt::format("{} node{} neuroppa cannot run (nothing written):{}", problems.size(),
                     problems.size() == 1 ? "" : "s", list));
  }

  // A pooling window neuroppa's pool layers take: square, stride = window, no padding, whole windows.
  static std::optional<std::string> window_problem(const onnx::NodeProto& node) {
    const auto kernel = ints_attribute(node, "kernel_shape");
    auto strides = ints_attribute(node, "strides");
    if (strides.empty()) strides.assign(kernel.size(), 1);
    if (kernel.size() != 2 || kernel[0] != kernel[1]) return fmt::format("kernel {}: only square 2-D windows", join(kernel));
    if (strides != kernel)
      return fmt::format("kernel {} with strides {}: only windows that do not overlap (stride = window)", join(kernel),
                         join(strides));
    if (!all_equal(ints_attribute(node, "pads"), 0)) return "padded pooling";
    if (int_attribute(node, "ceil_mode", 0) != 0) return "ceil_mode 1 (partial windows)";
    return std::nullopt;
  }

  // What a node's attributes or operands ask that neuroppa's layers cannot do.
  std::optional<std::string> pattern_problem(const onnx::NodeProto& node) const {
    const std::string& op = node.op_type();
    const auto need_constant = [&](int k, const char* what) -> std::optional<std::string> {
      if (node.input_size() > k && !node.input(k).empty() && !constant(node.input(k)))
        return fmt::format("its {} ('{}') is not a constant", what, node.input(k));
      return std::nullopt;
    };
    if (op == "Conv") {
      if (auto p = need_constant(1, "weight")) return p;
      if (auto p = need_constant(2, "bias")) return p;
      if (int_attribute(node, "group", 1) != 1) return "grouped convolution (group != 1)";
      if (!all_equal(ints_attribute(node, "dilations"), 1)) return "dilation other than 1";
      const auto pads = ints_attribute(node, "pads");
      if (!pads.empty() && (pads.size() != 4 || !all_equal(pads, pads[0])))
        return fmt::format("padding {}: only the same padding on every side", join(pads));
      const auto* pad = attribute(node, "auto_pad");
      if (pad && pad->s() != "NOTSET" && pad->s() != "VALID" && pad->s() != "SAME_UPPER" && pad->s() != "SAME_LOWER")
        return fmt::format("auto_pad {}", pad->s());
      const auto strides = ints_attribute(node, "strides");
      if (!strides.empty() && (strides.size() != 2 || strides[0] != strides[1]))
        return fmt::format("strides {}: only equal strides in both dimensions", join(strides));
      if (constant(node.input(1))) {
        const Constant& w = constants_.at(node.input(1));
        if (w.dims.size() != 4) return fmt::format("a weight of {} dimensions (a 2-D convolution has 4)", w.dims.size());
        if (w.dims[2] != w.dims[3]) return fmt::format("a {}x{} kernel: only square kernels", w.dims[2], w.dims[3]);
        if (!pads.empty() && pads[0] >= w.dims[2])
          return fmt::format("padding {} with a {}x{} kernel: a window would see padding only", pads[0], w.dims[2], w.dims[3]);
        const bool same = pad && (pad->s() == "SAME_UPPER" || pad->s() == "SAME_LOWER");
        if (same && (w.dims[2] % 2 == 0 || (!strides.empty() && strides[0] != 1)))
          return fmt::format("auto_pad {} with a {}x{} kernel and strides {}: only odd kernels at stride 1 pad the "
                             "same on every side",
                             pad->s(), w.dims[2], w.dims[3], join(strides));
      }
    } else if (op == "Gemm") {
      if (auto p = need_constant(1, "weight")) return p;
      if (auto p = need_constant(2, "bias")) return p;
      if (int_attribute(node, "transA", 0) != 0) return "transA = 1 (the activations must be the rows)";
    } else if (op == "MatMul") {
      if (auto p = need_constant(1, "weight")) return p;
      if (node.input_size() > 1 && constant(node.input(1)) && constants_.at(node.input(1)).dims.size() != 2)
        return "a weight that is not a matrix";
    } else if (op == "Add") {
      if (node.input_size() == 2 && constant(node.input(0)) && constant(node.input(1))) return "the sum of two constants";
    } else if (op == "BatchNormalization") {
      for (int k = 1; k <= 4; ++k)
        if (auto p = need_constant(k, "parameter")) return p;
      if (node.output_size() > 1) return "training mode (running mean and variance as outputs)";
    } else if (op == "Clip") {
      if (auto p = need_constant(1, "min")) return p;
      if (auto p = need_constant(2, "max")) return p;
      if (node.input_size() < 2 || node.input(1).empty()) return "no minimum: only Clip(min = 0) acts as a ReLU";
      const Constant& lo = constants_.at(node.input(1));
      if (lo.floats.size() != 1 || lo.floats[0] != 0.0f) return "a minimum other than 0: only Clip(min = 0) acts as a ReLU";
    } else if (op == "MaxPool") {
      if (auto p = window_problem(node)) return p;
      if (!all_equal(ints_attribute(node, "dilations"), 1)) return "dilation other than 1";
      if (node.output_size() > 1 && !node.output(1).empty()) return "the indices output";
    } else if (op == "AveragePool") {
      if (auto p = window_problem(node)) return p;
    } else if (op == "Flatten") {
      if (int_attribute(node, "axis", 1) != 1) return "an axis other than 1 (neuroppa flattens one image)";
    } else if (op == "QuantizeLinear" || op == "DequantizeLinear") {
      if (auto p = need_constant(1, "scale")) return p;
      if (auto p = need_constant(2, "zero point")) return p;
      if (node.input_size() > 1 && constant(node.input(1)) && constants_.at(node.input(1)).size() != 1)
        return "an activation quantised per channel (neuroppa's activations have one scale a layer)";
    } else if (op == "Cast") {
      const auto to = int_attribute(node, "to", 0);
      if (to != onnx::TensorProto::UINT8 && to != onnx::TensorProto::INT8 && to != onnx::TensorProto::FLOAT)
        return fmt::format("a cast of an activation to {} (the QDQ form casts its 8-bit codes only)",
                           onnx::TensorProto::DataType_Name(onnx::TensorProto::DataType(to)));
    } else if (op == "Reshape") {
      if (node.input_size() < 2 || (!constant(node.input(1)) && !shape_values_.count(node.input(1))))
        return "a target shape that is neither a constant nor computed from the input's shape";
    }
    return std::nullopt;
  }

  // The graph's one data input: its shape must be one image of `input_` (any batch size).
  std::string image_input(int& rank) {
    std::vector<const onnx::ValueInfoProto*> inputs;
    for (const auto& in : model_.graph().input())
      if (!constant(in.name())) inputs.push_back(&in);
    if (inputs.size() != 1)
      fail(fmt::format("{} data inputs: neuroppa feeds one (the image)", inputs.size()));
    const auto& type = inputs[0]->type();
    if (!type.has_tensor_type() || !type.tensor_type().has_shape())
      fail(fmt::format("input '{}': no tensor shape", inputs[0]->name()));
    std::vector<std::int64_t> dims;
    const auto& shape = type.tensor_type().shape();
    for (int d = 0; d < shape.dim_size(); ++d) {
      const auto& dim = shape.dim(d);
      if (dim.has_dim_value()) {
        dims.push_back(dim.dim_value());
      } else if (d == 0) {
        dims.push_back(1);  // a symbolic batch size
      } else {
        fail(fmt::format("input '{}': dimension {} is '{}', not a number (a dynamic shape neuroppa cannot "
                         "resolve to one image; export with fixed image dimensions)",
                         inputs[0]->name(), d, dim.dim_param()));
      }
    }
    std::size_t size = 1;
    for (std::size_t d = 1; d < dims.size(); ++d) size *= std::size_t(dims[d]);
    const bool image = dims.size() == 4 && dims[1] == input_.channels && dims[2] == input_.height && dims[3] == input_.width;
    const bool flat = dims.size() == 2 && size == input_.size();
    if (dims.empty() || dims[0] != 1 || !(image || flat))
      fail(fmt::format("input '{}' has shape {}: neuroppa feeds one {} image ([N, {}, {}, {}] or [N, {}])",
                       inputs[0]->name(), join(dims), input_.describe(), input_.channels, input_.height,
                       input_.width, input_.size()));
    rank = int(dims.size());
    if (flat) net_.notes.push_back("the input is a flat vector: the image is fed row by row, as torch's flatten gives it");
    return inputs[0]->name();
  }

  std::map<std::string, std::vector<std::int64_t>> shapes_;  // values of the shape ops, evaluated
  void evaluate_shape_op(const onnx::NodeProto& node, int index, const std::map<std::string, Activation>& values);
  FloatNetwork walk();
  void check_flatten_shape(const onnx::NodeProto& node, int index, const Activation& in) const;
  int add_compute(const std::string& label, const Activation& in, LayerSpec spec, FloatLayerWeights weights);
  void add_layer(const std::string& label, LayerSpec spec);
  FloatLayerWeights& weights_of(const std::string& label, const Activation& in, const char* what);
  void finish(const onnx::ValueInfoProto& output, const std::map<std::string, Activation>& values);
  Activation residual_add(const std::string& label, const Activation& a, const Activation& b);
  void quantised_activation(const std::string& label, const onnx::NodeProto& node, const Activation& in);
  bool noted_pre_relu_rounding_ = false;
  void fold_scaling();
};

void Importer::add_layer(const std::string& label, LayerSpec spec) {
  net_.spec.push_back(spec);
  layers_.push_back({-1, false, INFINITY, label});
}

int Importer::add_compute(const std::string& label, const Activation& in, LayerSpec spec, FloatLayerWeights weights) {
  if (in.pre_relu)
    fail(fmt::format("{}: its input comes from {} with no ReLU between them (neuroppa's neurons apply one)", label,
                     layers_[std::size_t(in.compute)].node));
  net_.spec.push_back(spec);
  net_.weights.push_back(std::move(weights));
  layers_.push_back({int(net_.weights.size()) - 1, false, INFINITY, label});
  return int(net_.spec.size()) - 1;
}

FloatLayerWeights& Importer::weights_of(const std::string& label, const Activation& in, const char* what) {
  if (in.compute < 0 || !in.direct)
    fail(fmt::format("{}: {} must follow a convolution or a linear layer directly (it is folded into it)", label,
                     what));
  return net_.weights[std::size_t(layers_[std::size_t(in.compute)].compute)];
}

// The shape ops torch writes for x.view(x.size(0), -1), evaluated on one
// image's shape (batch 1): Shape, Gather, Unsqueeze, Squeeze, Concat, Slice, Cast.
void Importer::evaluate_shape_op(const onnx::NodeProto& node, int index,
                                 const std::map<std::string, Activation>& values) {
  const std::string label = node_label(node, index);
  const auto operand = [&](int k) -> std::vector<std::int64_t> {
    if (node.input_size() <= k || node.input(k).empty()) return {};
    if (auto it = shapes_.find(node.input(k)); it != shapes_.end()) return it->second;
    if (constant(node.input(k))) return constants_.at(node.input(k)).ints;
    fail(fmt::format("{}: operand '{}' is neither a shape nor an integer constant", label, node.input(k)));
  };
  const std::string& op = node.op_type();
  std::vector<std::int64_t> result;
  if (op == "Shape") {
    const auto it = values.find(node.input(0));
    if (it == values.end()) fail(fmt::format("{}: the shape of a value neuroppa does not track", label));
    const Activation& a = it->second;
    result = a.rank == 4 ? std::vector<std::int64_t>{1, a.shape.channels, a.shape.height, a.shape.width}
                         : std::vector<std::int64_t>{1, std::int64_t(a.shape.size())};
  } else if (op == "Gather") {
    const auto data = operand(0), indices = operand(1);
    for (std::int64_t i : indices) {
      const std::int64_t at = i < 0 ? i + std::int64_t(data.size()) : i;
      if (at < 0 || at >= std::int64_t(data.size())) fail(fmt::format("{}: index {} of {} values", label, i, data.size()));
      result.push_back(data[std::size_t(at)]);
    }
  } else if (op == "Unsqueeze" || op == "Squeeze" || op == "Cast") {
    result = operand(0);  // a 0-D or 1-D shape value keeps its numbers
  } else if (op == "Concat") {
    for (int k = 0; k < node.input_size(); ++k) {
      const auto part = operand(k);
      result.insert(result.end(), part.begin(), part.end());
    }
  } else if (op == "Slice") {
    const auto data = operand(0), starts = operand(1), ends = operand(2);
    if (starts.size() != 1 || ends.size() != 1) fail(fmt::format("{}: only a 1-D slice of a shape", label));
    const auto n = std::int64_t(data.size());
    const auto clampi = [&](std::int64_t v) { return std::clamp(v < 0 ? v + n : v, std::int64_t{0}, n); };
    for (std::int64_t i = clampi(starts[0]); i < clampi(ends[0]); ++i) result.push_back(data[std::size_t(i)]);
  }
  shapes_[node.output(0)] = result;
}

// A Reshape that flattens one image: [N, size], [1, -1], [-1, size], [0, -1]
// (or a shape computed from the input's, checked against shape inference).
void Importer::check_flatten_shape(const onnx::NodeProto& node, int index, const Activation& in) const {
  const std::string label = node_label(node, index);
  std::vector<std::int64_t> target;
  if (constant(node.input(1))) target = constants_.at(node.input(1)).ints;
  else if (auto it = shapes_.find(node.input(1)); it != shapes_.end()) target = it->second;
  const auto size = std::int64_t(in.shape.size());
  const bool flat = target.size() == 2 && (target[0] == 1 || target[0] == -1 || target[0] == 0) &&
                    (target[1] == size || (target[1] == -1 && target[0] != -1));
  if (!flat)
    fail(fmt::format("{}: reshapes a {} tensor to {}: neuroppa flattens one image ([N, -1] or [N, {}]) only", label,
                     in.shape.describe(), join(target), size));
}

FloatNetwork Importer::walk() {
  std::map<std::string, Activation> values;
  {
    Activation image;
    image.shape = input_;
    const std::string name = image_input(image.rank);
    values[name] = image;
  }
  const auto& graph = model_.graph();
  for (int i = 0; i < graph.node_size(); ++i) {
    const auto& node = graph.node(i);
    const std::string& op = node.op_type();
    const std::string label = node_label(node, i);
    if (op == "Constant" || folded_.count(i)) continue;
    if (kShapeOps.count(op) && shape_values_.count(node.output(0))) {
      evaluate_shape_op(node, i, values);
      continue;
    }
    if (op == "Add" && node.input_size() == 2 && values.count(node.input(0)) && values.count(node.input(1))) {
      const Activation out = residual_add(label, values.at(node.input(0)), values.at(node.input(1)));
      values[node.output(0)] = out;
      continue;
    }
    if (kPassOps.count(op)) {  // the QDQ form's quantisation of an activation: a layer's range, else passed on
      const auto it = values.find(node.input(0));
      if (it == values.end()) fail(fmt::format("{}: its input does not come from the image", label));
      if (op == "QuantizeLinear") quantised_activation(label, node, it->second);
      values[node.output(0)] = it->second;
      continue;
    }
    const Activation* found = nullptr;
    for (const auto& name : node.input())
      if (auto it = values.find(name); it != values.end() && !found) found = &it->second;
    if (!found) fail(fmt::format("{}: none of its inputs comes from the image", label));
    Activation in = *found;
    if (in.stage != net_.spec.size())
      fail(fmt::format("{}: reads a value from before the last layer: neuroppa runs one chain of layers, an "
                       "earlier activation added into a layer's sum at most (an identity shortcut); not a second "
                       "branch of layers (a projection shortcut) or a layer whose output is not used",
                       label));
    Activation out = in;
    out.direct = false;
    if (op == "Identity" || op == "Dropout") {
      out.direct = in.direct;
    } else if (op == "Softmax" || op == "LogSoftmax") {
      net_.notes.push_back(fmt::format("{} skipped: it does not change which class scores highest", label));
      out.direct = in.direct;
    } else if (op == "Conv") {
      const Constant& w = float_constant(node.input(1), label);
      const unsigned outs = unsigned(w.dims[0]), channels = unsigned(w.dims[1]), k = unsigned(w.dims[2]);
      if (in.rank != 4 || channels != in.shape.channels)
        fail(fmt::format("{}: a weight for {} input channels on a {} input", label, channels, in.shape.describe()));
      LayerSpec spec;
      spec.type = LayerType::conv;
      spec.size = outs;
      spec.kernel = k;
      const auto strides = ints_attribute(node, "strides");
      spec.stride = strides.empty() ? 1 : unsigned(strides[0]);
      if (spec.stride == 0) fail(fmt::format("{}: stride 0", label));
      const auto pads = ints_attribute(node, "pads");
      const auto* auto_pad = attribute(node, "auto_pad");
      if (!pads.empty()) spec.pad = unsigned(pads[0]);
      if (auto_pad && (auto_pad->s() == "SAME_UPPER" || auto_pad->s() == "SAME_LOWER")) spec.pad = (k - 1) / 2;
      FloatLayerWeights weights{w.floats, std::vector<float>(outs, 0.0f)};
      if (node.input_size() > 2 && !node.input(2).empty()) weights.bias = float_constant(node.input(2), label).floats;
      if (weights.bias.size() != outs || weights.weights.size() != std::size_t(outs) * channels * k * k)
        fail(fmt::format("{}: weights or biases of the wrong size for {} outputs", label, outs));
      if (in.shape.height + 2 * spec.pad < k || in.shape.width + 2 * spec.pad < k)
        fail(fmt::format("{}: a {}x{} kernel on a {} input", label, k, k, in.shape.describe()));
      if (spec.pad && in.compute < 0 && scaling_.mean != 0)
        net_.notes.push_back(fmt::format(
            "{} pads the normalised image with 0 (pixel {:.1f}); neuroppa pads with pixel 0 ({:.3g} normalised): "
            "the two differ at the image border only",
            label, scaling_.mean / scaling_.scale, -scaling_.mean / scaling_.std));
      out.compute = add_compute(label, in, spec, std::move(weights));
      out.shape = {outs, (in.shape.height + 2 * spec.pad - k) / spec.stride + 1,
                   (in.shape.width + 2 * spec.pad - k) / spec.stride + 1};
      out.pre_relu = out.direct = true;
    } else if (op == "Gemm" || op == "MatMul") {
      const Constant& b = float_constant(node.input(1), label);
      if (in.rank != 2)
        fail(fmt::format("{}: a matrix product on a {} feature map (flatten it first)", label, in.shape.describe()));
      const bool trans = op == "Gemm" && int_attribute(node, "transB", 0) != 0;
      const std::size_t outs = std::size_t(trans ? b.dims[0] : b.dims[1]);
      const std::size_t fan_in = std::size_t(trans ? b.dims[1] : b.dims[0]);
      if (fan_in != in.shape.size())
        fail(fmt::format("{}: a weight for {} inputs on {} values", label, fan_in, in.shape.size()));
      const float alpha = op == "Gemm" ? float_attribute(node, "alpha", 1.0f) : 1.0f;
      FloatLayerWeights weights;
      weights.weights.resize(outs * fan_in);
      for (std::size_t o = 0; o < outs; ++o)
        for (std::size_t f = 0; f < fan_in; ++f)
          weights.weights[o * fan_in + f] = alpha * (trans ? b.floats[o * fan_in + f] : b.floats[f * outs + o]);
      weights.bias.assign(outs, 0.0f);
      if (op == "Gemm" && node.input_size() > 2 && !node.input(2).empty()) {
        const Constant& c = float_constant(node.input(2), label);
        const float beta = float_attribute(node, "beta", 1.0f);
        if (c.size() != outs && c.size() != 1)
          fail(fmt::format("{}: a bias of shape {} for {} outputs", label, join(c.dims), outs));
        for (std::size_t o = 0; o < outs; ++o) weights.bias[o] = beta * c.floats[c.size() == 1 ? 0 : o];
      }
      LayerSpec spec;
      spec.type = LayerType::dense;
      spec.size = unsigned(outs);
      out.compute = add_compute(label, in, spec, std::move(weights));
      out.shape = {unsigned(outs), 1, 1};
      out.rank = 2;
      out.pre_relu = out.direct = true;
    } else if (op == "Add") {
      const std::string& other = constant(node.input(0)) ? node.input(0) : node.input(1);
      const Constant& c = float_constant(other, label);
      FloatLayerWeights& w = weights_of(label, in, "adding a constant");
      const std::size_t outs = w.bias.size();
      // One value per output ([outs], [1, outs], [outs, 1, 1], [1, outs, 1, 1]), or one for all.
      std::size_t big = 0;
      for (std::int64_t d : c.dims) big += d > 1;
      if ((c.size() != outs && c.size() != 1) || big > 1)
        fail(fmt::format("{}: a constant of shape {} added to {} outputs (a bias is one value per output)", label,
                         join(c.dims), outs));
      for (std::size_t o = 0; o < outs; ++o) w.bias[o] += c.floats[c.size() == 1 ? 0 : o];
      out.direct = true;
    } else if (op == "BatchNormalization") {
      FloatLayerWeights& w = weights_of(label, in, "batch norm");
      const std::size_t outs = w.bias.size(), fan_in = w.weights.size() / outs;
      const float eps = float_attribute(node, "epsilon", 1e-5f);
      const auto& gamma = float_constant(node.input(1), label).floats;
      const auto& beta = float_constant(node.input(2), label).floats;
      const auto& mean = float_constant(node.input(3), label).floats;
      const auto& var = float_constant(node.input(4), label).floats;
      if (gamma.size() != outs || beta.size() != outs || mean.size() != outs || var.size() != outs)
        fail(fmt::format("{}: parameters for {} channels after a layer of {}", label, gamma.size(), outs));
      for (std::size_t o = 0; o < outs; ++o) {
        if (!(var[o] + eps > 0)) fail(fmt::format("{}: variance {} of channel {} is not positive", label, var[o], o));
        const float s = gamma[o] / std::sqrt(var[o] + eps);
        for (std::size_t f = 0; f < fan_in; ++f) w.weights[o * fan_in + f] *= s;
        w.bias[o] = (w.bias[o] - mean[o]) * s + beta[o];
      }
      net_.notes.push_back(fmt::format("{} folded into {}", label, layers_[std::size_t(in.compute)].node));
      out.direct = true;
    } else if (op == "Relu" || op == "Clip") {
      if (in.compute < 0) {
        net_.notes.push_back(fmt::format("{} on the image skipped: pixels are not negative", label));
      } else {
        Pending& p = layers_[std::size_t(in.compute)];
        if (!in.pre_relu) fail(fmt::format("{}: a second ReLU on {}'s output", label, p.node));
        p.relu = true;
        if (op == "Clip" && node.input_size() > 2 && !node.input(2).empty()) {
          const Constant& hi = float_constant(node.input(2), label);
          if (hi.floats.size() != 1 || !(hi.floats[0] > 0))
            fail(fmt::format("{}: a maximum of shape {} or not above 0", label, join(hi.dims)));
          p.ceiling = hi.floats[0];
        }
        out.pre_relu = false;
      }
    } else if (op == "MaxPool") {
      const unsigned k = unsigned(ints_attribute(node, "kernel_shape")[0]);
      if (in.rank != 4 || k == 0 || in.shape.height < k || in.shape.width < k)
        fail(fmt::format("{}: a {}x{} window on a {} input", label, k, k, in.shape.describe()));
      LayerSpec spec;
      spec.type = LayerType::maxpool;
      spec.kernel = k;
      add_layer(label, spec);  // max-pool and ReLU commute: a ReLU after it is the layer before's
      out.shape = {in.shape.channels, in.shape.height / k, in.shape.width / k};
    } else if (op == "AveragePool" || op == "GlobalAveragePool") {
      // The mean of a layer's outputs before its ReLU is not the mean after it: the ReLU must come first.
      if (in.pre_relu)
        fail(fmt::format("{}: average pooling before the ReLU of {} (neuroppa's neurons apply it first)", label,
                         layers_[std::size_t(in.compute)].node));
      const unsigned k = op == "GlobalAveragePool" ? in.shape.height : unsigned(ints_attribute(node, "kernel_shape")[0]);
      if (in.rank != 4 || k == 0 || in.shape.height < k || in.shape.width < k ||
          (op == "GlobalAveragePool" && in.shape.height != in.shape.width))
        fail(fmt::format("{}: a {}x{} window on a {} input (global pooling: square maps only)", label, k, k,
                         in.shape.describe()));
      LayerSpec spec;
      spec.type = LayerType::avgpool;
      spec.kernel = k;
      add_layer(label, spec);
      out.shape = {in.shape.channels, in.shape.height / k, in.shape.width / k};
    } else if (op == "Flatten" || op == "Reshape") {
      if (op == "Reshape") check_flatten_shape(node, i, in);
      if (in.rank == 4) {
        LayerSpec spec;
        spec.type = LayerType::flatten;
        add_layer(label, spec);
      }
      out.shape = {unsigned(in.shape.size()), 1, 1};
      out.rank = 2;
    }
    out.stage = net_.spec.size();
    for (const auto& name : node.output())
      if (!name.empty()) values[name] = out;
  }
  if (graph.output_size() != 1) fail(fmt::format("{} outputs: neuroppa reads one (the class scores)", graph.output_size()));
  finish(graph.output(0), values);
  fold_scaling();
  return std::move(net_);
}

// The sum of two branches: a layer's output before its ReLU (`main`, the
// latest value) and an earlier activation (the shortcut), of one shape. The
// shortcut becomes more synapses of that layer with identity weights
// (Layer::residual), so its ReLU sees the sum: relu(bn(conv(x)) + x). A batch
// norm after the Add still folds (it scales the whole row).
Activation Importer::residual_add(const std::string& label, const Activation& a, const Activation& b) {
  if (!a.pre_relu && !b.pre_relu)
    fail(fmt::format("{}: adds two values after their ReLUs; neuroppa adds a shortcut into a layer's sum before the "
                     "layer's ReLU (relu(bn(conv(x)) + x), ResNet's basic block)",
                     label));
  if (a.pre_relu && b.pre_relu)
    fail(fmt::format("{}: adds two layers' outputs before their ReLUs (a projection shortcut, or two branches); "
                     "neuroppa adds an earlier activation, an identity shortcut, into one layer's sum",
                     label));
  const Activation& main = a.pre_relu ? a : b;
  const Activation& shortcut = a.pre_relu ? b : a;
  if (main.stage != net_.spec.size() || main.compute != int(net_.spec.size()) - 1 || !main.direct)
    fail(fmt::format("{}: the branch before its ReLU must be the last convolution's or linear layer's output "
                     "(a bias or batch norm may come between)",
                     label));
  if (shortcut.compute < 0)
    fail(fmt::format("{}: the shortcut comes from the image without a layer between (neuroppa keeps layers' outputs, "
                     "not the input image)",
                     label));
  if (!(shortcut.shape == main.shape) || shortcut.rank != main.rank)
    fail(fmt::format("{}: adds a {} value to a {} one (an identity shortcut has the shape of the sum)", label,
                     shortcut.shape.describe(), main.shape.describe()));
  LayerSpec& spec = net_.spec[std::size_t(main.compute)];
  Pending& layer = layers_[std::size_t(main.compute)];
  if (spec.residual)
    fail(fmt::format("{}: a second shortcut into {} (neuroppa adds one)", label, layer.node));
  spec.residual = unsigned(shortcut.stage);  // the output of the spec before that stage, numbered from 1
  FloatLayerWeights& w = net_.weights[std::size_t(layer.compute)];
  const std::size_t outs = w.bias.size(), own = w.weights.size() / outs;
  const std::size_t extra = spec.type == LayerType::conv ? shortcut.shape.channels : shortcut.shape.size();
  std::vector<float> weights((own + extra) * outs, 0.0f);
  for (std::size_t o = 0; o < outs; ++o) {
    std::copy_n(&w.weights[o * own], own, &weights[o * (own + extra)]);
    weights[o * (own + extra) + own + o] = 1.0f;  // identity: output o adds shortcut value o
  }
  w.weights = std::move(weights);
  net_.notes.push_back(fmt::format("{}: the shortcut from {} added into {}'s sum (identity weights)", label,
                                   layers_[shortcut.stage - 1].node, layer.node));
  Activation out = main;
  out.direct = true;
  return out;
}

// A QuantizeLinear of an activation (the QDQ form). After a layer's ReLU (or
// a pooling of it) its codes 0..qmax stand for 0..(qmax - zero point) x
// scale: that range is the layer's activation scale, kept as given. Elsewhere
// (the image, a sum before its ReLU) neuroppa computes without that rounding.
void Importer::quantised_activation(const std::string& label, const onnx::NodeProto& node, const Activation& in) {
  const Constant& scale = float_constant(node.input(1), label);
  std::int64_t zero = 0, qmax = 255;  // uint8, ONNX's default
  if (node.input_size() > 2 && !node.input(2).empty()) {
    const Constant& z = constants_.at(node.input(2));
    if (z.ints.size() != 1) fail(fmt::format("{}: a zero point that is not one integer", label));
    zero = z.ints[0];
    if (z.type == onnx::TensorProto::INT8) qmax = 127;
  }
  if (in.compute < 0) {
    net_.notes.push_back(fmt::format("{}: the image's quantisation skipped (neuroppa reads the pixels)", label));
    return;
  }
  Pending& layer = layers_[std::size_t(in.compute)];
  if (in.pre_relu) {
    if (!noted_pre_relu_rounding_)
      net_.notes.push_back(fmt::format("{} (and any like it): a rounding before a ReLU is not modelled (the "
                                       "kernel's sum is exact until its output stage)",
                                       label));
    noted_pre_relu_rounding_ = true;
    return;
  }
  const float range = float(double(qmax - zero) * double(scale.floats[0]));
  if (!(range > 0) || !std::isfinite(range))
    fail(fmt::format("{}: scale {} and zero point {} give no positive range after {}'s ReLU", label, scale.floats[0],
                     zero, layer.node));
  if (layer.activation_range == 0) layer.activation_range = range;
}

// The class scores: the last layer's output, every layer before it with its ReLU.
void Importer::finish(const onnx::ValueInfoProto& output, const std::map<std::string, Activation>& values) {
  const auto it = values.find(output.name());
  if (it == values.end()) fail(fmt::format("output '{}' does not come from the image", output.name()));
  const Activation& scores = it->second;
  if (net_.weights.empty()) fail("no convolution or linear layer");
  if (scores.compute != int(net_.spec.size()) - 1)
    fail(fmt::format("output '{}': the class scores must be the last convolution's or linear layer's output "
                     "(neuroppa's last layer is a compute layer)",
                     output.name()));
  for (std::size_t l = 0; l + 1 < layers_.size(); ++l)
    if (layers_[l].compute >= 0 && !layers_[l].relu)
      fail(fmt::format("{}: no ReLU after it (neuroppa's neurons apply one between layers)", layers_[l].node));
  if (layers_.back().relu)
    net_.notes.push_back(fmt::format("the ReLU after the last layer ({}) dropped: the class with the highest score "
                                     "is the same",
                                     layers_.back().node));
  for (std::size_t l = 0; l < layers_.size(); ++l)
    if (layers_[l].compute >= 0) {
      net_.weights[std::size_t(layers_[l].compute)].ceiling = layers_[l].ceiling;
      net_.weights[std::size_t(layers_[l].compute)].activation_range = layers_[l].activation_range;
    }
  if (std::any_of(layers_.begin(), layers_.end(), [](const Pending& p) { return p.activation_range > 0; }))
    net_.notes.push_back("activation scales from the QDQ graph's QuantizeLinear nodes, kept as given");
}

// The model reads u = (p * scale - mean) / std for pixel p; neuroppa's first
// layer reads a = p / 255. u = alpha * a + beta with alpha = 255 * scale / std
// and beta = -mean / std: the first layer's weights times alpha, and beta times
// their sum added to its bias (exact where an output sees its whole fan-in; at a
// padded border with mean != 0 the padding differs, noted; a max-pool before it
// commutes, alpha being positive).
void Importer::fold_scaling() {
  const double alpha = 255.0 * scaling_.scale / scaling_.std, beta = -scaling_.mean / scaling_.std;
  if (!(alpha > 0) || !std::isfinite(alpha) || !std::isfinite(beta))
    fail(fmt::format("input scaling {} and normalisation ({}, {}): the scale and std must be above 0",
                     scaling_.scale, scaling_.mean, scaling_.std));
  FloatLayerWeights& first = net_.weights.front();
  const std::size_t outs = first.bias.size(), fan_in = first.weights.size() / outs;
  for (std::size_t o = 0; o < outs; ++o) {
    double sum = 0;
    for (std::size_t f = 0; f < fan_in; ++f) {
      sum += first.weights[o * fan_in + f];
      first.weights[o * fan_in + f] = float(first.weights[o * fan_in + f] * alpha);
    }
    first.bias[o] = float(first.bias[o] + beta * sum);
  }
}

}  // namespace

FloatNetwork read_onnx(const std::filesystem::path& path, const InputScaling& scaling, const Shape& input) {
  return Importer(path, scaling, input).run();
}

}  // namespace neuroppa::models
