// neuroppa train: trains a network of one neuron kind on Fashion-MNIST and
// writes a model file (docs/model-format.md).
#include <cstdio>
#include <fmt/format.h>

#include "commands.hpp"
#include "neuroppa/models/error.hpp"
#include "neuroppa/models/training.hpp"

namespace neuroppa::cli {
namespace {

struct TrainCommandOptions {
  std::string kind = "mac";
  std::string out;
  std::string data = models::kFashionMnistDir;
  models::TrainOptions train;
};

int run_train(TrainCommandOptions o, const GlobalOptions& global) {
  const auto kind = models::parse_kernel_kind(o.kind);
  if (!kind) throw Error(fmt::format("--kind {}: unknown kind; choose mac, shift, threshold or spike", o.kind));
  o.train.kind = *kind;
  if (o.out.empty()) o.out = fmt::format("{}-{}.json.gz", o.kind, o.train.arch);
  models::parse_arch(o.train.arch);  // option errors before the data are read
  const auto progress = [&](const std::string& line) {
    if (!global.quiet) fmt::print(stderr, "{}\n", line);
  };
  const models::LabelledImages train = models::load_fashion_mnist(true, o.data);
  const models::LabelledImages test = models::load_fashion_mnist(false, o.data);
  progress(fmt::format("Fashion-MNIST from {}: {} training, {} test images", o.data, train.labels.size(),
                       test.labels.size()));
  models::Network network = models::train_network(o.train, train, test, progress);
  models::write_network(network, o.out);
  fmt::print("wrote {} ({}): float test accuracy {:.4f}, integer test accuracy {:.4f}\n", o.out, network.name,
             network.training.float_accuracy, network.training.quantised_accuracy);
  return 0;
}

}  // namespace

Runner add_train_command(CLI::App& app, const GlobalOptions& global) {
  auto options = std::make_shared<TrainCommandOptions>();
  CLI::App* cmd = app.add_subcommand("train", "Train a network on Fashion-MNIST and write a model file");
  cmd->add_option("--kind", options->kind, "Neuron kind of the compute layers: mac, shift, threshold, spike")
      ->capture_default_str();
  cmd->add_option("--arch", options->train.arch,
                  "Layers, comma-separated: dN dense, cNkM[sS] conv (N channels, MxM, stride S), pN max-pool, "
                  "f flatten; '@kind' after a layer overrides its kind (e.g. c8k3@mac,p2,d10)")
      ->capture_default_str();
  cmd->add_option("--epochs", options->train.epochs, "Float training epochs (quantised kinds add half as many)")
      ->capture_default_str();
  cmd->add_option("--seed", options->train.seed, "Seed of initialisation and shuffling")->capture_default_str();
  cmd->add_option("--timesteps", options->train.timesteps, "spike: timesteps per inference")->capture_default_str();
  cmd->add_option("--batch", options->train.batch, "Images per training step")->capture_default_str();
  cmd->add_option("--lr", options->train.learning_rate, "Adam learning rate")->capture_default_str();
  cmd->add_option("--train-images", options->train.train_images, "Use only the first N training images (0: all)")
      ->capture_default_str();
  cmd->add_option("-o,--out", options->out, "Model file to write (.json or .json.gz; default <kind>-<arch>.json.gz)");
  cmd->add_option("--data", options->data, "Folder of the Fashion-MNIST IDX files")->capture_default_str();
  return [options, &global] { return run_train(*options, global); };
}

}  // namespace neuroppa::cli
