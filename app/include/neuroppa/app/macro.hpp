// Power macro-models in the commands: which streams a kernel's model is
// fitted on (sim/macro_model.hpp), the models a macro-level run prices its
// lanes with, and the validation report of `kernels --macro`.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "neuroppa/app/context.hpp"
#include "neuroppa/models/dataset.hpp"
#include "neuroppa/models/network.hpp"
#include "neuroppa/reports/plot.hpp"
#include "neuroppa/reports/table.hpp"
#include "neuroppa/sim/macro_model.hpp"

namespace neuroppa::app {

// The networks a kernel's macro-model is fitted on: the bundled models with
// layers of its kind whose kernel at params.K is params; if none, `running`
// (the network about to run), if given.
std::vector<models::Network> macro_networks(const models::KernelParams& params, const models::Network* running);

// A provider for sim::DatapathConfig::macro_model: each kernel's model from
// the cache or characterised (training images from `data`), with progress
// and refit notices on the context.
std::function<std::shared_ptr<const sim::MacroModel>(const models::KernelParams&)> macro_model_provider(
    const models::Network& running, const tech::Library& library, const Context& context,
    const std::filesystem::path& data);

// The macro-models of the kernels the bundled models use at K on a library
// (kinds: only these; empty: all), each characterised or cached.
std::vector<std::shared_ptr<const sim::MacroModel>> bundled_macro_models(const tech::Library& library, unsigned K,
                                                                         const std::vector<models::KernelKind>& kinds,
                                                                         const Context& context,
                                                                         const std::filesystem::path& data);

// Per model: the validation error on held-out images (total, per cycle), what
// it was fitted on, and the features carrying most of the energy.
reports::Table macro_validation_table(const std::vector<std::shared_ptr<const sim::MacroModel>>& models);
// The validation errors side by side, one group of bars per kernel.
reports::BarChart macro_error_chart(const std::vector<std::shared_ptr<const sim::MacroModel>>& models);
// One line for a run's summary: the models that priced it and whether each is within the bound.
std::string macro_note(const std::vector<std::shared_ptr<const sim::MacroModel>>& models, const std::string& library);
// The models whose validation error (total energy) exceeds sim::kMacroErrorBound.
std::vector<std::string> macro_models_out_of_bound(const std::vector<std::shared_ptr<const sim::MacroModel>>& models);

}  // namespace neuroppa::app
