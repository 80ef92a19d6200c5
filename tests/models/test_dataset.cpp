// Fashion-MNIST from Debian's package, and IDX files that are wrong.
#include <doctest/doctest.h>

#include <array>
#include <numeric>

#include "neuroppa/models/dataset.hpp"
#include "neuroppa/base/error.hpp"
#include "support.hpp"

using namespace neuroppa;
using namespace neuroppa::models;

TEST_CASE("Fashion-MNIST: 60,000 + 10,000 labelled 28x28 images") {
  const LabelledImages test = load_fashion_mnist(false);
  CHECK(test.images.count == 10000);
  CHECK(test.images.rows == 28);
  CHECK(test.images.cols == 28);
  CHECK(test.images.pixels.size() == 10000u * 28 * 28);
  CHECK(test.labels[0] == 9);  // the first test image is an ankle boot
  std::array<int, 10> per_class{};
  for (auto l : test.labels) ++per_class[l];
  for (int n : per_class) CHECK(n == 1000);  // the test split is balanced
  const LabelledImages train = load_fashion_mnist(true);
  CHECK(train.images.count == 60000);
  CHECK(train.labels.size() == 60000);
  CHECK(std::accumulate(train.images.pixels.begin(), train.images.pixels.begin() + 784, 0) > 0);
}

TEST_CASE("IDX errors name the file") {
  const auto wrong_magic = test::write_temp_file("magic.idx", std::string("\x00\x00\x08\x01\x00\x00\x00\x01\x05", 9));
  CHECK_THROWS_WITH_AS(read_idx_images(wrong_magic), doctest::Contains("not an IDX file of 3 dimensions"), Error);
  const auto truncated = test::write_temp_file("short.idx", std::string("\x00\x00\x08\x01\x00\x00\x00\x03\x05", 9));
  CHECK_THROWS_WITH_AS(read_idx_labels(truncated), doctest::Contains("header promises 3 bytes of data, the file has 1"),
                       Error);
  // Sizes whose product overflows 64 bits: refused before it can wrap around to the file's size.
  const auto huge = test::write_temp_file(
      "huge.idx", std::string("\x00\x00\x08\x03\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01", 17));
  CHECK_THROWS_WITH_AS(read_idx_images(huge), doctest::Contains("header promises more data than the file's 17 bytes"), Error);
  CHECK_EQ(read_idx_labels(test::write_temp_file("ok.idx", std::string("\x00\x00\x08\x01\x00\x00\x00\x01\x07", 9))).at(0), 7);
  CHECK_THROWS_WITH_AS(load_fashion_mnist(false, "/nonexistent"), doctest::Contains("install the Debian package dataset-fashion-mnist"),
                       Error);
}
