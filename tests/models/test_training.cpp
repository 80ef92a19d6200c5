// Training: every kind learns Fashion-MNIST from a slice of the training
// set, reproducibly, and the integer network it writes is what is measured.
#include <doctest/doctest.h>

#include "neuroppa/models/dataset.hpp"
#include "neuroppa/base/error.hpp"
#include "neuroppa/models/training.hpp"

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
  for (const KernelKind kind : kAllKernelKinds) {
    CAPTURE(to_string(kind));
    TrainOptions o;
    o.kind = kind;
    o.arch = "d32,d10";
    o.epochs = 1;
    o.train_images = 4000;
    o.test_images = 1000;
    o.timesteps = 16;
    const Network net = train_network(o, training_set(), test_set());
    CHECK(net.spiking() == (kind == KernelKind::spike));
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
  o.kind = KernelKind::shift;
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
                       doctest::Contains("spike layers cannot be mixed"), Error);
}

TEST_CASE("threshold --learn-scale: each layer's scale learnt, fine-tuning at its nearest power of two") {
  TrainOptions o;
  o.kind = KernelKind::threshold;
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
