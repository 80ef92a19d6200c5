#include "neuroppa/models/training.hpp"

#include <Eigen/Dense>
#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <functional>
#include <fmt/format.h>
#include <map>
#include <memory>
#include <optional>
#include <numeric>
#include <tuple>

#include "neuroppa/base/error.hpp"
#include "neuroppa/models/random.hpp"

namespace neuroppa::models {
namespace {

using Mat = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
using Row = Eigen::Matrix<float, 1, Eigen::Dynamic>;

constexpr float kLevels = 255.0f;  // activation a = x / 255
constexpr int kMaxLayerShift = 24;

enum class Mode { real, quantised };

float uniform(Rng& rng) { return float(rng.next() >> 40) / float(1u << 24); }  // [0, 1)

struct Adam {
  Mat m, v;
  void step(Mat& param, const Mat& grad, float lr, int t) {
    if (m.size() == 0) {
      m = Mat::Zero(param.rows(), param.cols());
      v = Mat::Zero(param.rows(), param.cols());
    }
    constexpr float b1 = 0.9f, b2 = 0.999f, eps = 1e-8f;
    m = b1 * m + (1 - b1) * grad;
    v = b2 * v + (1 - b2) * grad.cwiseProduct(grad);
    const float c1 = 1 - std::pow(b1, float(t)), c2 = 1 - std::pow(b2, float(t));
    param.array() -= lr * (m.array() / c1) / ((v.array() / c2).sqrt() + eps);
  }
};

// One update of a parameter by the chosen optimiser (Adam keeps its moments in `state`).
void update(Mat& param, const Mat& grad, Adam& state, float lr, int t, Optimizer optimizer) {
  if (optimizer == Optimizer::sgd)
    param -= lr * grad;
  else
    state.step(param, grad, lr, t);
}

// ---- the term-table trainer (package kinds): the golden term as a black box

// Every term of a kind for 8-bit activations: T(c, x) and its slope in x.
struct TermTable {
  unsigned codes = 0;
  std::vector<float> term;   // codes x 256
  std::vector<float> slope;  // codes x 256: dT/dx by central differences
  const float* row(std::uint32_t c) const { return &term[std::size_t{c} * 256]; }
  const float* slope_row(std::uint32_t c) const { return &slope[std::size_t{c} * 256]; }
};

// A layer's weight -> code mapping: for u = w * 2^k on a grid, the code whose
// term, less its mean, is closest to u * x in least squares over the layer's
// activation histogram (its mean goes to the bias by recalibration).
struct CodeMap {
  float lo = 0, hi = 0;  // u range of the grid
  std::vector<std::uint32_t> code;
  std::uint32_t operator()(float u) const {
    const float at = (u - lo) / (hi - lo) * float(code.size() - 1);
    return code[std::size_t(std::clamp(std::lround(at), 0l, long(code.size() - 1)))];
  }
};

// One layer of the float/quantisation-aware network, with what backward needs.
struct TrainLayer {
  Layer layer;  // type, kind, shapes, kernel, stride, code_bits
  bool last = false;
  Mat W;        // out x fan_in: weights (mac, shift, spike) or sign latents (threshold)
  Mat theta;    // threshold: out x fan_in
  Mat b;        // 1 x out
  int k = 0;    // output shift (threshold: fixed; mac/shift: from the weights)
  std::shared_ptr<const TermTable> table;  // a package kind (term-table trainer)
  CodeMap code_map;                        // its weight -> code mapping, fixed when fine-tuning starts
  std::vector<std::uint32_t> codes;        // out x fan_in, the mapped codes of the last quantised forward
  bool first = false;                      // the first compute layer: backward needs no dX
  SignSte sign_ste = SignSte::identity;    // threshold: the sign's straight-through estimator
  Trainer trainer = Trainer::int8_qat;     // its kind's recipe (trainer_of)
  float w_lo = 0, w_hi = 0;                // addernet: the weights the codes can stand for
  Mat log2_scale, dlog2_scale;             // addernet (and threshold's, by default), float phase:
                                           // the layer's scale, learnt (1 x 1); empty: fixed 2^-k
  Mat synapse_terms;                       // a learnt scale's layer: the synapse part of the last forward
  Adam adam_scale;
  Adam adam_W, adam_theta, adam_b;
  // forward state
  Mat X, Weff, thetaEff, Z, dW, dtheta, db;
  bool quantised_forward = false;     // this forward ran the integer arithmetic

  // trainer addernet: z = -scale * sum |a - w| + b
  bool adder() const { return layer.computes() && trainer == Trainer::addernet; }
  // This forward summed the kind's table terms (quantised, a package kind's table trainer).
  bool table_forward() const { return table && quantised_forward; }
  std::vector<std::uint8_t> levels;   // its activations as 8-bit levels, feature-major (fan_in x rows)
  std::vector<int> argmax;  // maxpool
};

// Whether a layer's codes are what its trainer writes; nullopt if they are.
// The built-ins' recipes write their own kinds' codes; a package may name one
// when its codes are laid out the same (its term may differ: the recipe's
// fine-tuning then runs the built-in's arithmetic, and the accuracy recorded
// is the package's own, from the reference inference).
std::optional<std::string> trainer_mismatch(const Layer& l) {
  const Trainer trainer = trainer_of(l.kind);
  const auto need = [&](bool ok, std::string what) -> std::optional<std::string> {
    if (ok) return std::nullopt;
    return fmt::format("trainer {} writes {}, and {} codes are {} bits", to_string(trainer), what, to_string(l.kind),
                       l.code_bits);
  };
  switch (trainer) {
    case Trainer::int8_qat: return need(l.code_bits == 8, "8-bit two's-complement weights");
    case Trainer::pow2_qat: return need(l.code_bits >= 4, "{sign, exponent + 1} codes of at least 4 bits");
    case Trainer::threshold_ste: return need(l.code_bits == 9, "9-bit {sign, theta} codes (8-bit activations)");
    case Trainer::snn_conversion:
      if (!has_membrane(l.kind)) return "trainer snn-conversion needs the membrane back end";
      return need(l.code_bits == 8, "8-bit two's-complement weights");
    case Trainer::term_table:
    case Trainer::addernet: return std::nullopt;
    case Trainer::sigma_delta_conversion:
      if (!has_sigma_delta(l.kind)) return "trainer sigma-delta-conversion needs the sigma-delta back end";
      return need(l.code_bits == 8, "8-bit two's-complement weights");
  }
  return std::nullopt;
}

// ---- quantisers (forward values; gradients pass straight through)

int weight_shift(const Mat& W, float levels) {
  const float max = W.cwiseAbs().maxCoeff();
  if (max <= 0) return 0;
  return std::clamp(int(std::floor(std::log2(levels / max))), 0, kMaxLayerShift);
}

// Power-of-two exponent of |w| * 2^k: 0..6, or -1 for a pruned synapse.
int shift_exponent(float scaled) {
  if (scaled < std::sqrt(0.5f)) return -1;
  return std::clamp(int(std::lround(std::log2(scaled))), 0, 6);
}

float mac_code_value(float w, int k) { return std::clamp(std::round(w * std::ldexp(1.0f, k)), -127.0f, 127.0f); }

void quantise_weights(TrainLayer& t, Mode mode) {
  t.quantised_forward = mode == Mode::quantised;
  if (t.table) {  // the latent weights stand for products; their codes come from the map
    t.Weff = t.W;
    if (t.table_forward()) {
      const float scale = std::ldexp(1.0f, t.k);
      t.codes.resize(std::size_t(t.W.size()));
      for (Eigen::Index i = 0; i < t.W.size(); ++i) t.codes[std::size_t(i)] = t.code_map(t.W.data()[i] * scale);
    }
    return;
  }
  if (t.trainer == Trainer::threshold_ste) {
    t.thetaEff = mode == Mode::quantised ? Mat((t.theta * kLevels).array().round() / kLevels) : t.theta;
    t.Weff = t.W.unaryExpr([](float a) { return a < 0 ? -1.0f : 1.0f; });
    return;
  }
  if (mode == Mode::real || t.trainer == Trainer::snn_conversion || t.trainer == Trainer::sigma_delta_conversion) {
    t.Weff = t.W;
    return;
  }
  if (t.trainer == Trainer::int8_qat) {
    t.k = weight_shift(t.W, 127);
    const float step = std::ldexp(1.0f, -t.k);
    t.Weff = t.W.unaryExpr([&](float w) { return mac_code_value(w, t.k) * step; });
  } else {  // pow2_qat
    t.k = weight_shift(t.W, 64);
    t.Weff = t.W.unaryExpr([&](float w) {
      const int e = shift_exponent(std::abs(w) * std::ldexp(1.0f, t.k));
      return e < 0 ? 0.0f : std::copysign(std::ldexp(1.0f, e - t.k), w);
    });
  }
}

float bias_value(const TrainLayer& t, float b, Mode mode) {
  if (mode == Mode::real || t.trainer == Trainer::snn_conversion || t.trainer == Trainer::sigma_delta_conversion)
    return b;
  const float unit = kLevels * std::ldexp(1.0f, t.k);
  return std::round(b * unit) / unit;
}

// ---- lowering: rows of fan-in vectors

// The input element a conv window's tap reads, or nullopt for padding.
std::optional<Eigen::Index> input_index(const Layer& l, unsigned c, unsigned y, unsigned x, unsigned dy, unsigned dx) {
  const int row = int(y * l.stride + dy) - int(l.pad), col = int(x * l.stride + dx) - int(l.pad);
  if (row < 0 || col < 0 || row >= int(l.in.height) || col >= int(l.in.width)) return std::nullopt;
  return Eigen::Index((c * l.in.height + unsigned(row)) * l.in.width + unsigned(col));
}

Mat im2col(const Layer& l, const Mat& A) {
  const unsigned pos = l.out.height * l.out.width, n = l.fan_in();
  Mat X(A.rows() * pos, n);
  for (Eigen::Index s = 0; s < A.rows(); ++s)
    for (unsigned y = 0; y < l.out.height; ++y)
      for (unsigned x = 0; x < l.out.width; ++x) {
        float* dst = &X(s * pos + y * l.out.width + x, 0);
        for (unsigned c = 0; c < l.in.channels; ++c)
          for (unsigned dy = 0; dy < l.kernel; ++dy)
            for (unsigned dx = 0; dx < l.kernel; ++dx) {
              const auto at = input_index(l, c, y, x, dy, dx);
              *dst++ = at ? A(s, *at) : 0.0f;  // padding reads 0
            }
      }
  return X;
}

void col2im_add(const Layer& l, const Mat& dX, Mat& dA) {
  const unsigned pos = l.out.height * l.out.width;
  for (Eigen::Index s = 0; s < dA.rows(); ++s)
    for (unsigned y = 0; y < l.out.height; ++y)
      for (unsigned x = 0; x < l.out.width; ++x) {
        const float* src = &dX(s * pos + y * l.out.width + x, 0);
        for (unsigned c = 0; c < l.in.channels; ++c)
          for (unsigned dy = 0; dy < l.kernel; ++dy)
            for (unsigned dx = 0; dx < l.kernel; ++dx, ++src)
              if (const auto at = input_index(l, c, y, x, dy, dx)) dA(s, *at) += *src;
      }
}

// A compute layer's synapse inputs, one row per output position (dense: per
// sample): the patch (im2col) or the input, then the residual's values
// (`residual`: the output of layer l.residual, samples x its size).
Mat layer_input(const Layer& l, const Mat& A, const Mat* residual) {
  if (l.residual == 0) return l.type == LayerType::conv ? im2col(l, A) : A;
  if (!residual) throw std::logic_error(l.describe() + ": its residual's source was not kept");
  const Eigen::Index own = Eigen::Index(l.fan_in() - l.residual_fan_in());
  Mat X(l.type == LayerType::conv ? A.rows() * l.out.height * l.out.width : A.rows(), l.fan_in());
  X.leftCols(own) = l.type == LayerType::conv ? im2col(l, A) : A;
  if (l.type != LayerType::conv) {
    X.rightCols(residual->cols()) = *residual;
    return X;
  }
  const unsigned pos = l.out.height * l.out.width;
  for (Eigen::Index s = 0; s < A.rows(); ++s)
    for (unsigned p = 0; p < pos; ++p)
      for (unsigned c = 0; c < l.residual_in.channels; ++c) X(s * pos + p, own + c) = (*residual)(s, c * pos + p);
  return X;
}

// rows (sample * positions + p) x out  <->  sample x (out * positions + p)
Mat rows_to_tensor(const Mat& Z, Eigen::Index samples, unsigned pos) {
  Mat A(samples, Z.cols() * pos);
  for (Eigen::Index s = 0; s < samples; ++s)
    for (unsigned p = 0; p < pos; ++p)
      for (Eigen::Index o = 0; o < Z.cols(); ++o) A(s, o * pos + p) = Z(s * pos + p, o);
  return A;
}

Mat tensor_to_rows(const Mat& A, unsigned outs, unsigned pos) {
  Mat Z(A.rows() * pos, outs);
  for (Eigen::Index s = 0; s < A.rows(); ++s)
    for (unsigned p = 0; p < pos; ++p)
      for (unsigned o = 0; o < outs; ++o) Z(s * pos + p, o) = A(s, o * pos + p);
  return Z;
}

// ---- layer forward and backward

// z = 2^-k / 255 * sum_f T(code_of, x_f): the kind's exact integer terms.
Mat table_synapse_forward(TrainLayer& t) {
  const auto rows = std::size_t(t.X.rows()), n = std::size_t(t.X.cols()), outs = std::size_t(t.W.rows());
  t.levels.resize(rows * n);
  for (std::size_t r = 0; r < rows; ++r)
    for (std::size_t f = 0; f < n; ++f)
      t.levels[f * rows + r] = std::uint8_t(std::clamp(std::lround(t.X(Eigen::Index(r), Eigen::Index(f)) * kLevels), 0l, 255l));
  Mat Zt = Mat::Zero(Eigen::Index(outs), Eigen::Index(rows));
  for (std::size_t o = 0; o < outs; ++o) {
    float* z = &Zt(Eigen::Index(o), 0);
    for (std::size_t f = 0; f < n; ++f) {
      const float* term = t.table->row(t.codes[o * n + f]);
      const std::uint8_t* x = &t.levels[f * rows];
      for (std::size_t r = 0; r < rows; ++r) z[r] += term[x[r]];
    }
  }
  return Zt.transpose() * (std::ldexp(1.0f, -t.k) / kLevels);
}

// A layer's scale where it is learnt (addernet; threshold unless --layer-scale fixed):
// the learnt one in the float phase, else 2^-k (a power of two is all the
// integer layer has, so fine-tuning runs at k, the learnt one's rounding).
float layer_scale(const TrainLayer& t) {
  return t.quantised_forward || t.log2_scale.size() == 0 ? std::ldexp(1.0f, -t.k) : std::exp2(t.log2_scale(0, 0));
}

// d loss / d log2(scale) = ln 2 * sum dZ * z (z: the synapse part, linear in the scale).
void learn_scale_gradient(TrainLayer& t, const Mat& dZ) {
  if (!t.quantised_forward && t.log2_scale.size())
    t.dlog2_scale = Mat::Constant(1, 1, std::log(2.0f) * dZ.cwiseProduct(t.synapse_terms).sum());
}

// AdderNet (Chen et al., CVPR 2020): z = -scale * sum_f |a_f - w_f|.
Mat adder_synapse_forward(TrainLayer& t) {
  const float scale = layer_scale(t);
  Mat Z(t.X.rows(), t.W.rows());
  for (Eigen::Index o = 0; o < t.W.rows(); ++o)
    Z.col(o) = -scale * (t.X.rowwise() - t.W.row(o)).cwiseAbs().rowwise().sum();
  t.synapse_terms = Z;
  return Z;
}

// The paper's gradients: to w the full-precision a - w (not sign(a - w)); to a
// HardTanh(w - a). Fills t.dW; returns dX unless the layer is the first.
Mat adder_synapse_backward(TrainLayer& t, const Mat& dZ) {
  const float scale = layer_scale(t);
  learn_scale_gradient(t, dZ);
  t.dW.resize(t.W.rows(), t.W.cols());
  Mat dX = t.first ? Mat() : Mat(Mat::Zero(t.X.rows(), t.X.cols()));
  for (Eigen::Index o = 0; o < t.W.rows(); ++o) {
    const Mat difference = t.X.rowwise() - t.W.row(o);  // a - w
    const auto dz = dZ.col(o);
    t.dW.row(o) = scale * (dz.transpose() * difference);
    if (!t.first) dX += scale * ((-difference).array().cwiseMax(-1.0f).cwiseMin(1.0f).colwise() * dz.array()).matrix();
  }
  return dX;
}

// Straight through: dW as for a product (the map stands a code for w * x;
// AdderNet's as its float layer's); dX from the table's slope at each
// synapse's activation.
Mat table_synapse_backward(TrainLayer& t, const Mat& dZ) {
  if (t.adder()) {
    adder_synapse_backward(t, dZ);
  } else {
    t.dW = dZ.transpose() * t.X;
  }
  if (t.first) return {};
  const auto rows = std::size_t(t.X.rows()), n = std::size_t(t.X.cols()), outs = std::size_t(t.W.rows());
  const Mat dZt = dZ.transpose();
  Mat dXt = Mat::Zero(Eigen::Index(n), Eigen::Index(rows));
  for (std::size_t o = 0; o < outs; ++o) {
    const float* dz = &dZt(Eigen::Index(o), 0);
    for (std::size_t f = 0; f < n; ++f) {
      const float* slope = t.table->slope_row(t.codes[o * n + f]);
      const std::uint8_t* x = &t.levels[f * rows];
      float* dx = &dXt(Eigen::Index(f), 0);
      for (std::size_t r = 0; r < rows; ++r) dx[r] += dz[r] * slope[x[r]];
    }
  }
  return dXt.transpose() * std::ldexp(1.0f, -t.k);
}

Mat synapse_forward(TrainLayer& t) {
  if (t.table_forward()) return table_synapse_forward(t);
  if (t.adder()) return adder_synapse_forward(t);
  if (t.trainer != Trainer::threshold_ste) return t.X * t.Weff.transpose();
  const float alpha = layer_scale(t);
  Mat Z(t.X.rows(), t.Weff.rows());
  for (Eigen::Index o = 0; o < t.Weff.rows(); ++o)
    Z.col(o) = alpha * ((t.X.rowwise() - t.thetaEff.row(o)).cwiseMax(0.0f) * t.Weff.row(o).transpose());
  if (t.log2_scale.size()) t.synapse_terms = Z;
  return Z;
}

// dZ: rows x out. Fills t.dW (and t.dtheta); returns dX.
Mat synapse_backward(TrainLayer& t, const Mat& dZ) {
  if (t.table_forward()) return table_synapse_backward(t, dZ);
  if (t.adder()) return adder_synapse_backward(t, dZ);
  if (t.trainer != Trainer::threshold_ste) {
    t.dW = dZ.transpose() * t.X;
    return dZ * t.Weff;
  }
  const float alpha = layer_scale(t);
  learn_scale_gradient(t, dZ);
  t.dW.setZero(t.W.rows(), t.W.cols());
  t.dtheta.setZero(t.W.rows(), t.W.cols());
  Mat dX = Mat::Zero(t.X.rows(), t.X.cols());
  for (Eigen::Index o = 0; o < t.Weff.rows(); ++o) {
    const Mat diff = t.X.rowwise() - t.thetaEff.row(o);
    const Mat mask = (diff.array() > 0).cast<float>();
    const auto dz = dZ.col(o);
    t.dW.row(o) = alpha * (dz.transpose() * diff.cwiseMax(0.0f));
    const Row masked_dz = dz.transpose() * mask;
    t.dtheta.row(o) = -alpha * masked_dz.cwiseProduct(t.Weff.row(o));
    dX += alpha * (mask.array().colwise() * dz.array()).matrix() * t.Weff.row(o).asDiagonal();
  }
  // Straight-through sign. The latents stay in [-1, 1] (sgd_step clamps them), so the
  // identity passes the gradient as the classic hard-tanh window would; ApproxSign
  // (Bi-Real Net: the slope of a piecewise quadratic sign, 2 - 2|w|) passes less
  // near +-1, so that latents far from zero flip less readily.
  if (t.sign_ste == SignSte::approxsign)
    t.dW = t.dW.cwiseProduct((2.0f - 2.0f * t.W.array().abs()).cwiseMax(0.0f).matrix());
  return dX;
}

// Every (output, input) pair of a pooling layer's windows.
template <class F>
void for_each_window(const Layer& l, F&& f) {
  const unsigned p = l.kernel;
  for (unsigned c = 0; c < l.out.channels; ++c)
    for (unsigned y = 0; y < l.out.height; ++y)
      for (unsigned x = 0; x < l.out.width; ++x)
        for (unsigned dy = 0; dy < p; ++dy)
          for (unsigned dx = 0; dx < p; ++dx)
            f(Eigen::Index((c * l.out.height + y) * l.out.width + x),
              Eigen::Index((c * l.in.height + y * p + dy) * l.in.width + x * p + dx));
}

// The window means; quantised: as models::avgpool computes them on the 8-bit
// levels, (sum + k^2/2) / k^2 rounded down.
Mat average_pool(const Layer& l, const Mat& A, Mode mode) {
  Mat out = Mat::Zero(A.rows(), l.out.size());
  const float area = float(l.kernel * l.kernel);
  for (Eigen::Index s = 0; s < A.rows(); ++s) {
    if (mode == Mode::quantised) {
      for_each_window(l, [&](Eigen::Index o, Eigen::Index i) { out(s, o) += std::round(A(s, i) * kLevels); });
      for (Eigen::Index o = 0; o < out.cols(); ++o)
        out(s, o) = std::floor((out(s, o) + std::floor(area / 2)) / area) / kLevels;
    } else {
      for_each_window(l, [&](Eigen::Index o, Eigen::Index i) { out(s, o) += A(s, i) / area; });
    }
  }
  return out;
}

// `residual`: the output of layer t.layer.residual, for a layer with one (Shortcuts keeps it).
Mat forward(TrainLayer& t, const Mat& A, Mode mode, const Mat* residual = nullptr) {
  const Layer& l = t.layer;
  if (l.type == LayerType::flatten) return A;
  if (l.type == LayerType::maxpool) {
    Mat out(A.rows(), l.out.size());
    t.argmax.assign(out.size(), 0);
    for (Eigen::Index s = 0; s < A.rows(); ++s)
      for (unsigned c = 0; c < l.out.channels; ++c)
        for (unsigned y = 0; y < l.out.height; ++y)
          for (unsigned x = 0; x < l.out.width; ++x) {
            int best = -1;
            for (unsigned dy = 0; dy < l.kernel; ++dy)
              for (unsigned dx = 0; dx < l.kernel; ++dx) {
                const int i = int((c * l.in.height + y * l.kernel + dy) * l.in.width + x * l.kernel + dx);
                if (best < 0 || A(s, i) > A(s, best)) best = i;
              }
            const Eigen::Index o = (c * l.out.height + y) * l.out.width + x;
            out(s, o) = A(s, best);
            t.argmax[s * out.cols() + o] = best;
          }
    return out;
  }
  if (l.type == LayerType::avgpool) return average_pool(l, A, mode);
  quantise_weights(t, mode);
  const unsigned pos = l.type == LayerType::conv ? l.out.height * l.out.width : 1;
  t.X = layer_input(l, A, residual);
  Mat Zrows = synapse_forward(t);
  Row bias = t.b.unaryExpr([&](float b) { return bias_value(t, b, mode); });
  Zrows.rowwise() += bias;
  t.Z = pos == 1 ? Zrows : rows_to_tensor(Zrows, A.rows(), pos);
  if (t.last) return t.Z;
  // A sigma-delta neuron's activation is an unbounded ReLU; every other kind's is clamped at 1 (255).
  if (t.trainer == Trainer::sigma_delta_conversion) return t.Z.cwiseMax(0.0f);
  Mat out = t.Z.cwiseMax(0.0f).cwiseMin(1.0f);
  if (mode == Mode::quantised) out = (out * kLevels).array().floor() / kLevels;
  return out;
}

Mat backward(TrainLayer& t, const Mat& dOut, Eigen::Index samples) {
  const Layer& l = t.layer;
  if (l.type == LayerType::flatten) return dOut;
  if (l.type == LayerType::avgpool) {  // each input of a window gets 1/k^2 of its output's gradient
    Mat dA = Mat::Zero(samples, l.in.size());
    const float area = float(l.kernel * l.kernel);
    for (Eigen::Index s = 0; s < samples; ++s)
      for_each_window(l, [&](Eigen::Index o, Eigen::Index i) { dA(s, i) += dOut(s, o) / area; });
    return dA;
  }
  if (l.type == LayerType::maxpool) {
    Mat dA = Mat::Zero(samples, l.in.size());
    for (Eigen::Index s = 0; s < samples; ++s)
      for (Eigen::Index o = 0; o < dOut.cols(); ++o) dA(s, t.argmax[s * dOut.cols() + o]) += dOut(s, o);
    return dA;
  }
  // Clamped activation: gradient only inside (0, 1) (straight through the rounding).
  const float top = t.trainer == Trainer::sigma_delta_conversion ? INFINITY : 1.0f;
  Mat dZ = t.last ? dOut : Mat(dOut.array() * ((t.Z.array() > 0) && (t.Z.array() < top)).cast<float>());
  const unsigned pos = l.type == LayerType::conv ? l.out.height * l.out.width : 1;
  const Mat dZrows = pos == 1 ? dZ : tensor_to_rows(dZ, l.out.channels, pos);
  t.db = dZrows.colwise().sum();
  const Mat dX = synapse_backward(t, dZrows);
  if (t.first) return {};  // nothing before it learns
  // Residual networks come from ONNX import, which quantises without training.
  if (l.residual) throw std::logic_error(l.describe() + ": backward through a residual is not implemented");
  if (l.type != LayerType::conv) return dX;
  Mat dA = Mat::Zero(samples, l.in.size());
  col2im_add(l, dX, dA);
  return dA;
}

// ---- the network

// The trainer tries every weight code: beyond 2^12 codes, a table per layer
// and the least-squares map would cost more than training.
constexpr unsigned kMaxTableCodeBits = 12;

std::shared_ptr<const TermTable> make_term_table(const Layer& l) {
  if (l.code_bits > kMaxTableCodeBits)
    throw Error(fmt::format("{}: the term-table trainer tries every weight code, and {} has {}-bit codes (at most {})",
                            l.describe(), to_string(l.kind), l.code_bits, kMaxTableCodeBits));
  const KernelParams params{l.kind, 1, 8, l.code_bits, 32, default_arch(l.kind)};
  auto table = std::make_shared<TermTable>();
  table->codes = 1u << l.code_bits;
  table->term.resize(std::size_t{table->codes} * 256);
  table->slope.resize(table->term.size());
  for (std::uint32_t c = 0; c < table->codes; ++c) {
    float* term = &table->term[std::size_t{c} * 256];
    for (std::uint32_t x = 0; x < 256; ++x) term[x] = float(synapse_term(params, x, c));
    float* slope = &table->slope[std::size_t{c} * 256];
    for (int x = 0; x < 256; ++x) {
      const int lo = std::max(x - 1, 0), hi = std::min(x + 1, 255);
      slope[x] = (term[hi] - term[lo]) / float(hi - lo);
    }
  }
  return table;
}

// The weights (in activation units) AdderNet's codes stand for: for each code
// the w whose -|x - 255 w|, less its mean, its term best matches over every
// x; the least and the greatest of them.
std::pair<float, float> adder_weight_range(const TermTable& table) {
  constexpr int kGrid = 768;  // w in [-1, 2), steps of 1/256
  float lo = INFINITY, hi = -INFINITY;
  for (std::uint32_t c = 0; c < table.codes; ++c) {
    const float* term = table.row(c);
    const double term_mean = std::accumulate(term, term + 256, 0.0) / 256;
    double best_error = INFINITY;
    float best_w = 0;
    for (int i = 0; i < kGrid; ++i) {
      const double w = -1.0 + i / 256.0;
      double target_mean = 0;
      for (int x = 0; x < 256; ++x) target_mean += -std::abs(x - kLevels * w) / 256;
      double error = 0;
      for (int x = 0; x < 256; ++x) {
        const double d = (term[x] - term_mean) - (-std::abs(x - kLevels * w) - target_mean);
        error += d * d;
      }
      if (error < best_error) best_error = error, best_w = float(w);
    }
    lo = std::min(lo, best_w), hi = std::max(hi, best_w);
  }
  return {lo, hi};
}

// The outputs later layers read as their residuals, kept while a pass walks the layers in order.
class Shortcuts {
 public:
  explicit Shortcuts(const std::vector<TrainLayer>& layers) : kept_(layers.size()), sources_(layers.size(), false) {
    for (const TrainLayer& t : layers)
      if (t.layer.residual) sources_.at(t.layer.residual - 1) = true;
  }
  // What layer `index` adds (nullptr: nothing).
  const Mat* residual_of(const TrainLayer& t) const { return t.layer.residual ? &kept_[t.layer.residual - 1] : nullptr; }
  // Layer `index`'s output, kept if a later layer reads it.
  void keep(std::size_t index, const Mat& out) {
    if (sources_[index]) kept_[index] = out;
  }

 private:
  std::vector<Mat> kept_;
  std::vector<bool> sources_;
};

struct TrainNet {
  std::vector<TrainLayer> layers;

  Mat forward_all(const Mat& A, Mode mode) {
    Mat a = A;
    Shortcuts shortcuts(layers);
    for (std::size_t i = 0; i < layers.size(); ++i) {
      a = forward(layers[i], a, mode, shortcuts.residual_of(layers[i]));
      shortcuts.keep(i, a);
    }
    return a;
  }
};

TrainNet initialise(const std::vector<Layer>& layout, const TrainOptions& options, Rng& rng) {
  TrainNet net;
  std::map<KernelKind, std::shared_ptr<const TermTable>> tables;
  bool before_any = true;  // only flatten layers so far
  for (const Layer& l : layout) {
    TrainLayer t;
    t.layer = l;
    t.first = before_any && l.computes();
    before_any = before_any && l.type == LayerType::flatten;
    if (l.computes()) t.trainer = trainer_of(l.kind);
    if (t.adder() || (l.computes() && t.trainer == Trainer::term_table)) {
      auto& table = tables[l.kind];
      if (!table) table = make_term_table(l);
      t.table = table;
    }
    if (l.computes()) {
      const unsigned n = l.fan_in();
      const float limit = std::sqrt(6.0f / float(n));  // He-uniform
      t.W = Mat::NullaryExpr(l.out.channels, n, [&]() { return (2 * uniform(rng) - 1) * limit; });
      t.b = Mat::Zero(1, l.out.channels);
      if (t.trainer == Trainer::threshold_ste) {
        // Sign latents start near 0 so that the first steps can still flip them.
        t.W = Mat::NullaryExpr(l.out.channels, n, [&]() { return 0.05f * (2 * uniform(rng) - 1); });
        t.theta = Mat::NullaryExpr(l.out.channels, n, [&]() { return options.theta_init * uniform(rng); });
        t.sign_ste = options.sign_ste;
        t.k = std::clamp(int(std::lround(std::log2(std::sqrt(float(n))))), 0, kMaxLayerShift);
      }
      if (t.adder()) {
        // Weights among the activations they are compared with, and only those the codes can
        // stand for (the float network would otherwise learn what no code holds); a fixed
        // scale, as threshold's.
        std::tie(t.w_lo, t.w_hi) = adder_weight_range(*t.table);
        const float lo = std::max(t.w_lo, 0.0f), hi = std::max(lo, std::min(t.w_hi, 0.5f));
        t.W = Mat::NullaryExpr(l.out.channels, n, [&]() { return lo + (hi - lo) * uniform(rng); });
        t.k = std::clamp(int(std::lround(std::log2(std::sqrt(float(n))))), 0, kMaxLayerShift);
        t.log2_scale = Mat::Constant(1, 1, -float(t.k));
      }
    }
    net.layers.push_back(std::move(t));
  }
  for (auto it = net.layers.rbegin(); it != net.layers.rend(); ++it)
    if (it->layer.computes()) {
      it->last = true;
      break;
    }
  return net;
}

Mat batch_of(const ImageSet& images, const std::vector<std::size_t>& order, std::size_t start, std::size_t count) {
  const std::size_t size = std::size_t{images.rows} * images.cols;
  Mat A(count, size);
  for (std::size_t i = 0; i < count; ++i) {
    const std::uint8_t* px = images.image(order[start + i]);
    for (std::size_t p = 0; p < size; ++p) A(i, p) = float(px[p]) / kLevels;
  }
  return A;
}

// The first `count` images as a batch (calibration).
Mat first_images(const ImageSet& images, std::size_t count) {
  std::vector<std::size_t> order(count);
  std::iota(order.begin(), order.end(), 0);
  return batch_of(images, order, 0, count);
}

// Softmax cross-entropy: loss sum and gradient (mean over the batch) in place.
float softmax_loss(Mat& logits, const std::vector<std::uint8_t>& labels, const std::vector<std::size_t>& order,
                   std::size_t start, int& correct) {
  float loss = 0;
  for (Eigen::Index s = 0; s < logits.rows(); ++s) {
    const int label = labels[order[start + s]];
    Eigen::Index best;
    const float max = logits.row(s).maxCoeff(&best);
    correct += best == label;
    Row e = (logits.row(s).array() - max).exp();
    const float sum = e.sum();
    loss += std::log(sum) - (logits(s, label) - max);  // -log softmax, finite for any finite logits
    e /= sum;
    e(label) -= 1;
    logits.row(s) = e / float(logits.rows());
  }
  return loss;
}

void sgd_step(TrainNet& net, float lr, int t, Optimizer optimizer) {
  for (TrainLayer& l : net.layers) {
    if (!l.layer.computes()) continue;
    // AdderNet's weights live in the activations' range (0..1), about sqrt(fan-in) times the
    // scale of product weights, so they move ten times as fast (the paper scales each layer's
    // rate up for the same reason: its adaptive learning rate).
    update(l.W, l.dW, l.adam_W, l.adder() ? 10 * lr : lr, t, optimizer);
    update(l.b, l.db, l.adam_b, lr, t, optimizer);
    if (!l.code_map.code.empty()) {  // latents beyond the map's ends would drift without effect
      const float scale = std::ldexp(1.0f, -l.k);
      l.W = l.W.cwiseMax(l.code_map.lo * scale).cwiseMin(l.code_map.hi * scale);
    } else if (l.adder()) {
      l.W = l.W.cwiseMax(l.w_lo).cwiseMin(l.w_hi);
    }
    if (l.log2_scale.size() && !l.quantised_forward) {  // a learnt scale, in the float phase
      update(l.log2_scale, l.dlog2_scale, l.adam_scale, lr, t, optimizer);
      l.log2_scale = l.log2_scale.cwiseMax(-float(kMaxLayerShift)).cwiseMin(0.0f);
      l.k = std::clamp(int(std::lround(-l.log2_scale(0, 0))), 0, kMaxLayerShift);  // what fine-tuning will use
    }
    if (l.trainer == Trainer::threshold_ste) {
      update(l.theta, l.dtheta, l.adam_theta, lr, t, optimizer);
      l.theta = l.theta.cwiseMax(0.0f).cwiseMin(1.0f);
      l.W = l.W.cwiseMax(-1.0f).cwiseMin(1.0f);
    }
  }
}

double evaluate(TrainNet& net, const LabelledImages& data, std::size_t count, Mode mode) {
  std::vector<std::size_t> order(count);
  std::iota(order.begin(), order.end(), 0);
  std::size_t correct = 0;
  for (std::size_t start = 0; start < count; start += 500) {
    const std::size_t n = std::min<std::size_t>(500, count - start);
    const Mat logits = net.forward_all(batch_of(data.images, order, start, n), mode);
    for (Eigen::Index s = 0; s < logits.rows(); ++s) {
      Eigen::Index best;
      logits.row(s).maxCoeff(&best);
      correct += best == data.labels[start + s];
    }
  }
  return double(correct) / double(count);
}

// ---- diagnostics: the loss's sharpness, and the curves

// The parameters the sharpness is taken over, each with its gradient. Not the
// sign latents of threshold layers: the loss is piecewise constant in them (only
// a flip changes it), so their Hessian is zero wherever it exists.
std::vector<std::pair<Mat*, Mat*>> smooth_parameters(TrainNet& net) {
  std::vector<std::pair<Mat*, Mat*>> params;
  for (TrainLayer& t : net.layers) {
    if (!t.layer.computes()) continue;
    if (t.trainer != Trainer::threshold_ste) params.emplace_back(&t.W, &t.dW);
    params.emplace_back(&t.b, &t.db);
    if (t.theta.size()) params.emplace_back(&t.theta, &t.dtheta);
    if (t.log2_scale.size()) params.emplace_back(&t.log2_scale, &t.dlog2_scale);
  }
  return params;
}

Eigen::Index smooth_parameter_count(TrainNet& net) {
  Eigen::Index n = 0;
  for (auto [param, d] : smooth_parameters(net)) n += param->size();
  return n;
}

// The float network's loss gradient on the probe images, as one vector.
Eigen::VectorXd probe_gradient(TrainNet& net, const Mat& images, const std::vector<std::uint8_t>& labels) {
  std::vector<std::size_t> order(labels.size());
  std::iota(order.begin(), order.end(), 0);
  Mat grad = net.forward_all(images, Mode::real);
  int correct = 0;
  softmax_loss(grad, labels, order, 0, correct);
  for (auto it = net.layers.rbegin(); it != net.layers.rend(); ++it) grad = backward(*it, grad, images.rows());
  Eigen::VectorXd g(smooth_parameter_count(net));
  Eigen::Index at = 0;
  for (auto [param, d] : smooth_parameters(net))
    for (Eigen::Index i = 0; i < param->size(); ++i) g(at++) = i < d->size() ? double(d->data()[i]) : 0.0;
  return g;
}

void add_to_parameters(TrainNet& net, const Eigen::VectorXd& delta) {
  Eigen::Index at = 0;
  for (auto [param, d] : smooth_parameters(net))
    for (Eigen::Index i = 0; i < param->size(); ++i) param->data()[i] += float(delta(at++));
}

// Sharpness of the float network's loss on the probe images (what the
// straight-through gradients descend): the largest eigenvalue of its Hessian,
// by Lanczos iteration (with full reorthogonalisation) on Hessian-vector
// products from central differences of gradients. Lanczos, not power
// iteration: the ReLUs' and clamps' kinks give the Hessian large negative
// eigenvalues too, which power iteration would converge to. Each call starts
// from the last one's top Ritz vector. Training state is left as it was.
struct SharpnessProbe {
  static constexpr int kLanczosSteps = 16;  // 32 gradients on the probe per measurement
  Mat images;
  std::vector<std::uint8_t> labels;
  Eigen::VectorXd v;  // the last top eigenvector estimate

  double measure(TrainNet& net) {
    std::vector<Mat> saved;
    for (auto [param, d] : smooth_parameters(net)) saved.push_back(*param);
    const Eigen::Index n = smooth_parameter_count(net);
    if (v.size() != n) {
      Rng rng(0x5eed);  // its own: measuring must not change the training's random stream
      v = Eigen::VectorXd::NullaryExpr(n, [&] { return double(uniform(rng)) - 0.5; });
    }
    constexpr double eps = 1e-3;
    const auto hessian_times = [&](const Eigen::VectorXd& q) {
      add_to_parameters(net, eps * q);
      const Eigen::VectorXd plus = probe_gradient(net, images, labels);
      add_to_parameters(net, -2 * eps * q);
      const Eigen::VectorXd minus = probe_gradient(net, images, labels);
      restore(net, saved);
      return Eigen::VectorXd((plus - minus) / (2 * eps));
    };
    std::vector<Eigen::VectorXd> q{v.normalized()};
    std::vector<double> alpha, beta;
    for (int j = 0; j < kLanczosSteps && j < n; ++j) {
      Eigen::VectorXd w = hessian_times(q[j]);
      alpha.push_back(q[j].dot(w));
      for (int pass = 0; pass < 2; ++pass)  // full reorthogonalisation, twice is enough
        for (const Eigen::VectorXd& qi : q) w -= qi.dot(w) * qi;
      const double b = w.norm();
      if (b < 1e-12 * std::max(1.0, std::abs(alpha.back()))) break;
      beta.push_back(b);
      q.push_back(w / b);
    }
    const Eigen::Index m = Eigen::Index(alpha.size());
    Eigen::MatrixXd T = Eigen::MatrixXd::Zero(m, m);
    for (Eigen::Index i = 0; i < m; ++i) {
      T(i, i) = alpha[std::size_t(i)];
      if (i + 1 < m) T(i, i + 1) = T(i + 1, i) = beta[std::size_t(i)];
    }
    const Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> ritz(T);
    const Eigen::VectorXd y = ritz.eigenvectors().col(m - 1);  // eigenvalues ascend
    v.setZero();
    for (Eigen::Index i = 0; i < m; ++i) v += y(i) * q[std::size_t(i)];
    return ritz.eigenvalues()(m - 1);
  }

  static void restore(TrainNet& net, const std::vector<Mat>& saved) {
    std::size_t i = 0;
    for (auto [param, d] : smooth_parameters(net)) *param = saved[i++];
  }
};

}  // namespace

double dense_layer_sharpness(const std::vector<float>& weights, const std::vector<float>& bias,
                             const std::vector<std::vector<float>>& inputs, const std::vector<std::uint8_t>& labels) {
  if (bias.empty() || inputs.empty() || inputs.size() != labels.size() || weights.size() % bias.size() ||
      weights.size() / bias.size() != inputs[0].size())
    throw Error("dense_layer_sharpness: inconsistent shapes");
  const auto outs = unsigned(bias.size()), ins = unsigned(inputs[0].size());
  TrainLayer t;
  t.layer.type = LayerType::dense;
  t.layer.in = {ins, 1, 1};
  t.layer.out = {outs, 1, 1};
  t.first = t.last = true;
  t.W = Eigen::Map<const Mat>(weights.data(), outs, ins);
  t.b = Eigen::Map<const Mat>(bias.data(), 1, outs);
  TrainNet net;
  net.layers.push_back(std::move(t));
  SharpnessProbe probe;
  probe.images.resize(Eigen::Index(inputs.size()), ins);
  for (std::size_t i = 0; i < inputs.size(); ++i)
    probe.images.row(Eigen::Index(i)) = Eigen::Map<const Row>(inputs[i].data(), ins);
  probe.labels = labels;
  return probe.measure(net);
}

namespace {

// Threshold layers: the fraction of synapses whose theta rounds to at least 1/255.
double thresholds_off_zero(const TrainNet& net) {
  double off = 0, all = 0;
  for (const TrainLayer& t : net.layers) {
    if (!t.theta.size()) continue;
    off += double(((t.theta.array() * kLevels).round() >= 1.0f).count());
    all += double(t.theta.size());
  }
  return all ? off / all : 0;
}

struct Diagnostics {  // with TrainOptions::sharpness_every
  SharpnessProbe probe;
  std::vector<CurvePoint>* curves = nullptr;
  double loss_sum = 0;
  unsigned loss_steps = 0;
};

// The step size at `s` of `steps` in a phase of `epochs`, before the
// quantised phase's halving.
float scheduled_lr(const TrainOptions& o, std::size_t s, std::size_t steps, unsigned epoch, unsigned epochs) {
  const double lr = o.learning_rate, f = double(s) / double(std::max<std::size_t>(steps, 1));
  const auto cosine = [](double x) { return 0.5 * (1 + std::cos(3.14159265358979323846 * std::clamp(x, 0.0, 1.0))); };
  switch (o.lr_schedule) {
    case LrSchedule::constant: return float(lr);
    case LrSchedule::cosine: return float(lr * cosine(f));
    case LrSchedule::warmup: {
      const std::size_t w = std::max<std::size_t>(1, (steps + 5) / 10);  // a tenth of the steps, at least one
      return float(s < w ? lr * double(s + 1) / double(w) : lr * cosine(double(s - w) / double(std::max<std::size_t>(steps - w, 1))));
    }
    case LrSchedule::step: break;
  }
  return float(lr * (epoch == epochs && epochs > 1 ? 0.25 : 1.0));
}

void run_epochs(TrainNet& net, const LabelledImages& train, std::size_t count, const TrainOptions& options,
                unsigned epochs, Mode mode, int& step, Rng& rng, const std::string& phase,
                const ProgressFn& progress, Diagnostics& diagnostics) {
  std::vector<std::size_t> order(count);
  const std::size_t per_epoch = count / options.batch, steps = per_epoch * epochs;
  std::size_t in_phase = 0;
  for (unsigned epoch = 1; epoch <= epochs; ++epoch) {
    const auto started = std::chrono::steady_clock::now();
    std::iota(order.begin(), order.end(), 0);
    for (std::size_t i = count - 1; i > 0; --i) std::swap(order[i], order[rng.below(i + 1)]);
    double loss = 0;
    int correct = 0;
    float lr = 0;
    double sharpness = NAN;
    for (std::size_t start = 0; start + options.batch <= count; start += options.batch) {
      lr = scheduled_lr(options, in_phase++, steps, epoch, epochs) * (mode == Mode::quantised ? 0.5f : 1.0f);
      const Mat A = batch_of(train.images, order, start, options.batch);
      Mat grad = net.forward_all(A, mode);
      const float batch_loss = softmax_loss(grad, train.labels, order, start, correct);
      if (!std::isfinite(batch_loss))
        throw Error(fmt::format("training diverged: the loss became {} at step {} ({} phase, epoch {}, learning rate "
                                "{:.3g}); no model written; try a smaller --lr",
                                batch_loss, step + 1, phase, epoch, lr));
      loss += batch_loss;
      diagnostics.loss_sum += batch_loss / float(options.batch), ++diagnostics.loss_steps;
      for (auto it = net.layers.rbegin(); it != net.layers.rend(); ++it) grad = backward(*it, grad, A.rows());
      sgd_step(net, lr, ++step, options.optimizer);
      if (options.sharpness_every && step % int(options.sharpness_every) == 0) {
        sharpness = diagnostics.probe.measure(net);
        if (diagnostics.curves)
          diagnostics.curves->push_back({unsigned(step), phase, epoch, lr, diagnostics.loss_sum / diagnostics.loss_steps,
                                         sharpness, thresholds_off_zero(net)});
        diagnostics.loss_sum = 0, diagnostics.loss_steps = 0;
      }
    }
    const std::size_t seen = count / options.batch * options.batch;
    if (progress)
      progress(fmt::format("{} epoch {}/{}: loss {:.4f}, training accuracy {:.4f}{} ({:.1f} s)\n", phase, epoch,
                           epochs, loss / double(seen), double(correct) / double(seen),
                           std::isnan(sharpness) ? std::string()
                                                 : fmt::format(", sharpness {:.4g} (2/lr {:.4g})", sharpness, 2 / lr),
                           std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count()));
  }
}

// ---- fitting a package kind's codes to the float network

// Statistics of each code's term over one layer's activation histogram.
struct CodeFit {
  double var_x = 1;                        // variance of x
  std::vector<double> cov, var;            // per code: cov(T_c, x), var(T_c)
  // Squared error of T_c - mean(T_c) against u * (x - mean(x)).
  double error(std::uint32_t c, double u) const { return var[c] - 2 * u * cov[c] + u * u * var_x; }
};

CodeFit code_fit(const TermTable& table, const std::array<double, 256>& histogram) {
  double total = 0, mean_x = 0;
  for (int x = 0; x < 256; ++x) total += histogram[x], mean_x += x * histogram[x];
  mean_x /= total;
  CodeFit fit;
  double var_x = 0;
  for (int x = 0; x < 256; ++x) var_x += histogram[x] / total * (x - mean_x) * (x - mean_x);
  if (var_x > 1e-9) fit.var_x = var_x;  // else every input is one value: any code's mean goes to the bias
  fit.cov.resize(table.codes);
  fit.var.resize(table.codes);
  for (std::uint32_t c = 0; c < table.codes; ++c) {
    const float* term = table.row(c);
    double mean = 0;
    for (int x = 0; x < 256; ++x) mean += histogram[x] / total * term[x];
    for (int x = 0; x < 256; ++x) {
      const double p = histogram[x] / total, d = term[x] - mean;
      fit.cov[c] += p * d * (x - mean_x);
      fit.var[c] += p * d * d;
    }
  }
  return fit;
}

CodeMap code_map(const CodeFit& fit) {
  constexpr std::size_t kGrid = 4096;
  CodeMap map;
  map.lo = map.hi = 0;
  for (std::size_t c = 0; c < fit.cov.size(); ++c) {
    const float gain = float(fit.cov[c] / fit.var_x);  // the code's least-squares product weight
    map.lo = std::min(map.lo, gain), map.hi = std::max(map.hi, gain);
  }
  if (map.hi - map.lo < 1e-6f) map.hi = map.lo + 1;
  map.code.resize(kGrid);
  for (std::size_t i = 0; i < kGrid; ++i) {
    const double u = map.lo + (map.hi - map.lo) * double(i) / double(kGrid - 1);
    std::uint32_t best = 0;
    for (std::uint32_t c = 1; c < fit.cov.size(); ++c)
      if (fit.error(c, u) < fit.error(best, u)) best = c;
    map.code[i] = best;
  }
  return map;
}

// The layer shift k (scale 2^-k) under which the mapped codes best reproduce
// the float weights' products, error measured in the float network's units.
int best_layer_shift(const TrainLayer& t, const CodeFit& fit) {
  int best = 0;
  double best_error = INFINITY;
  for (int k = 0; k <= kMaxLayerShift; ++k) {
    const float scale = std::ldexp(1.0f, k);
    double error = 0;
    for (Eigen::Index i = 0; i < t.W.size(); ++i) {
      const float u = t.W.data()[i] * scale;
      error += fit.error(t.code_map(u), u);
    }
    error *= std::ldexp(1.0, -2 * k);
    if (error < best_error) best_error = error, best = k;
  }
  return best;
}

// AdderNet's layer of (mapped) weight u * 2^-k against `x` (8-bit levels):
// the code whose term, less its mean, is closest to -|x - 255 w| in least
// squares over the histogram; k stays the float layer's.
CodeMap adder_code_map(const TrainLayer& t, const std::array<double, 256>& histogram) {
  constexpr std::size_t kGrid = 1024;
  const TermTable& table = *t.table;
  const double total = std::accumulate(histogram.begin(), histogram.end(), 0.0);
  // Each code's term less its mean, weighted: error = sum_x p(x) (T_c - m_c - g + m_g)^2.
  std::vector<double> centred(std::size_t{table.codes} * 256);
  for (std::uint32_t c = 0; c < table.codes; ++c) {
    double mean = 0;
    for (int x = 0; x < 256; ++x) mean += histogram[x] / total * table.row(c)[x];
    for (int x = 0; x < 256; ++x) centred[std::size_t{c} * 256 + x] = table.row(c)[x] - mean;
  }
  CodeMap map;
  const float scale = std::ldexp(1.0f, t.k);
  map.lo = t.W.minCoeff() * scale, map.hi = t.W.maxCoeff() * scale;
  if (map.hi - map.lo < 1e-6f) map.hi = map.lo + 1;
  map.code.resize(kGrid);
  std::array<double, 256> target{};
  for (std::size_t i = 0; i < kGrid; ++i) {
    const double w = (map.lo + (map.hi - map.lo) * double(i) / double(kGrid - 1)) / scale;
    double mean = 0;
    for (int x = 0; x < 256; ++x) mean += histogram[x] / total * (target[x] = -std::abs(x - kLevels * w));
    double best_error = INFINITY;
    for (std::uint32_t c = 0; c < table.codes; ++c) {
      double error = 0;
      for (int x = 0; x < 256; ++x) {
        if (histogram[x] == 0) continue;
        const double d = centred[std::size_t{c} * 256 + x] - (target[x] - mean);
        error += histogram[x] * d * d;
      }
      if (error < best_error) best_error = error, map.code[i] = c;
    }
  }
  return map;
}

// Before AdderNet's float training: each adder layer's biases centre its
// pre-activations on the calibration images (its terms are all negative, and
// sum to about -fan_in / 3 before the scale), so that training starts with
// half of its units active, as batch norm would in the paper's networks.
void centre_adder_biases(TrainNet& net, const Mat& calibration) {
  Mat a = calibration;
  Shortcuts shortcuts(net.layers);
  for (std::size_t i = 0; i < net.layers.size(); ++i) {
    TrainLayer& t = net.layers[i];
    if (t.adder()) {
      forward(t, a, Mode::real, shortcuts.residual_of(t));
      const Eigen::Index pos = t.Z.cols() / t.layer.out.channels;
      for (unsigned o = 0; o < t.layer.out.channels; ++o) t.b(0, o) = -t.Z.middleCols(o * pos, pos).mean();
    }
    a = forward(t, a, Mode::real, shortcuts.residual_of(t));
    shortcuts.keep(i, a);
  }
}

// Before fine-tuning a package kind: each such layer gets its code map and
// layer shift from the activations it sees (those of the quantised layers
// before it, on calibration images), then its biases absorb the mean
// difference between the float and the integer pre-activations per channel.
void fit_term_tables(TrainNet& net, const Mat& calibration) {
  Mat a_real = calibration, a_quant = calibration;
  Shortcuts real(net.layers), quant(net.layers);
  for (std::size_t i = 0; i < net.layers.size(); ++i) {
    TrainLayer& t = net.layers[i];
    const Mat* r_real = real.residual_of(t);
    const Mat* r_quant = quant.residual_of(t);
    const auto keep = [&] {
      real.keep(i, a_real);
      quant.keep(i, a_quant);
    };
    if (!t.table) {
      a_real = forward(t, a_real, Mode::real, r_real);
      a_quant = forward(t, a_quant, Mode::quantised, r_quant);
      keep();
      continue;
    }
    const Layer& l = t.layer;
    const Mat X = layer_input(l, a_quant, r_quant);
    std::array<double, 256> histogram{};
    for (Eigen::Index i = 0; i < X.size(); ++i)
      histogram[std::size_t(std::clamp(std::lround(X.data()[i] * kLevels), 0l, 255l))] += 1;
    if (t.adder()) {
      t.k = std::clamp(int(std::lround(-t.log2_scale(0, 0))), 0, kMaxLayerShift);  // the nearest power of two
      t.code_map = adder_code_map(t, histogram);
    } else {
      const CodeFit fit = code_fit(*t.table, histogram);
      t.code_map = code_map(fit);
      t.k = best_layer_shift(t, fit);
    }

    Mat next_real = forward(t, a_real, Mode::real, r_real);
    const Mat z_real = t.Z;
    forward(t, a_quant, Mode::quantised, r_quant);
    const Mat diff = z_real - t.Z;  // samples x (channel * positions + p)
    const Eigen::Index pos = diff.cols() / l.out.channels;
    for (unsigned o = 0; o < l.out.channels; ++o)
      t.b(0, o) += diff.middleCols(o * pos, pos).mean();
    a_quant = forward(t, a_quant, Mode::quantised, r_quant);
    a_real = std::move(next_real);
    keep();
  }
}

// ---- export to the integer network

std::uint32_t export_code(const TrainLayer& t, std::size_t o, std::size_t f) {
  if (t.table) return t.codes[o * std::size_t(t.W.cols()) + f];
  const float w = t.W(o, f);
  switch (t.trainer) {
    case Trainer::int8_qat: return static_cast<std::uint32_t>(int(mac_code_value(w, t.k))) & 0xffu;
    case Trainer::pow2_qat: {
      const int e = shift_exponent(std::abs(w) * std::ldexp(1.0f, t.k));
      if (e < 0) return 0;
      return (w < 0 ? 1u << (t.layer.code_bits - 1) : 0u) | std::uint32_t(e + 1);
    }
    case Trainer::threshold_ste: {
      const auto theta = std::uint32_t(std::clamp(std::lround(t.theta(o, f) * kLevels), 0l, 255l));
      return (w < 0 ? 1u << 8 : 0u) | theta;
    }
    default: break;  // snn_conversion exports its own way; the table trainers keep their codes
  }
  return 0;
}

std::int64_t checked_bias(double value, const std::string& where) {
  if (std::abs(value) > double(1ll << 30))
    throw Error(fmt::format("training produced a bias of {:.3g} in {}, beyond the 32-bit accumulator", value, where));
  return std::llround(value);
}

// Quantised kinds. The last layer maps logits [hi - 2^e, hi] onto 0..255
// (argmax is unchanged by the offset), hi being the largest logit seen on
// calibration images and 2^e covering their spread of top logits.
Network export_quantised(TrainNet& net, const Mat& calibration) {
  const Mat logits = net.forward_all(calibration, Mode::quantised);
  const float hi = logits.maxCoeff();
  const float lo = logits.rowwise().maxCoeff().minCoeff() - 1.0f;
  const int e = std::max(0, int(std::ceil(std::log2(std::max(hi - lo, 1.0f)))));
  const float offset = hi - std::ldexp(1.0f, e);
  Network network;
  for (TrainLayer& t : net.layers) {
    Layer l = t.layer;
    if (l.computes()) {
      const float unit = kLevels * std::ldexp(1.0f, t.k);
      for (Eigen::Index o = 0; o < t.W.rows(); ++o) {
        const float b = t.last ? t.b(0, o) - offset : t.b(0, o);
        l.bias.push_back(checked_bias(double(b) * unit, l.describe()));
        for (Eigen::Index f = 0; f < t.W.cols(); ++f) l.codes.push_back(export_code(t, o, f));
      }
      l.shift = unsigned(t.k + (t.last ? e : 0));
    }
    network.layers.push_back(std::move(l));
  }
  return network;
}

float percentile(std::vector<float> values, double p) {
  if (values.empty()) return 1.0f;
  const std::size_t i = std::min(values.size() - 1, std::size_t(p * double(values.size())));
  std::nth_element(values.begin(), values.begin() + i, values.end());
  return values[i];
}

// Each compute layer's 99.9th-percentile positive float activation on the
// calibration images (at least 1e-3): what the conversions scale by.
std::vector<float> activation_percentiles(TrainNet& net, const Mat& calibration) {
  std::vector<float> lambda;
  Mat a = calibration;
  Shortcuts shortcuts(net.layers);
  for (std::size_t i = 0; i < net.layers.size(); ++i) {
    TrainLayer& t = net.layers[i];
    a = forward(t, a, Mode::real, shortcuts.residual_of(t));
    shortcuts.keep(i, a);
    if (!t.layer.computes()) continue;
    std::vector<float> positive;
    for (Eigen::Index i = 0; i < a.size(); ++i)
      if (a.data()[i] > 0) positive.push_back(a.data()[i]);
    lambda.push_back(std::max(percentile(std::move(positive), 0.999), 1e-3f));
  }
  return lambda;
}

// A layer's weights with its residual's columns multiplied by `factor` (the
// conversions: a shortcut's spikes come in its source's units, the rest in the
// layer before's).
Mat with_residual_scaled(const TrainLayer& t, double factor) {
  Mat W = t.W;
  const Eigen::Index shortcut = t.layer.residual_fan_in();
  if (shortcut) W.rightCols(shortcut) *= float(factor);
  return W;
}

// Spike conversion (threshold balancing): a layer whose float activations
// reach lambda_l fires at a rate a / lambda_l when its weights are scaled by
// S = 127 / max|w|, its threshold is S * lambda_l / lambda_{l-1} and its bias
// S * b / lambda_{l-1} (rates of the previous layer are a / lambda_{l-1}). A
// residual's spikes come at its source's rates a / lambda_s: its weights are
// multiplied by lambda_s / lambda_{l-1} before S is taken.
Network export_spiking(TrainNet& net, const Mat& calibration) {
  const std::vector<float> lambda = activation_percentiles(net, calibration);
  Network network;
  float previous = 1.0f;  // the encoder fires at about pixel / 256 = a
  std::vector<float> lambda_of(net.layers.size(), 1.0f);  // of each layer's output spikes (pooling keeps it)
  std::size_t index = 0;
  for (std::size_t i = 0; i < net.layers.size(); ++i) {
    const TrainLayer& t = net.layers[i];
    Layer l = t.layer;
    if (l.computes()) {
      const Mat W = with_residual_scaled(t, l.residual ? double(lambda_of[l.residual - 1]) / previous : 1.0);
      const float S = 127.0f / std::max(W.cwiseAbs().maxCoeff(), 1e-6f);
      for (Eigen::Index o = 0; o < W.rows(); ++o) {
        l.bias.push_back(checked_bias(double(S) * t.b(0, o) / previous, l.describe()));
        for (Eigen::Index f = 0; f < W.cols(); ++f)
          l.codes.push_back(static_cast<std::uint32_t>(int(std::clamp(std::round(W(o, f) * S), -127.0f, 127.0f))) &
                            0xffu);
      }
      l.vth = std::max<std::int64_t>(1, std::llround(double(S) * lambda[index] / previous));
      previous = lambda[index++];
    }
    lambda_of[i] = previous;
    network.layers.push_back(std::move(l));
  }
  return network;
}

// Sigma-delta conversion (docs/model-format.md, "Sigma-delta networks"). The
// float network's ReLUs are unbounded, as the neurons' are. An integer act_l
// stands for act_l * u_l of the float activation: the input's pixels for
// p / 255, and a layer with int8 weights S_l * W (S_l = 127 / max|W|), whose
// inputs are spikes of 2^Q_{l-1} units of the layer before, for
// u_l = 2^Q_{l-1} u_{l-1} / S_l; its bias is b / u_l. Each layer's spike unit
// 2^Q_l is chosen so that its 99.9th-percentile activation lambda_l takes
// `steps` full B-bit spikes to send (Q_l = round(log2(lambda_l / (u_l (2^(B-1) - 1) steps))));
// vth = 2^(Q_l - 1), the least change that rounds to one unit. A residual's
// spikes come in its source's unit: its weights are multiplied by that over
// the layer before's before S_l is taken.
Network export_sigma_delta(TrainNet& net, const Mat& calibration, unsigned B, double steps) {
  const std::vector<float> lambda = activation_percentiles(net, calibration);
  const double top = double((1u << (B - 1)) - 1);
  const auto spike_shift = [&](double lambda_units) {
    return unsigned(std::clamp(std::lround(std::log2(std::max(lambda_units / (top * steps), 1.0))), 0l, 26l));
  };
  const auto threshold = [](unsigned Q) { return Q ? std::int64_t{1} << (Q - 1) : std::int64_t{1}; };
  Network network;
  network.input_shift = spike_shift(kLevels);
  network.input_vth = threshold(network.input_shift);
  double unit = std::ldexp(1.0 / kLevels, int(network.input_shift));  // of one incoming spike, in float
  std::vector<double> unit_of(net.layers.size(), unit);  // of each layer's output spikes (pooling keeps it)
  std::size_t index = 0;
  for (std::size_t i = 0; i < net.layers.size(); ++i) {
    const TrainLayer& t = net.layers[i];
    Layer l = t.layer;
    if (l.computes()) {
      const Mat W = with_residual_scaled(t, l.residual ? unit_of[l.residual - 1] / unit : 1.0);
      const float S = 127.0f / std::max(W.cwiseAbs().maxCoeff(), 1e-6f);
      const double u = unit / double(S);  // of one act unit, in float
      for (Eigen::Index o = 0; o < W.rows(); ++o) {
        l.bias.push_back(checked_bias(double(t.b(0, o)) / u, l.describe()));
        for (Eigen::Index f = 0; f < W.cols(); ++f)
          l.codes.push_back(static_cast<std::uint32_t>(int(std::clamp(std::round(W(o, f) * S), -127.0f, 127.0f))) &
                            0xffu);
      }
      l.shift = spike_shift(double(lambda[index++]) / u);
      l.vth = threshold(l.shift);
      unit = std::ldexp(u, int(l.shift));
    }
    unit_of[i] = unit;
    network.layers.push_back(std::move(l));
  }
  return network;
}

// The sigma-delta network whose spike units give the fewest events among those
// within half a point of the best reference accuracy on the calibration
// images (the first 500 training images, never test images; half a point is
// below their sampling error): `steps` tried from half a step to the
// timesteps, in powers of two.
Network calibrate_sigma_delta(TrainNet& net, const Mat& calibration, const LabelledImages& train, unsigned B,
                              unsigned T, const ProgressFn& progress) {
  const std::size_t images = std::min<std::size_t>(500, train.labels.size());
  struct Candidate {
    Network network;
    double accuracy = 0;
    std::uint64_t events = 0;
  };
  std::vector<Candidate> candidates;
  for (double steps = 0.5; steps <= double(T); steps *= 2) {
    Candidate c{export_sigma_delta(net, calibration, B, steps)};
    c.network.XW = B;
    c.network.timesteps = T;
    c.network.input = net.layers.front().layer.in;
    validate(c.network, "sigma-delta conversion");
    std::size_t correct = 0;
    for (std::size_t i = 0; i < images; ++i) {
      const Inference r = infer(c.network, train.images.image(i));
      correct += r.predicted == train.labels[i];
      c.events += r.spikes;
    }
    c.accuracy = double(correct) / double(images);
    if (progress)
      progress(fmt::format("sigma-delta calibration: {} steps to send the 99.9th-percentile activation: {:.4f} on "
                           "{} training images, {:.0f} events per image\n",
                           steps, c.accuracy, images, double(c.events) / double(images)));
    candidates.push_back(std::move(c));
  }
  double best = 0;
  for (const Candidate& c : candidates) best = std::max(best, c.accuracy);
  Candidate* chosen = nullptr;
  for (Candidate& c : candidates)
    if (c.accuracy >= best - 0.005 && (!chosen || c.events < chosen->events)) chosen = &c;
  return std::move(chosen->network);
}

// Spiking networks max-pool: the mean of spikes is not a spike (before any training is spent).
void check_pooling(const std::vector<Layer>& layers, Trainer trainer, const std::string& where) {
  if (trainer != Trainer::snn_conversion && trainer != Trainer::sigma_delta_conversion) return;
  for (const Layer& l : layers)
    if (l.type == LayerType::avgpool)
      throw Error(fmt::format("{}: average pooling in a spiking network (the mean of spikes is not a spike; spike "
                              "and sigma-delta networks max-pool)",
                              where));
}

// The integer network of a float one by the trainer's export: a conversion
// for the spiking kinds, else (after `fine_tune`, if given: train's
// quantisation-aware epochs) the quantised layers; package kinds' code maps first.
Network export_network(TrainNet& net, Trainer trainer, const Mat& calibration, const LabelledImages& train,
                       unsigned spike_bits, unsigned timesteps, const ProgressFn& progress,
                       const std::function<void()>& fine_tune) {
  if (std::any_of(net.layers.begin(), net.layers.end(), [](const TrainLayer& t) { return t.table != nullptr; }))
    fit_term_tables(net, calibration);
  if (trainer == Trainer::snn_conversion) {
    Network network = export_spiking(net, calibration);
    network.timesteps = timesteps;
    return network;
  }
  if (trainer == Trainer::sigma_delta_conversion)
    return calibrate_sigma_delta(net, calibration, train, spike_bits, timesteps, progress);
  if (fine_tune) fine_tune();
  return export_quantised(net, calibration);
}

// Scales every compute layer but the last so that its ReLU output's 99.99th
// percentile on `calibration` (or its ceiling, if lower; or its QDQ range, as
// given) is 1: its weights and bias divided by that, the next compute layer's
// weights multiplied by it. A layer with a QDQ range also gets half an output
// unit on its bias: QuantizeLinear rounds to the nearest code, the kernels'
// output stage rounds down.
void scale_activations(TrainNet& net, const Mat& calibration, const std::vector<float>& ceilings,
                       const std::vector<float>& ranges) {
  Mat a = calibration;
  float carried = 1.0f;  // the scale of the activations reaching the next compute layer
  std::vector<float> scale_of(net.layers.size(), 1.0f);  // of each layer's output (a residual's weights take it)
  Shortcuts shortcuts(net.layers);
  std::size_t index = 0;
  for (std::size_t i = 0; i < net.layers.size(); ++i) {
    TrainLayer& t = net.layers[i];
    if (!t.layer.computes()) {
      a = forward(t, a, Mode::real);
      shortcuts.keep(i, a);
      scale_of[i] = carried;
      continue;
    }
    const Layer& l = t.layer;
    const Eigen::Index shortcut = l.residual_fan_in();
    t.W.leftCols(t.W.cols() - shortcut) *= carried;
    if (shortcut) t.W.rightCols(shortcut) *= scale_of[l.residual - 1];
    if (t.last) break;
    const bool last = t.last;
    t.last = true;  // forward gives the pre-activation
    const Mat z = forward(t, a, Mode::real, shortcuts.residual_of(t));
    t.last = last;
    std::vector<float> positive;
    for (Eigen::Index i = 0; i < z.size(); ++i)
      if (z.data()[i] > 0) positive.push_back(z.data()[i]);
    const bool given = ranges[index] > 0;
    const float lambda = given ? ranges[index] : std::max(std::min(percentile(std::move(positive), 0.9999), ceilings[index]), 1e-6f);
    t.W /= lambda;
    t.b /= lambda;
    if (given) t.b.array() += 0.5f / kLevels;
    carried = lambda;
    a = (z / lambda).cwiseMax(0.0f).cwiseMin(1.0f);
    shortcuts.keep(i, a);
    scale_of[i] = carried;
    ++index;
  }
}

}  // namespace

namespace {
constexpr std::pair<LrSchedule, std::string_view> kScheduleNames[] = {
    {LrSchedule::step, "step"}, {LrSchedule::constant, "constant"}, {LrSchedule::cosine, "cosine"},
    {LrSchedule::warmup, "warmup"}};
constexpr std::pair<Optimizer, std::string_view> kOptimizerNames[] = {{Optimizer::adam, "adam"}, {Optimizer::sgd, "sgd"}};
constexpr std::pair<SignSte, std::string_view> kSteNames[] = {{SignSte::identity, "identity"},
                                                              {SignSte::approxsign, "approxsign"}};
template <typename E, std::size_t N>
std::string_view name_of(const std::pair<E, std::string_view> (&names)[N], E value) {
  for (const auto& [v, name] : names)
    if (v == value) return name;
  return "?";
}
template <typename E, std::size_t N>
std::optional<E> value_of(const std::pair<E, std::string_view> (&names)[N], std::string_view name) {
  for (const auto& [v, n] : names)
    if (n == name) return v;
  return std::nullopt;
}
}  // namespace

std::string_view to_string(LrSchedule schedule) { return name_of(kScheduleNames, schedule); }
std::string_view to_string(Optimizer optimizer) { return name_of(kOptimizerNames, optimizer); }
std::string_view to_string(SignSte ste) { return name_of(kSteNames, ste); }
std::optional<LrSchedule> parse_lr_schedule(std::string_view name) { return value_of(kScheduleNames, name); }
std::optional<Optimizer> parse_optimizer(std::string_view name) { return value_of(kOptimizerNames, name); }
std::optional<SignSte> parse_sign_ste(std::string_view name) { return value_of(kSteNames, name); }

std::string_view to_string(Trainer trainer) { return name_of(kTrainerNames, trainer); }
std::optional<Trainer> parse_trainer(std::string_view name) { return value_of(kTrainerNames, name); }

Trainer trainer_of(KernelKind kind) {
  const RegisteredKind& r = registered_kind(kind);
  if (const auto t = parse_trainer(r.trainer)) return *t;
  throw Error(fmt::format("kernel kind {}: trainer '{}' unknown", r.name, r.trainer));
}

double reference_accuracy(const Network& network, const LabelledImages& data, std::size_t count) {
  if (count == 0 || count > data.labels.size()) count = data.labels.size();
  std::size_t correct = 0;
  for (std::size_t i = 0; i < count; ++i) correct += infer(network, data.images.image(i)).predicted == data.labels[i];
  return count ? double(correct) / double(count) : 0;
}

// What the model file's training note adds to the defaults' "batch B, Adam lr L".
static std::string recipe_details(const TrainOptions& o, Trainer trainer) {
  const TrainOptions defaults;
  std::string out;
  if (o.lr_schedule != defaults.lr_schedule) out += fmt::format(", {} schedule", to_string(o.lr_schedule));
  if (trainer == Trainer::threshold_ste) {
    if (!o.learn_scale) out += ", fixed layer scales";
    if (o.theta_init != defaults.theta_init) out += fmt::format(", theta init [0, {})", o.theta_init);
    if (o.sign_ste != defaults.sign_ste) out += fmt::format(", {} sign STE", to_string(o.sign_ste));
  }
  return out;
}

Network train_network(const TrainOptions& options, const LabelledImages& train, const LabelledImages& test,
                      const ProgressFn& progress, std::vector<CurvePoint>* curves) {
  if (options.epochs == 0) throw Error("--epochs 0: give at least one epoch");
  if (!(options.learning_rate > 0) || !std::isfinite(options.learning_rate))
    throw Error(fmt::format("--lr {}: the learning rate must be a finite number above 0", options.learning_rate));
  if (!(options.theta_init >= 0 && options.theta_init <= 1))
    throw Error(fmt::format("--theta-init {}: initial thresholds are in [0, 1] (activations' range)", options.theta_init));
  if (options.batch == 0) throw Error("--batch 0: give at least one image a batch");
  const Trainer trainer = trainer_of(options.kind);
  const bool timesteps = trainer == Trainer::snn_conversion || trainer == Trainer::sigma_delta_conversion;
  if (timesteps && (options.timesteps == 0 || options.timesteps > 10000))
    throw Error(fmt::format("--timesteps {} must be in 1..10000", options.timesteps));
  const unsigned spike_bits = options.XW ? options.XW : default_xw(options.kind);
  if (trainer == Trainer::sigma_delta_conversion) {
    KernelParams p{options.kind};
    p.XW = spike_bits;
    p.arch = default_arch(options.kind);
    if (auto error = models::validate(p)) throw Error(fmt::format("--XW {}: {}", spike_bits, *error));
  } else if (options.XW && options.XW != 8) {
    throw Error(fmt::format("--XW {}: only sigma-delta networks choose their activation bits (their graded "
                            "spikes'); the others' are 8, the pixels'", options.XW));
  }
  const Shape input{1, train.images.rows, train.images.cols};
  std::vector<LayerSpec> spec = parse_arch(options.arch);
  for (const LayerSpec& s : spec)
    if (s.kind && backend_of(*s.kind) != backend_of(options.kind) &&
        (backend_of(options.kind) != Backend::output_stage || backend_of(*s.kind) != Backend::output_stage))
      throw Error(fmt::format("--arch '{}': spike and sigma-delta layers cannot be mixed with other kinds",
                              options.arch));
  const std::vector<Layer> layers = layout(spec, input, options.kind, 8);
  check_pooling(layers, trainer, fmt::format("--arch '{}'", options.arch));
  for (const Layer& l : layers)
    if (l.computes())
      if (auto why = trainer_mismatch(l)) throw Error(fmt::format("--kind {}: {}", to_string(l.kind), *why));
  const std::size_t train_count =
      options.train_images ? std::min(options.train_images, train.labels.size()) : train.labels.size();
  const std::size_t test_count =
      options.test_images ? std::min(options.test_images, test.labels.size()) : test.labels.size();
  if (train_count < options.batch)
    throw Error(fmt::format("{} training images is less than one batch of {}", train_count, options.batch));

  const Mat calibration = first_images(train.images, std::min<std::size_t>(train_count, 2000));

  Rng rng(options.seed);
  TrainNet net = initialise(layers, options, rng);
  for (TrainLayer& t : net.layers)
    if (options.learn_scale && t.trainer == Trainer::threshold_ste) t.log2_scale = Mat::Constant(1, 1, -float(t.k));
  if (std::any_of(net.layers.begin(), net.layers.end(), [](const TrainLayer& t) { return t.adder(); }))
    centre_adder_biases(net, calibration);
  Diagnostics diagnostics;
  diagnostics.curves = curves;
  if (options.sharpness_every) {  // a fixed probe: the first 512 training images
    const std::size_t n = std::min<std::size_t>(512, train_count);
    diagnostics.probe.images = calibration.topRows(Eigen::Index(n));
    diagnostics.probe.labels.assign(train.labels.begin(), train.labels.begin() + std::ptrdiff_t(n));
  }
  int step = 0;
  run_epochs(net, train, train_count, options, options.epochs, Mode::real, step, rng, "float", progress, diagnostics);
  const double float_accuracy = evaluate(net, test, test_count, Mode::real);
  if (progress) progress(fmt::format("float network: test accuracy {:.4f}\n", float_accuracy));

  Network network = export_network(net, trainer, calibration, train, spike_bits, options.timesteps, progress, [&] {
    const unsigned qat_epochs = (options.epochs + 1) / 2;
    run_epochs(net, train, train_count, options, qat_epochs, Mode::quantised, step, rng, "quantised", progress,
               diagnostics);
  });
  network.input = input;
  network.name = fmt::format("{}-{}", to_string(options.kind), options.arch);
  network.training = {options.arch, options.seed, options.epochs, float_accuracy, -1,
                      fmt::format("Fashion-MNIST, {} training images, batch {}, {} lr {}{}", train_count,
                                  options.batch, options.optimizer == Optimizer::sgd ? "SGD" : "Adam",
                                  options.learning_rate, recipe_details(options, trainer)),
                      {}};  // packages: the caller knows them (app::train)
  validate(network, "trained network");
  network.training.quantised_accuracy = reference_accuracy(network, test, test_count);
  network.training.test_images = std::int64_t(test_count);
  if (progress)
    progress(fmt::format("integer network (reference inference): test accuracy {:.4f}\n",
                         network.training.quantised_accuracy));
  return network;
}

Network quantise_float_network(const FloatNetwork& imported, const ImportOptions& options, const LabelledImages& train,
                               const LabelledImages& test, const ProgressFn& progress) {
  const Trainer trainer = trainer_of(options.kind);
  const bool timesteps = trainer == Trainer::snn_conversion || trainer == Trainer::sigma_delta_conversion;
  if (timesteps && (options.timesteps == 0 || options.timesteps > 10000))
    throw Error(fmt::format("--timesteps {} must be in 1..10000", options.timesteps));
  const unsigned spike_bits = options.XW ? options.XW : default_xw(options.kind);
  if (options.calibration_images == 0) throw Error("--calibration-images 0: give at least one");
  const Shape input{1, train.images.rows, train.images.cols};
  if (!(imported.input == input))
    throw Error(fmt::format("{}: a network for {} images, and the data set's are {}", imported.name,
                            imported.input.describe(), input.describe()));
  if (imported.spec.empty() || imported.weights.empty()) throw Error(imported.name + ": no layers");
  const std::vector<Layer> layers = layout(imported.spec, input, options.kind, 8);
  check_pooling(layers, trainer, imported.name);
  TrainOptions defaults;
  defaults.kind = options.kind;
  Rng rng(1);
  TrainNet net = initialise(layers, defaults, rng);
  std::vector<float> ceilings, ranges;
  std::size_t w = 0;
  for (TrainLayer& t : net.layers) {
    if (!t.layer.computes()) continue;
    if (w >= imported.weights.size()) throw Error(imported.name + ": fewer weights than compute layers");
    const FloatLayerWeights& f = imported.weights[w++];
    const Eigen::Index outs = t.W.rows(), fan_in = t.W.cols();
    if (f.weights.size() != std::size_t(outs * fan_in) || f.bias.size() != std::size_t(outs))
      throw Error(fmt::format("{}: {}: {} weights and {} biases for {} x {}", imported.name, t.layer.describe(),
                              f.weights.size(), f.bias.size(), outs, fan_in));
    t.W = Eigen::Map<const Mat>(f.weights.data(), outs, fan_in);
    t.b = Eigen::Map<const Mat>(f.bias.data(), 1, outs);
    ceilings.push_back(f.ceiling);
    ranges.push_back(f.activation_range);
    // Products mapped onto the kind's codes by its terms (threshold, AdderNet:
    // their trainers learn thresholds and distances, not products).
    if (trainer == Trainer::threshold_ste || trainer == Trainer::addernet) {
      t.trainer = Trainer::term_table;
      t.table = make_term_table(t.layer);
      t.log2_scale = Mat();
    }
  }
  if (w != imported.weights.size()) throw Error(imported.name + ": more weights than compute layers");
  const Mat calibration = first_images(train.images, std::min(options.calibration_images, train.labels.size()));
  scale_activations(net, calibration, ceilings, ranges);
  const std::size_t test_count =
      options.test_images ? std::min(options.test_images, test.labels.size()) : test.labels.size();
  const double float_accuracy = evaluate(net, test, test_count, Mode::real);
  if (progress) progress(fmt::format("float network (activations scaled to [0, 1]): test accuracy {:.4f}\n", float_accuracy));

  Network network = export_network(net, trainer, calibration, train, spike_bits, options.timesteps, progress, {});
  network.input = input;
  network.name = fmt::format("{}-{}", imported.name, to_string(options.kind));
  std::string arch;
  for (const Layer& l : layers) arch += (arch.empty() ? "" : ",") + l.describe();
  std::string notes = fmt::format("imported from ONNX ({}, opset {}); {} calibration images", imported.producer,
                                  imported.opset, calibration.rows());
  for (const std::string& n : imported.notes) notes += "; " + n;
  network.training = {arch, 0, 0, float_accuracy, -1, notes, {}};
  validate(network, imported.name);
  network.training.quantised_accuracy = reference_accuracy(network, test, test_count);
  network.training.test_images = std::int64_t(test_count);
  if (progress)
    progress(fmt::format("integer network (reference inference): test accuracy {:.4f}\n",
                         network.training.quantised_accuracy));
  return network;
}

}  // namespace neuroppa::models
