#include "neuroppa/app/train.hpp"

#include <fmt/format.h>

#include "neuroppa/base/file.hpp"
#include "neuroppa/kernels/package.hpp"

namespace neuroppa::app {

std::string TrainResult::summary() const {
  return fmt::format("wrote {} ({}): float test accuracy {:.4f}, integer test accuracy {:.4f}\n", written.string(),
                     network.name, network.training.float_accuracy, network.training.quantised_accuracy);
}

TrainResult train(const TrainRequest& r, const Context& context) {
  TrainResult out;
  out.written = r.out.empty() ? std::filesystem::path(fmt::format("{}-{}.json.gz", models::to_string(r.train.kind), r.train.arch))
                              : r.out;
  models::parse_arch(r.train.arch);  // option errors before the data are read
  base::check_writable_file(out.written, "--out");  // before the (long) training
  const models::LabelledImages train = models::load_fashion_mnist(true, r.data);
  const models::LabelledImages test = models::load_fashion_mnist(false, r.data);
  context.say(fmt::format("Fashion-MNIST from {}: {} training, {} test images\n", r.data.string(), train.labels.size(),
                          test.labels.size()));
  out.network = models::train_network(r.train, train, test, context.status);
  for (const models::KernelKind kind : out.network.kinds())  // what its package kinds' codes mean
    if (const kernels::Package& p = kernels::package_of(kind); !p.builtin)
      out.network.training.packages.emplace_back(p.name, p.hash);
  models::write_network(out.network, out.written);
  return out;
}

}  // namespace neuroppa::app
