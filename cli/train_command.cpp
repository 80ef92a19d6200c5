// neuroppa train: options of app::train.
#include <fmt/format.h>

#include "commands.hpp"
#include "neuroppa/app/train.hpp"
#include "neuroppa/base/error.hpp"
#include "neuroppa/kernels/catalogue.hpp"
#include "neuroppa/kernels/package.hpp"
#include "options.hpp"
#include "neuroppa/reports/table.hpp"

namespace neuroppa::cli {
namespace {

struct TrainOptions {
  std::string kind = "mac";
  std::string kernel_path;
  std::string optimizer = "adam", lr_schedule = "step", sign_ste = "identity", layer_scale = "learnt";
  std::string format;  // empty: the one-line summary
  app::TrainRequest request;
};

template <typename T>
T parse_name(const std::string& option, const std::string& value, std::optional<T> parsed, const char* choices) {
  if (!parsed) throw Error(fmt::format("{} {}: unknown; choose {}", option, value, choices));
  return *parsed;
}

int run_train(TrainOptions o, const GlobalOptions& global) {
  load_kernel_packages(o.kernel_path, global);
  o.request.train.kind = parse_kind_option(o.kind);
  models::TrainOptions& t = o.request.train;
  t.optimizer = parse_name("--optimizer", o.optimizer, models::parse_optimizer(o.optimizer), "adam or sgd");
  t.lr_schedule = parse_name("--lr-schedule", o.lr_schedule, models::parse_lr_schedule(o.lr_schedule),
                             "step, constant, cosine or warmup");
  const auto learnt = o.layer_scale == "learnt" ? std::optional(true) : o.layer_scale == "fixed" ? std::optional(false)
                                                                                               : std::nullopt;
  t.learn_scale = parse_name("--layer-scale", o.layer_scale, learnt, "learnt or fixed");
  t.sign_ste = parse_name("--sign-ste", o.sign_ste, models::parse_sign_ste(o.sign_ste), "identity or approxsign");
  const bool table = !o.format.empty();
  const reports::Format format = table ? reports::parse_format(o.format) : reports::Format::markdown;
  kernels::prepare_kinds(std::vector{o.request.train.kind});
  const app::TrainResult result = app::train(o.request, global.context());
  fmt::print("{}", table ? reports::write(result.table(t), format) : result.summary());
  return 0;
}

}  // namespace

Runner add_train_command(CLI::App& app, const GlobalOptions& global) {
  auto o = std::make_shared<TrainOptions>();
  models::TrainOptions& t = o->request.train;
  CLI::App* cmd = app.add_subcommand("train", "Train a network on Fashion-MNIST and write a model file");
  cmd->add_option("--kind", o->kind,
                  "Neuron kind of the compute layers: " + kernels::kind_names() +
                      ", or a kernel package's name (trained by the trainer its manifest names)")
      ->capture_default_str();
  add_kernel_path_option(*cmd, o->kernel_path);
  cmd->add_option("--arch", t.arch,
                  "Layers, comma-separated: dN dense, cNkM[sS][pP] conv (N channels, MxM, stride S, P zeros padded "
                  "on every side), pN max-pool, aN average-pool (not spiking kinds), f flatten; '@kind' after a layer overrides its kind (e.g. c8k3@mac,p2,d10)")
      ->capture_default_str();
  cmd->add_option("--epochs", t.epochs, "Float training epochs (quantised kinds add half as many)")
      ->check(whole_number("--epochs") & in_range("--epochs", 1, 1000))
      ->capture_default_str();
  cmd->add_option("--seed", t.seed, "Seed of initialisation and shuffling")->check(whole_number("--seed"))->capture_default_str();
  cmd->add_option("--timesteps", t.timesteps, "spike and sigma-delta: timesteps per inference")
      ->check(whole_number("--timesteps") & in_range("--timesteps", 1, 10000))
      ->capture_default_str();
  cmd->add_option("--XW", t.XW,
                  "sigma-delta: B, the bits of its graded spikes (default: the kind's XW, 4); the other kinds' "
                  "activations are 8 bits")
      ->check(whole_number("--XW") & in_range("--XW", 1, 16));
  cmd->add_option("--batch", t.batch, "Images per training step")
      ->check(whole_number("--batch") & in_range("--batch", 1, 60000))
      ->capture_default_str();
  cmd->add_option("--layer-scale", o->layer_scale,
                  "threshold: learnt (each layer's scale learnt in the float phase, fine-tuning at its nearest power "
                  "of two) or fixed (2^-k from the fan-in); addernet always learns it")
      ->capture_default_str();
  retire_option(*cmd, "--learn-scale", "--layer-scale learnt (now the default)", true);
  cmd->add_option("--lr", t.learning_rate, "Learning rate (step size) of the optimiser")
      ->check(in_range("--lr", 1e-9, 10))
      ->capture_default_str();
  cmd->add_option("--optimizer", o->optimizer, "adam, or sgd (plain gradient steps, no momentum)")->capture_default_str();
  cmd->add_option("--lr-schedule", o->lr_schedule,
                  "step (the phase's last epoch at a quarter of --lr), constant, cosine (down to 0 over the phase), "
                  "warmup (linear over the first tenth, then cosine); the quantised phase runs at half")
      ->capture_default_str();
  cmd->add_option("--theta-init", t.theta_init, "threshold: initial thetas uniform in [0, F) (0: all at zero)")
      ->check(in_range("--theta-init", 0, 1))
      ->capture_default_str();
  cmd->add_option("--sign-ste", o->sign_ste,
                  "threshold: the sign's straight-through gradient: identity, or approxsign (scaled by 2 - 2|latent|)")
      ->capture_default_str();
  cmd->add_option("--sharpness", t.sharpness_every,
                  "Every N steps, the loss's sharpness (largest Hessian eigenvalue, on 512 training images) beside "
                  "2/lr; the curves go to <model>.curves.csv and .svg beside the model file")
      ->check(whole_number("--sharpness") & in_range("--sharpness", 1, 1000000));
  cmd->add_option("--format", o->format,
                  "Print a table of the results (md, csv, json, tex) instead of the one-line summary");
  cmd->add_option("--train-images", t.train_images, "Use only the first N training images (0: all 60,000)")
      ->check(whole_number("--train-images") & in_range("--train-images", 0, 60000))
      ->capture_default_str();
  cmd->add_option("--test-images", t.test_images,
                  "Evaluate the accuracies on only the first N test images (0: all 10,000)")
      ->check(whole_number("--test-images") & in_range("--test-images", 0, 10000))
      ->capture_default_str();
  cmd->add_option("-o,--out", o->request.out,
                  "Model file to write (.json or .json.gz; default <kind>-<arch>.json.gz)");
  cmd->add_option("--data", o->request.data, "Folder of the Fashion-MNIST IDX files")->capture_default_str();
  return [o, &global] { return run_train(*o, global); };
}

}  // namespace neuroppa::cli
