#include "neuroppa/sim/image_pipeline.hpp"

namespace neuroppa::sim {

ImagePipeline::ImagePipeline(std::vector<Datapath*> datapaths, const std::uint8_t* images, std::size_t image_bytes,
                             std::size_t count)
    : datapaths_(std::move(datapaths)), images_(images), image_bytes_(image_bytes), count_(count), done_(count),
      ready_(count, 0) {
  if (datapaths_.size() > 1)
    for (std::size_t w = 0; w < datapaths_.size(); ++w) threads_.emplace_back([this, w] { worker(w); });
}

ImagePipeline::~ImagePipeline() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  changed_.notify_all();
  for (auto& t : threads_) t.join();
}

void ImagePipeline::worker(std::size_t w) {
  Datapath& datapath = *datapaths_[w];
  // Workers run at most this many chunks ahead of the controller (memory stays bounded).
  const std::size_t ahead = 4 * datapaths_.size();
  for (;;) {
    std::size_t chunk;
    {
      std::unique_lock lock(mutex_);
      changed_.wait(lock, [&] { return stopping_ || next_chunk_ * kChunk < consumed_ + ahead * kChunk || error_; });
      if (stopping_ || error_ || next_chunk_ * kChunk >= count_) return;
      chunk = next_chunk_++;
    }
    for (std::size_t i = chunk * kChunk; i < std::min(count_, (chunk + 1) * kChunk); ++i) {
      try {
        Image image{datapath.run(images_ + i * image_bytes_), datapath.last_schedule()};
        std::lock_guard lock(mutex_);
        done_[i] = std::move(image);
        ready_[i] = 1;
      } catch (...) {
        std::lock_guard lock(mutex_);
        if (!error_) error_ = std::current_exception();
      }
      changed_.notify_all();
    }
  }
}

ImagePipeline::Image& ImagePipeline::get(std::size_t i) {
  if (i > 0) done_[i - 1] = {};
  if (threads_.empty()) {
    Datapath& datapath = *datapaths_.front();
    done_[i] = {datapath.run(images_ + i * image_bytes_), datapath.last_schedule()};
    return done_[i];
  }
  std::unique_lock lock(mutex_);
  consumed_ = i;
  changed_.notify_all();
  changed_.wait(lock, [&] { return ready_[i] || error_; });
  if (error_) std::rethrow_exception(error_);
  return done_[i];
}

}  // namespace neuroppa::sim
