// neuroppa import: options of app::import_onnx.
#include <fmt/format.h>

#include "commands.hpp"
#include "neuroppa/app/import.hpp"
#include "neuroppa/base/error.hpp"
#include "neuroppa/kernels/catalogue.hpp"
#include "neuroppa/kernels/package.hpp"
#include "options.hpp"

namespace neuroppa::cli {
namespace {

struct ImportOptions {
  std::string kind = "mac";
  std::string kernel_path;
  std::string normalize;  // MEAN,STD
  app::ImportRequest request;
};

// "--input-normalize MEAN,STD": two numbers, STD above 0.
void parse_normalize(const std::string& text, models::InputScaling& scaling) {
  const auto comma = text.find(',');
  const auto bad = [&] {
    return Error(fmt::format("--input-normalize {}: give MEAN,STD (two numbers, STD above 0; e.g. 0.2860,0.3530)", text));
  };
  if (comma == std::string::npos) throw bad();
  try {
    std::size_t used = 0;
    scaling.mean = std::stod(text.substr(0, comma), &used);
    if (used != comma) throw bad();
    const std::string std_text = text.substr(comma + 1);
    scaling.std = std::stod(std_text, &used);
    if (used != std_text.size()) throw bad();
  } catch (const std::logic_error&) {
    throw bad();
  }
  if (!(scaling.std > 0) || !std::isfinite(scaling.mean) || !std::isfinite(scaling.std)) throw bad();
}

int run_import(ImportOptions o, const GlobalOptions& global) {
  load_kernel_packages(o.kernel_path, global);
  o.request.options.kind = parse_kind_option(o.kind);
  if (!o.normalize.empty()) parse_normalize(o.normalize, o.request.scaling);
  kernels::prepare_kinds(std::vector{o.request.options.kind});
  const app::ImportResult result = app::import_onnx(o.request, global.context());
  fmt::print("{}", result.summary());
  return 0;
}

}  // namespace

Runner add_import_command(CLI::App& app, const GlobalOptions& global) {
  auto o = std::make_shared<ImportOptions>();
  app::ImportRequest& r = o->request;
  CLI::App* cmd = app.add_subcommand(
      "import", "Read a float network from an ONNX file, quantise it for a neuron kind and write a model file");
  cmd->add_option("model", r.model, "The ONNX file (opsets 13-17)")->required();
  cmd->add_option("--kind", o->kind,
                  "Neuron kind of its compute layers: " + kernels::kind_names() + ", or a kernel package's name")
      ->capture_default_str();
  add_kernel_path_option(*cmd, o->kernel_path);
  cmd->add_option("-o,--out", r.out, "Model file to write (.json or .json.gz; default <model>-<kind>.json.gz)");
  cmd->add_option("--calibration-images", r.options.calibration_images,
                  "Training images the activations' ranges (and spike thresholds) are calibrated on")
      ->check(whole_number("--calibration-images") & in_range("--calibration-images", 1, 60000))
      ->capture_default_str();
  cmd->add_option("--input-scale", r.scaling.scale,
                  "What the model expects for pixel p: p * F (default 1/255, torchvision's ToTensor)")
      ->check(in_range("--input-scale", 1e-9, 1e9));
  cmd->add_option("--input-normalize", o->normalize,
                  "MEAN,STD: the model expects (p * F - MEAN) / STD (torchvision's Normalize after ToTensor)");
  cmd->add_option("--timesteps", r.options.timesteps, "spike and sigma-delta: timesteps per inference")
      ->check(whole_number("--timesteps") & in_range("--timesteps", 1, 10000))
      ->capture_default_str();
  cmd->add_option("--XW", r.options.XW, "sigma-delta: B, the bits of its graded spikes (default: the kind's, 4)")
      ->check(whole_number("--XW") & in_range("--XW", 1, 16));
  cmd->add_option("--test-images", r.options.test_images,
                  "Evaluate the accuracies on only the first N test images (0: all 10,000)")
      ->check(whole_number("--test-images") & in_range("--test-images", 0, 10000))
      ->capture_default_str();
  cmd->add_option("--data", r.data, "Folder of the Fashion-MNIST IDX files")->capture_default_str();
  return [o, &global] { return run_import(*o, global); };
}

}  // namespace neuroppa::cli
