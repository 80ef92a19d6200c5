// Training: every kind learns Fashion-MNIST from a slice of the training
// set, reproducibly, and the integer network it writes is what is measured.
#include <doctest/doctest.h>

#include "neuroppa/models/dataset.hpp"
#include "neuroppa/base/error.hpp"
#include "neuroppa/models/training.hpp"
#include "neuroppa/models/random.hpp"

#include <Eigen/Dense>
#include <cmath>

using namespace neuroppa;
using namespace neuroppa::models;

namespace {

const LabelledImages& training_set() {
  static const LabelledImages data = load_fashion_mnist(true);
  return data;
}
const LabelledImages& test_set() {
  static const LabelledImages data = load_fashion_mnist(false);
  return data;
}

}  // namespace

TEST_CASE("each kind trains to a useful integer network, reproducibly") {
  for (const KernelKind kind : neuroppa::models::builtin_kernel_kinds()) {
    CAPTURE(to_string(kind));
    TrainOptions o;
    o.kind = kind;
    o.arch = "d32,d10";
    o.epochs = 1;
    o.train_images = 4000;
    o.test_images = 1000;
    o.timesteps = 16;
    const Network net = train_network(o, training_set(), test_set());
    CHECK(net.spiking() == (has_membrane(kind) || has_sigma_delta(kind)));
    // Chance is 0.1; a 32-unit network on 4,000 images reaches about 0.7-0.8.
    const double accuracy = reference_accuracy(net, test_set(), 1000);
    CHECK(accuracy == net.training.quantised_accuracy);
    CHECK(accuracy > 0.6);
    CHECK(net.training.float_accuracy > 0.6);
    for (const Layer& l : net.layers)
      if (l.computes()) CHECK(l.kind == kind);

    const Network again = train_network(o, training_set(), test_set());
    CHECK(again.layers[1].codes == net.layers[1].codes);
    CHECK(again.layers[2].bias == net.layers[2].bias);
    o.seed = 2;
    CHECK(train_network(o, training_set(), test_set()).layers[1].codes != net.layers[1].codes);
  }
}

TEST_CASE("shift networks prune: zero codes are pruned synapses") {
  TrainOptions o;
  o.kind = neuroppa::models::kind_named("shift");
  o.arch = "d16,d10";
  o.epochs = 1;
  o.train_images = 2000;
  o.test_images = 200;
  const Network net = train_network(o, training_set(), test_set());
  std::size_t pruned = 0;
  for (const std::uint32_t c : net.layers[1].codes) pruned += (c & 7u) == 0;
  CHECK(pruned > 0);
  CHECK(pruned < net.layers[1].codes.size());
}

TEST_CASE("training options are checked") {
  TrainOptions o;
  o.epochs = 0;
  CHECK_THROWS_AS(train_network(o, training_set(), test_set()), Error);
  o.epochs = 1;
  o.arch = "d10@spike";
  CHECK_THROWS_WITH_AS(train_network(o, training_set(), test_set()),
                       doctest::Contains("spike and sigma-delta layers cannot be mixed"), Error);
}

TEST_CASE("threshold layer scales learnt (the default), fine-tuning at their nearest power of two") {
  TrainOptions o;
  o.learn_scale = false;
  o.kind = neuroppa::models::kind_named("threshold");
  o.arch = "d32,d10";
  o.epochs = 1;
  o.train_images = 4000;
  o.test_images = 500;
  const Network fixed = train_network(o, training_set(), test_set());
  o.learn_scale = true;
  const Network learnt = train_network(o, training_set(), test_set());
  CHECK(learnt.training.quantised_accuracy == reference_accuracy(learnt, test_set(), 500));
  CHECK(learnt.training.quantised_accuracy > 0.6);
  // The option changes the network (its codes, or the shifts the learnt scales rounded to).
  bool differs = false;
  for (std::size_t i = 0; i < fixed.layers.size(); ++i)
    differs = differs || fixed.layers[i].codes != learnt.layers[i].codes || fixed.layers[i].shift != learnt.layers[i].shift;
  CHECK(differs);
  CHECK(train_network(o, training_set(), test_set()).layers[1].codes == learnt.layers[1].codes);  // reproducible
}

TEST_CASE("the sharpness estimator finds the largest eigenvalue of an exact softmax-regression Hessian") {
  // 3 classes, 12 inputs, 40 samples: the Hessian of the mean cross-entropy over (W, b)
  // is (1/N) sum_n (diag(p) - p p^T) (x) [x;1][x;1]^T, built here in full.
  constexpr int classes = 3, inputs = 12, samples = 40;
  Rng rng(7);
  const auto draw = [&] { return float(rng.next() >> 40) / float(1u << 24) - 0.5f; };
  std::vector<float> w(classes * inputs), b(classes);
  for (float& v : w) v = 2 * draw();
  for (float& v : b) v = draw();
  std::vector<std::vector<float>> x(samples, std::vector<float>(inputs));
  std::vector<std::uint8_t> labels(samples);
  for (int n = 0; n < samples; ++n) {
    for (float& v : x[n]) v = draw() + 0.5f;
    labels[n] = std::uint8_t(rng.below(classes));
  }
  constexpr int params = classes * (inputs + 1);
  Eigen::MatrixXd H = Eigen::MatrixXd::Zero(params, params);
  // Parameter order: W row-major (class-major), then b: index of (class c, input i) and of b_c.
  const auto at = [&](int c, int i) { return i < inputs ? c * inputs + i : classes * inputs + c; };
  for (int n = 0; n < samples; ++n) {
    Eigen::VectorXd z(classes);
    for (int c = 0; c < classes; ++c) {
      z(c) = b[c];
      for (int i = 0; i < inputs; ++i) z(c) += double(w[c * inputs + i]) * x[n][i];
    }
    const Eigen::VectorXd p = (z.array() - z.maxCoeff()).exp() / (z.array() - z.maxCoeff()).exp().sum();
    const Eigen::MatrixXd S = Eigen::MatrixXd(p.asDiagonal()) - p * p.transpose();
    for (int c = 0; c < classes; ++c)
      for (int d = 0; d < classes; ++d)
        for (int i = 0; i <= inputs; ++i)
          for (int j = 0; j <= inputs; ++j) {
            const double xi = i < inputs ? x[n][i] : 1.0, xj = j < inputs ? x[n][j] : 1.0;
            H(at(c, i), at(d, j)) += S(c, d) * xi * xj / samples;
          }
  }
  const double exact = Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd>(H).eigenvalues().maxCoeff();
  const double estimate = dense_layer_sharpness(w, b, x, labels);
  CAPTURE(exact);
  CAPTURE(estimate);
  CHECK(exact > 0.01);
  CHECK(std::abs(estimate - exact) < 0.01 * exact);
}

TEST_CASE("--sharpness records curves without changing what training learns") {
  TrainOptions o;
  o.kind = neuroppa::models::kind_named("threshold");
  o.arch = "d16,d10";
  o.epochs = 1;
  o.train_images = 1280;  // 20 steps of 64
  o.test_images = 200;
  o.optimizer = Optimizer::sgd;
  o.learning_rate = 0.5;
  o.lr_schedule = LrSchedule::constant;
  const Network plain = train_network(o, training_set(), test_set());
  o.sharpness_every = 5;
  std::vector<CurvePoint> curves;
  const Network measured = train_network(o, training_set(), test_set(), {}, &curves);
  for (std::size_t i = 0; i < plain.layers.size(); ++i) {
    CHECK(measured.layers[i].codes == plain.layers[i].codes);
    CHECK(measured.layers[i].bias == plain.layers[i].bias);
  }
  // 20 float steps and 20 quantised ones (one epoch each): a sample every 5.
  REQUIRE(curves.size() == 8);
  CHECK(curves[0].step == 5);
  CHECK(curves[3].phase == "float");
  CHECK(curves[4].phase == "quantised");
  CHECK(curves[0].lr == doctest::Approx(0.5));
  CHECK(curves[4].lr == doctest::Approx(0.25));  // the quantised phase at half
  for (const CurvePoint& c : curves) {
    CHECK(std::isfinite(c.sharpness));
    CHECK(c.sharpness > 0);
    CHECK(c.loss > 0);
    CHECK(c.thresholds_off_zero > 0);
    CHECK(c.thresholds_off_zero <= 1);
  }
  CHECK(curves.back().loss < curves.front().loss);
}

TEST_CASE("learning-rate schedules, optimisers and threshold options change training as they say") {
  TrainOptions o;
  o.kind = neuroppa::models::kind_named("threshold");
  o.arch = "d16,d10";
  o.epochs = 1;
  o.batch = 4;
  o.train_images = 160;  // 40 steps a phase; the probe is these 160 images
  o.test_images = 100;
  o.sharpness_every = 2;
  std::vector<CurvePoint> curves;
  o.lr_schedule = LrSchedule::cosine;
  train_network(o, training_set(), test_set(), {}, &curves);
  // Step 2 of 40 runs at (1 + cos(pi * 1/40)) / 2 of --lr, step 40 at (1 + cos(pi * 39/40)) / 2.
  REQUIRE(curves.size() == 40);
  CHECK(curves[0].lr == doctest::Approx(o.learning_rate * 0.5 * (1 + std::cos(3.14159265358979 / 40))));
  CHECK(curves[19].lr == doctest::Approx(o.learning_rate * 0.5 * (1 + std::cos(3.14159265358979 * 39 / 40))));
  CHECK(curves[20].lr == doctest::Approx(o.learning_rate * 0.5 * 0.5 * (1 + std::cos(3.14159265358979 / 40))));
  curves.clear();
  o.lr_schedule = LrSchedule::warmup;
  train_network(o, training_set(), test_set(), {}, &curves);
  // Linear over the first 4 steps (half the rate at step 2, all of it at step 4), then cosine.
  CHECK(curves[0].lr == doctest::Approx(0.5 * o.learning_rate));
  CHECK(curves[1].lr == doctest::Approx(o.learning_rate));
  CHECK(curves[2].lr < curves[1].lr);
  curves.clear();
  o.lr_schedule = LrSchedule::constant;
  train_network(o, training_set(), test_set(), {}, &curves);
  CHECK(curves[19].lr == doctest::Approx(o.learning_rate));

  // theta starting at zero: few off zero after two small plain steps (against nearly all
  // from [0, 0.1)); the sign estimator and the optimiser change the codes.
  o.sharpness_every = 0;
  const Network base = train_network(o, training_set(), test_set());
  o.sharpness_every = 2;
  o.optimizer = Optimizer::sgd;
  o.learning_rate = 0.05;
  curves.clear();
  train_network(o, training_set(), test_set(), {}, &curves);
  CHECK(curves[0].thresholds_off_zero > 0.9);
  o.theta_init = 0;
  curves.clear();
  train_network(o, training_set(), test_set(), {}, &curves);
  CHECK(curves[0].thresholds_off_zero < 0.2);
  o.theta_init = 0.1f;
  o.optimizer = Optimizer::adam;
  o.learning_rate = TrainOptions().learning_rate;
  o.sharpness_every = 0;
  o.sign_ste = SignSte::approxsign;
  CHECK(train_network(o, training_set(), test_set()).layers[1].codes != base.layers[1].codes);
  o.sign_ste = SignSte::identity;
  o.optimizer = Optimizer::sgd;
  o.learning_rate = 0.1;
  CHECK(train_network(o, training_set(), test_set()).layers[1].codes != base.layers[1].codes);
}

TEST_CASE("a diverging loss stops training with the step named") {
  TrainOptions o;
  o.arch = "d128,d10";
  o.epochs = 1;
  o.train_images = 2000;
  o.test_images = 100;
  o.optimizer = Optimizer::sgd;
  o.learning_rate = 1e38;  // beyond --lr's range: a step this size overflows the logits
  CHECK_THROWS_WITH_AS(train_network(o, training_set(), test_set()),
                       doctest::Contains("training diverged: the loss became inf at step 2"), Error);
  o.learning_rate = std::nan("");
  CHECK_THROWS_WITH_AS(train_network(o, training_set(), test_set()), doctest::Contains("--lr nan"), Error);
  o.learning_rate = 0;
  CHECK_THROWS_WITH_AS(train_network(o, training_set(), test_set()), doctest::Contains("--lr 0"), Error);
  o.learning_rate = 1e-3;
  o.theta_init = 1.5f;
  CHECK_THROWS_WITH_AS(train_network(o, training_set(), test_set()), doctest::Contains("--theta-init 1.5"), Error);
}

TEST_CASE("option names round-trip") {
  for (const auto s : {LrSchedule::step, LrSchedule::constant, LrSchedule::cosine, LrSchedule::warmup})
    CHECK(parse_lr_schedule(to_string(s)) == s);
  for (const auto s : {Optimizer::adam, Optimizer::sgd}) CHECK(parse_optimizer(to_string(s)) == s);
  for (const auto s : {SignSte::identity, SignSte::approxsign}) CHECK(parse_sign_ste(to_string(s)) == s);
  CHECK(!parse_lr_schedule("linear"));
  CHECK(!parse_optimizer("rmsprop"));
  CHECK(!parse_sign_ste("clipped"));
}

TEST_CASE("sigma-delta conversion: B-bit spikes, a spike unit per layer, within a few points of the float network") {
  TrainOptions o;
  o.kind = neuroppa::models::kind_named("sigma-delta");
  o.arch = "d32,d10";
  o.epochs = 1;
  o.train_images = 4000;
  o.test_images = 1000;
  o.timesteps = 6;
  o.XW = 3;
  const Network net = train_network(o, training_set(), test_set());
  CHECK(net.XW == 3);
  CHECK(net.timesteps == 6);
  CHECK(net.sigma_delta());
  CHECK(net.input_vth == (std::int64_t{1} << (net.input_shift - 1)));
  for (const Layer& l : net.layers)
    if (l.computes()) CHECK(l.vth == (l.shift ? std::int64_t{1} << (l.shift - 1) : 1));
  // A 32-unit float network on 4,000 images reaches about 0.78; the conversion keeps most of it.
  CHECK(net.training.float_accuracy > 0.7);
  CHECK(net.training.quantised_accuracy > net.training.float_accuracy - 0.03);
  const Inference r = infer(net, test_set().images.image(0));
  CHECK(r.graded.activities == 6u * (32 + 10));
  CHECK(r.graded.events > 0);
  CHECK(r.graded.events < r.graded.activities);
}

TEST_CASE("sigma-delta training refuses B out of range, other kinds' --XW and mixed layers, in one line") {
  TrainOptions o;
  o.kind = neuroppa::models::kind_named("sigma-delta");
  o.arch = "d16,d10";
  o.epochs = 1;
  o.train_images = 200;
  o.test_images = 100;
  o.XW = 9;
  CHECK_THROWS_WITH_AS(train_network(o, training_set(), test_set()), doctest::Contains("--XW 9: XW=9"), neuroppa::Error);
  o.XW = 4;
  o.timesteps = 0;
  CHECK_THROWS_WITH_AS(train_network(o, training_set(), test_set()), "--timesteps 0 must be in 1..10000",
                       neuroppa::Error);
  o.timesteps = 4;
  o.arch = "d16@mac,d10";
  CHECK_THROWS_WITH_AS(train_network(o, training_set(), test_set()),
                       doctest::Contains("spike and sigma-delta layers cannot be mixed"), neuroppa::Error);
  o.kind = neuroppa::models::kind_named("mac");
  o.arch = "d16,d10";
  CHECK_THROWS_WITH_AS(train_network(o, training_set(), test_set()),
                       doctest::Contains("--XW 4: only sigma-delta networks choose"), neuroppa::Error);
}
