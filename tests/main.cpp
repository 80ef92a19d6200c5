// doctest runner. `--needs-shared` makes the run report itself skipped
// (exit 77, which ctest shows as "Skipped") when the reference data folder is
// absent, instead of passing without having checked anything.
#define DOCTEST_CONFIG_IMPLEMENT
#include <doctest/doctest.h>

#include <cstdio>
#include <cstring>
#include <filesystem>
#include <vector>

#include "support.hpp"

int main(int argc, char** argv) {
  std::vector<char*> args;
  bool needs_shared = false;
  for (int i = 0; i < argc; ++i) {
    if (std::strcmp(argv[i], "--needs-shared") == 0) needs_shared = true;
    else args.push_back(argv[i]);
  }
  if (needs_shared && !std::filesystem::is_directory(neuroppa::test::shared_dir())) {
    std::printf("SKIPPED: reference data folder %s not found (set NEUROPPA_SHARED_DIR)\n",
                neuroppa::test::shared_dir().c_str());
    return 77;
  }
  doctest::Context context(static_cast<int>(args.size()), args.data());
  return context.run();
}
