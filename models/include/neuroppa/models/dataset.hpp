// Fashion-MNIST (Debian's dataset-fashion-mnist): IDX files, plain or gzip.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace neuroppa::models {

struct ImageSet {
  std::uint32_t count = 0, rows = 0, cols = 0;
  std::vector<std::uint8_t> pixels;  // count x rows x cols, row-major
  const std::uint8_t* image(std::size_t i) const { return pixels.data() + i * rows * cols; }
};

// Throw neuroppa::Error naming the file on a missing, corrupt or truncated
// file, a wrong magic number or a size that disagrees with the header.
ImageSet read_idx_images(const std::filesystem::path& path);
std::vector<std::uint8_t> read_idx_labels(const std::filesystem::path& path);

inline constexpr const char* kFashionMnistDir = "/usr/share/datasets/fashion-mnist";

struct LabelledImages {
  ImageSet images;
  std::vector<std::uint8_t> labels;  // 0..9
};

// The training (60,000) or test (10,000) split; checks that images and
// labels agree in number and that labels are 0..9.
LabelledImages load_fashion_mnist(bool training, const std::filesystem::path& dir = kFashionMnistDir);

}  // namespace neuroppa::models

namespace neuroppa::models {

// Reference test accuracies the dataset's own README publishes (Debian's
// /usr/share/doc/dataset-fashion-mnist/README.md.gz): the MLP 256-128-100
// and the TensorFlow two conv + pooling rows of its benchmark table. Empty
// if the file is missing or the rows are not found.
struct PublishedAccuracy {
  std::string model;
  double accuracy = 0;
};
inline constexpr const char* kFashionMnistReadme = "/usr/share/doc/dataset-fashion-mnist/README.md.gz";
std::vector<PublishedAccuracy> published_accuracies(const std::filesystem::path& readme = kFashionMnistReadme);

}  // namespace neuroppa::models
