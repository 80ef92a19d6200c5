// The trained models bundled in models/bundled/, found by name.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

namespace neuroppa::app {

// NEUROPPA_MODELS_DIR, else the source tree's models/bundled.
std::filesystem::path bundled_models_dir();
// "mac-mlp", ... (file names without .json.gz), sorted.
std::vector<std::string> bundled_model_names();
// A model file path, or the bundled model of that name; throws
// neuroppa::Error listing the bundled names otherwise.
std::filesystem::path resolve_model(const std::string& name);

}  // namespace neuroppa::app
