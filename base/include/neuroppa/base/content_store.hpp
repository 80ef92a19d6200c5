// A folder of build products (Verilated models, synthesised netlists) keyed
// by content hash and shared safely by concurrent processes: builders of the
// same key wait on a lock file, and a product is published by renaming its
// finished temporary folder, so a reader never sees half a build.
#pragma once

#include <filesystem>
#include <functional>
#include <string>
#include <string_view>

namespace neuroppa::base {

class ContentStore {
 public:
  explicit ContentStore(std::filesystem::path root) : root_(std::move(root)) {}

  struct BuildContext {
    std::filesystem::path dir;  // empty folder to fill; published as a whole
    std::filesystem::path log;  // where the build writes its tool output; kept after a failure
  };
  struct Entry {
    std::filesystem::path dir;
    bool cached = false;  // true if it existed before this call asked for it
  };

  // The published folder of `kind`/`key`; if there is none, runs `build`
  // under the key's lock and publishes what it wrote. A build that throws
  // leaves nothing behind but its log.
  Entry get_or_build(std::string_view kind, const std::string& key,
                     const std::function<void(const BuildContext&)>& build) const;

  std::filesystem::path path(std::string_view kind, const std::string& key) const {
    return root_ / kind / key;
  }
  const std::filesystem::path& root() const { return root_; }

 private:
  std::filesystem::path root_;
};

}  // namespace neuroppa::base
