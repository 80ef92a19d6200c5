#include "neuroppa/sim/lane_workers.hpp"

#include <chrono>

namespace neuroppa::sim {

LaneWorkers::LaneWorkers(unsigned threads) {
  for (unsigned part = 1; part < std::max(threads, 1u); ++part) helpers_.emplace_back([this, part] { helper(part); });
}

LaneWorkers::~LaneWorkers() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  for (auto& t : helpers_) t.join();
}

void LaneWorkers::run(const std::function<void(unsigned)>& fn) {
  if (helpers_.empty()) {
    fn(0);
    return;
  }
  {
    std::lock_guard lock(mutex_);
    job_ = &fn;
    error_ = nullptr;
    finished_ = 0;
    generation_.fetch_add(1, std::memory_order_release);
  }
  wake_.notify_all();
  try {
    fn(0);
  } catch (...) {
    std::lock_guard lock(mutex_);
    if (!error_) error_ = std::current_exception();
  }
  while (finished_.load(std::memory_order_acquire) != helpers_.size()) std::this_thread::yield();
  if (error_) std::rethrow_exception(error_);
}

void LaneWorkers::helper(unsigned part) {
  std::uint64_t seen = 0;
  for (;;) {
    // Spin (yielding) for a while: the next layer usually comes soon.
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(2);
    while (generation_.load(std::memory_order_acquire) == seen && !stopping_ &&
           std::chrono::steady_clock::now() < deadline)
      std::this_thread::yield();
    const std::function<void(unsigned)>* job = nullptr;
    {
      std::unique_lock lock(mutex_);
      wake_.wait(lock, [&] { return generation_.load() != seen || stopping_; });
      if (stopping_) return;
      seen = generation_.load();
      job = job_;
    }
    try {
      (*job)(part);
    } catch (...) {
      std::lock_guard lock(mutex_);
      if (!error_) error_ = std::current_exception();
    }
    finished_.fetch_add(1, std::memory_order_acq_rel);
  }
}

}  // namespace neuroppa::sim
