// Images of a job run on independent datapaths (each with its own lanes), one
// worker thread each, in chunks taken in turn; the controller consumes the
// results in image order. No thread waits for another within an image (a
// busy second core slows one worker, not every layer), and every image's
// outputs, counts and schedule are those of a datapath of its own, so
// results do not depend on the number of threads.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <exception>
#include <mutex>
#include <thread>
#include <vector>

#include "neuroppa/sim/datapath.hpp"

namespace neuroppa::sim {

class ImagePipeline {
 public:
  struct Image {
    models::Inference result;
    std::vector<LayerPass> schedule;
  };

  // `images`: count images of image_bytes each, back to back; they must
  // outlive the pipeline. With one datapath, images run when asked for.
  ImagePipeline(std::vector<Datapath*> datapaths, const std::uint8_t* images, std::size_t image_bytes,
                std::size_t count);
  ~ImagePipeline();
  ImagePipeline(const ImagePipeline&) = delete;
  ImagePipeline& operator=(const ImagePipeline&) = delete;

  // Image i, once run (blocks until then); rethrows a worker's exception.
  // Call in image order; the previous image's record is released.
  Image& get(std::size_t i);

 private:
  void worker(std::size_t w);

  static constexpr std::size_t kChunk = 8;  // images a worker takes at once
  std::vector<Datapath*> datapaths_;
  const std::uint8_t* images_;
  std::size_t image_bytes_, count_;
  std::vector<Image> done_;
  std::vector<char> ready_;
  std::size_t next_chunk_ = 0, consumed_ = 0;
  bool stopping_ = false;
  std::exception_ptr error_;
  std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<std::thread> threads_;
};

}  // namespace neuroppa::sim
