// Training on Fashion-MNIST (Eigen, single thread, seeded: one seed gives one
// model file). Every kind shares one integer scheme (docs/model-format.md):
// activations are XW = 8-bit values a = x / 255 clamped to [0, 1], and a
// layer computes z = 2^-k * acc / 255 + b, where acc is the kernel's sum of
// synapse terms, so its output is (acc + bias) >> k exactly as the kernels'
// output stage computes it.
//   mac        int8 weights on a per-layer grid 2^-k (quantisation-aware fine-tuning);
//   shift      weights +-2^(e-k), e in 0..6 or pruned (quantisation-aware training);
//   threshold  terms +-max(0, a - theta): learnable sign (straight-through) and
//              theta on the 1/255 grid, a fixed per-layer scale 2^-k;
//   spike      a float network of clamped ReLUs converted to integrate-and-fire
//              with threshold balancing (99.9th-percentile activations) over T timesteps;
//   sigma-delta  a float network of ReLUs converted to sigma-delta neurons with
//              int8 weights, B-bit graded spikes and a spike unit per layer,
//              calibrated on training images (export_sigma_delta in training.cpp);
//   a package kind (trainer "term-table"): its golden term as a black box. The
//              float network trains with products; then, per layer, every code's
//              term T(c, x) over the layer's activation histogram gives the code
//              closest in least squares to each weight's product w * 2^k * x
//              (the term's mean over x goes to the bias, recalibrated on
//              training images), and k minimises the mapping error; fine-tuning
//              then runs the exact integer terms forward, with straight-through
//              gradients (dW as for a product, dX from the table's slope in x).
// Float epochs train first; quantised kinds then fine-tune with the integer
// arithmetic in the forward pass for half as many epochs.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string_view>
#include <utility>
#include <vector>
#include <string>

#include "neuroppa/base/progress.hpp"
#include "neuroppa/models/dataset.hpp"
#include "neuroppa/models/network.hpp"
#include "neuroppa/models/onnx_import.hpp"

namespace neuroppa::models {

// How a kind's networks are trained: the recipe its package's manifest names
// (kernel.trainer), above.
enum class Trainer { int8_qat, pow2_qat, threshold_ste, snn_conversion, term_table, addernet, sigma_delta_conversion };
inline constexpr std::pair<Trainer, std::string_view> kTrainerNames[] = {
    {Trainer::int8_qat, "int8-qat"},     {Trainer::pow2_qat, "pow2-qat"},     {Trainer::threshold_ste, "threshold-ste"},
    {Trainer::snn_conversion, "snn-conversion"}, {Trainer::term_table, "term-table"}, {Trainer::addernet, "addernet"},
    {Trainer::sigma_delta_conversion, "sigma-delta-conversion"}};
std::string_view to_string(Trainer trainer);
std::optional<Trainer> parse_trainer(std::string_view name);
// A kind's trainer: a package's from its manifest, a built-in's as its manifest says.
Trainer trainer_of(KernelKind kind);

// How the step size moves within a phase (the quantised phase runs at half of it):
//   step      the whole rate, the phase's last epoch at a quarter (the default);
//   constant  the whole rate throughout;
//   cosine    from the whole rate down to zero, a half cosine over the phase's steps;
//   warmup    linear up to the whole rate over the first tenth of the steps, then cosine.
enum class LrSchedule { step, constant, cosine, warmup };
enum class Optimizer { adam, sgd };  // sgd: plain gradient steps, no momentum (the edge-of-stability setting)
// threshold: the straight-through estimator of the sign of each synapse's latent
// (latents are kept in [-1, 1]): `identity` passes the gradient unchanged (the
// default; inside [-1, 1] the same as the hard-tanh window), `approxsign` scales
// it by 2 - 2|latent| (Bi-Real Net's ApproxSign).
enum class SignSte { identity, approxsign };
std::string_view to_string(LrSchedule schedule);
std::string_view to_string(Optimizer optimizer);
std::string_view to_string(SignSte ste);
std::optional<LrSchedule> parse_lr_schedule(std::string_view name);
std::optional<Optimizer> parse_optimizer(std::string_view name);
std::optional<SignSte> parse_sign_ste(std::string_view name);

// One sample of the training curves (every TrainOptions::sharpness_every steps).
struct CurvePoint {
  unsigned step = 0;           // optimiser steps so far, both phases
  std::string phase;           // "float" or "quantised"
  unsigned epoch = 0;          // within the phase
  double lr = 0;               // the step size in force
  double loss = 0;             // mean training loss over the steps since the last sample
  double sharpness = 0;        // the largest Hessian eigenvalue of the loss on the probe images
  double thresholds_off_zero = 0;  // threshold layers: fraction of synapses whose theta rounds to >= 1/255
};

struct TrainOptions {
  KernelKind kind{};  // mac unless set
  std::string arch = "d128,d10";
  unsigned epochs = 4;
  std::uint64_t seed = 1;
  unsigned timesteps = 16;  // spike and sigma-delta
  unsigned XW = 0;          // sigma-delta: B, its graded spikes' bits (0: the kind's default XW)
  unsigned batch = 64;
  double learning_rate = 2e-3;
  std::size_t train_images = 0;  // 0: the whole training set
  std::size_t test_images = 0;   // 0: the whole test set (for the accuracies recorded)
  // threshold: learn each layer's scale in the float phase (fine-tuning runs at
  // its nearest power of two) instead of the fixed 2^-k from the fan-in. On by
  // default: it brings threshold networks level with mac (docs/threshold-training.md).
  bool learn_scale = true;
  Optimizer optimizer = Optimizer::adam;
  LrSchedule lr_schedule = LrSchedule::step;
  float theta_init = 0.1f;          // threshold: initial thetas uniform in [0, theta_init)
  SignSte sign_ste = SignSte::identity;
  // Every this many steps: the loss's sharpness (the largest eigenvalue of its
  // Hessian, by power iteration on Hessian-vector products from central
  // differences of gradients, on a fixed probe of training images), recorded
  // in the curves. 0: never.
  unsigned sharpness_every = 0;
};


// Throws neuroppa::Error on a bad architecture or option.
// `curves` (when given) receives the samples of the training curves.
Network train_network(const TrainOptions& options, const LabelledImages& train, const LabelledImages& test,
                      const ProgressFn& progress = {}, std::vector<CurvePoint>* curves = nullptr);

// The sharpness estimator on its own, for a single dense float layer
// z = W x + b under softmax cross-entropy (W: outputs x inputs, row-major):
// what --sharpness measures, here checkable against an exact Hessian.
double dense_layer_sharpness(const std::vector<float>& weights, const std::vector<float>& bias,
                             const std::vector<std::vector<float>>& inputs, const std::vector<std::uint8_t>& labels);

// A float network from outside (read_onnx) as an integer network of `kind`,
// by the quantiser its trainer uses, without training:
//   - the activations are scaled into neuroppa's [0, 1] layer by layer: each
//     layer's 99.99th-percentile ReLU output on the calibration images (or the
//     Clip maximum, if lower) becomes 1, its weights and bias divided by it and
//     the next layer's weights multiplied by it (ReLU and max-pool commute with
//     a positive scale, so the float network computes the same scores);
//   - mac (int8), shift (powers of two): rounded on each layer's grid 2^-k;
//   - spike: the DNN->SNN conversion; sigma-delta: its conversion and calibration;
//   - kinds whose trainer learns something other than products (threshold's
//     signs and thresholds, AdderNet's distances) and package kinds: each
//     layer's weights mapped to the codes whose terms fit the products best
//     (the term-table mapping, above).
// `float_accuracy` receives the float network's test accuracy after scaling.
struct ImportOptions {
  KernelKind kind{};
  unsigned timesteps = 16;            // spike and sigma-delta
  unsigned XW = 0;                    // sigma-delta's B (0: the kind's default)
  std::size_t calibration_images = 2000;
  std::size_t test_images = 0;        // 0: the whole test set (the accuracies recorded)
};
Network quantise_float_network(const FloatNetwork& imported, const ImportOptions& options, const LabelledImages& train,
                               const LabelledImages& test, const ProgressFn& progress = {});

// Accuracy of the reference inference (models::infer) on the first `count` images (0: all).
double reference_accuracy(const Network& network, const LabelledImages& data, std::size_t count = 0);

}  // namespace neuroppa::models
