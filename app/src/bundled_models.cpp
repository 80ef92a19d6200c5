#include "neuroppa/app/bundled_models.hpp"

#include <algorithm>
#include <cstdlib>
#include <fmt/format.h>

#include "neuroppa/base/error.hpp"

namespace neuroppa::app {
namespace fs = std::filesystem;

fs::path bundled_models_dir() {
  if (const char* dir = std::getenv("NEUROPPA_MODELS_DIR"); dir && *dir) return dir;
  return NEUROPPA_BUNDLED_MODELS_DIR;
}

std::vector<std::string> bundled_model_names() {
  std::vector<std::string> names;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(bundled_models_dir(), ec)) {
    const std::string name = entry.path().filename().string();
    if (name.ends_with(".json.gz")) names.push_back(name.substr(0, name.size() - 8));
  }
  std::sort(names.begin(), names.end());
  return names;
}

fs::path resolve_model(const std::string& name) {
  // A path that cannot even be looked at (a folder without search permission
  // on the way) is the user's file too: the reader says why it cannot be read.
  std::error_code ec;
  if (fs::exists(name, ec) || ec) return name;
  const fs::path bundled = bundled_models_dir() / (name + ".json.gz");
  if (name.find('/') == std::string::npos && fs::exists(bundled, ec)) return bundled;
  std::string known;
  for (const auto& n : bundled_model_names()) known += (known.empty() ? "" : ", ") + n;
  throw Error(fmt::format("--model {}: no such file, and no bundled model of that name (bundled: {})", name,
                          known.empty() ? "none found in " + bundled_models_dir().string() : known));
}

}  // namespace neuroppa::app
