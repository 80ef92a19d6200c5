#include "neuroppa/models/dataset.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "neuroppa/base/error.hpp"
#include "neuroppa/base/file.hpp"

namespace neuroppa::models {
namespace fs = std::filesystem;

namespace {

std::uint32_t big_endian(const std::string& data, std::size_t at) {
  const auto byte = [&](std::size_t i) { return static_cast<std::uint32_t>(static_cast<unsigned char>(data[at + i])); };
  return byte(0) << 24 | byte(1) << 16 | byte(2) << 8 | byte(3);
}

// The IDX header: magic 0x00000800 + dimensions (unsigned bytes), then sizes.
std::vector<std::uint32_t> idx_header(const std::string& data, const fs::path& path, unsigned dims) {
  const std::size_t header = 4 + 4 * dims;
  if (data.size() < 4) throw Error(fmt::format("{}: too short for an IDX file ({} bytes)", path.string(), data.size()));
  const std::uint32_t magic = big_endian(data, 0);
  if (magic != (0x0800u | dims))
    throw Error(fmt::format("{}: not an IDX file of {} dimensions of unsigned bytes (magic {:#010x})", path.string(), dims, magic));
  if (data.size() < header) throw Error(fmt::format("{}: IDX header cut short ({} bytes)", path.string(), data.size()));
  std::vector<std::uint32_t> sizes;
  std::uint64_t total = 1;
  for (unsigned d = 0; d < dims; ++d) {
    sizes.push_back(big_endian(data, 4 + 4 * d));
    total *= sizes.back();
    // Checked at each step: three 32-bit sizes multiplied could wrap around 64 bits.
    if (total > data.size())
      throw Error(fmt::format("{}: header promises more data than the file's {} bytes (sizes {}; truncated?)",
                              path.string(), data.size(), fmt::join(sizes, " x ")));
  }
  if (data.size() != header + total)
    throw Error(fmt::format("{}: header promises {} bytes of data, the file has {} (truncated?)", path.string(), total,
                            data.size() - header));
  return sizes;
}

fs::path split_file(const fs::path& dir, bool training, const char* kind) {
  const fs::path path = dir / fmt::format("{}-{}-idx{}-ubyte.gz", training ? "train" : "t10k", kind,
                                          std::string_view(kind) == "images" ? 3 : 1);
  std::error_code ec;
  if (!fs::exists(path, ec) && !ec)  // a path that cannot be looked at: the reader says why
    throw Error(fmt::format("{}: Fashion-MNIST file missing; install the Debian package dataset-fashion-mnist "
                            "(bash scripts/setup.sh installs it)", path.string()));
  return path;
}

}  // namespace

ImageSet read_idx_images(const fs::path& path) {
  const std::string data = base::read_file(path);
  const auto sizes = idx_header(data, path, 3);
  ImageSet set{sizes[0], sizes[1], sizes[2], {}};
  set.pixels.assign(data.begin() + 16, data.end());
  return set;
}

std::vector<std::uint8_t> read_idx_labels(const fs::path& path) {
  const std::string data = base::read_file(path);
  idx_header(data, path, 1);
  return std::vector<std::uint8_t>(data.begin() + 8, data.end());
}

LabelledImages load_fashion_mnist(bool training, const fs::path& dir) {
  const fs::path images_path = split_file(dir, training, "images"), labels_path = split_file(dir, training, "labels");
  LabelledImages set{read_idx_images(images_path), read_idx_labels(labels_path)};
  if (set.labels.size() != set.images.count)
    throw Error(fmt::format("{} has {} images but {} has {} labels", images_path.string(), set.images.count,
                            labels_path.string(), set.labels.size()));
  for (std::size_t i = 0; i < set.labels.size(); ++i)
    if (set.labels[i] > 9) throw Error(fmt::format("{}: label {} of image {} is not 0..9", labels_path.string(), set.labels[i], i));
  return set;
}

}  // namespace neuroppa::models

namespace neuroppa::models {

std::vector<PublishedAccuracy> published_accuracies(const std::filesystem::path& readme) {
  std::vector<PublishedAccuracy> found;
  std::string text;
  try {
    text = base::read_file(readme);
  } catch (const Error&) {
    return found;
  }
  // Benchmark rows: |model | preprocessing | test accuracy | ... | source | link |
  const auto row = [&](const std::string& model_prefix, const std::string& source, const std::string& label) {
    std::size_t start = 0;
    while ((start = text.find("\n|" + model_prefix, start)) != std::string::npos) {
      const std::size_t end = text.find('\n', start + 1);
      const std::string line = text.substr(start + 1, end - start - 1);
      start = end;
      if (line.find(source) == std::string::npos) continue;
      std::vector<std::string> cells;
      for (std::size_t p = 1, q; (q = line.find('|', p)) != std::string::npos; p = q + 1) cells.push_back(line.substr(p, q - p));
      if (cells.size() < 3) continue;
      try {
        found.push_back({label, std::stod(cells[2])});
      } catch (const std::exception&) {
      }
      return;
    }
  };
  row("MLP 256-128-100", "heitorrapela", "MLP 256-128-100");
  row("2 Conv+pooling", "Tensorflow", "2 conv + pooling (TensorFlow)");
  return found;
}

}  // namespace neuroppa::models
