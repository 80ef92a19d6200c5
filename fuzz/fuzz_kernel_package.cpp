// Kernel package manifests (kernel.toml: kernel, parameters, widths, rtl,
// golden). The input is the manifest of a package folder that also holds
// the files the seeds name (examples/kernels/adder's synapse module and
// golden model), so that valid manifests reach the width checks and the hash.
#include "fuzz_target.hpp"
#include "neuroppa/kernels/package.hpp"

namespace {

// A package folder of this process, with the example's files beside the
// manifest; removed when the process ends.
class PackageFolder {
 public:
  PackageFolder() : dir_(std::filesystem::temp_directory_path() / ("neuroppa-fuzz-package-" + std::to_string(::getpid()))) {
    namespace fs = std::filesystem;
    fs::create_directories(dir_);
    for (const char* name : {"adder_synapse.sv", "golden.c"})
      fs::copy_file(fs::path(NEUROPPA_FUZZ_DATA) / ".." / ".." / "examples" / "kernels" / "adder" / name, dir_ / name,
                    fs::copy_options::overwrite_existing);
  }
  ~PackageFolder() {
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
  }
  const std::filesystem::path& path() const { return dir_; }

 private:
  std::filesystem::path dir_;
};

const std::filesystem::path& package_folder() {
  static const PackageFolder folder;
  return folder.path();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::filesystem::path& folder = package_folder();
  std::ofstream(folder / "kernel.toml", std::ios::binary).write(reinterpret_cast<const char*>(data), std::streamsize(size));
  return neuroppa::fuzz::expect_clean_error([&] { neuroppa::kernels::read_package(folder); });
}
