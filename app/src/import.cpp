#include "neuroppa/app/import.hpp"

#include <fmt/format.h>

#include "neuroppa/base/error.hpp"
#include "neuroppa/base/file.hpp"
#include "neuroppa/kernels/package.hpp"

namespace neuroppa::app {

std::string ImportResult::summary() const {
  std::string s = fmt::format("read {} ({}, opset {}): ", imported.name, imported.producer, imported.opset);
  std::string layers;
  for (const models::Layer& l : network.layers) layers += (layers.empty() ? "" : ", ") + l.describe();
  s += layers + "\n";
  for (const std::string& note : imported.notes) s += "  " + note + "\n";
  s += fmt::format("wrote {} ({}): float test accuracy {:.4f}, integer (reference inference) {:.4f}, on the first {} test images\n",
                   written.string(), network.name, network.training.float_accuracy,
                   network.training.quantised_accuracy, network.training.test_images);
  return s;
}

ImportResult import_onnx(const ImportRequest& r, const Context& context) {
  ImportResult out;
  out.written = r.out.empty() ? std::filesystem::path(fmt::format("{}-{}.json.gz", r.model.stem().string(),
                                                                  models::to_string(r.options.kind)))
                              : r.out;
  base::check_writable_file(out.written, "--out");
  out.imported = models::read_onnx(r.model, r.scaling);  // every node checked before the data are read
  const models::LabelledImages train = models::load_fashion_mnist(true, r.data);
  const models::LabelledImages test = models::load_fashion_mnist(false, r.data);
  context.say(fmt::format("Fashion-MNIST from {}: {} training, {} test images\n", r.data.string(), train.labels.size(),
                          test.labels.size()));
  out.network = models::quantise_float_network(out.imported, r.options, train, test, context.status);
  for (const models::KernelKind kind : out.network.kinds())  // what its package kinds' codes mean
    if (const kernels::Package& p = kernels::package_of(kind); !p.builtin)
      out.network.training.packages.emplace_back(p.name, p.hash);
  models::write_network(out.network, out.written);
  return out;
}

}  // namespace neuroppa::app
