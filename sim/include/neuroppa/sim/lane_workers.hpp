// Simulation threads for the lane array. Lanes never talk to each other
// within a layer, so a layer's lanes are split between threads and joined
// at the layer's end: the simulated hardware and its results are the same
// with any number of threads. Waiting threads spin briefly (a layer of a
// spiking network is often tens of microseconds) before they sleep.
#pragma once

#include <atomic>
#include <condition_variable>
#include <exception>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace neuroppa::sim {

class LaneWorkers {
 public:
  explicit LaneWorkers(unsigned threads);
  ~LaneWorkers();
  LaneWorkers(const LaneWorkers&) = delete;
  LaneWorkers& operator=(const LaneWorkers&) = delete;

  unsigned threads() const { return unsigned(helpers_.size()) + 1; }
  // Calls fn(part) for part in [0, threads()), the caller taking part 0,
  // and returns when all are done; rethrows the first exception.
  void run(const std::function<void(unsigned part)>& fn);

 private:
  void helper(unsigned part);

  std::vector<std::thread> helpers_;
  const std::function<void(unsigned)>* job_ = nullptr;
  std::atomic<std::uint64_t> generation_{0};
  std::atomic<unsigned> finished_{0};
  std::atomic<bool> stopping_{false};
  std::mutex mutex_;
  std::condition_variable wake_;
  std::exception_ptr error_;
};

}  // namespace neuroppa::sim
