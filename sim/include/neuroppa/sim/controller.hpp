// The accelerator's controller in time: it walks the beats the datapath
// issued for an image (Datapath::last_schedule) on the platform clock and
// issues each beat only when its operands are there — the activation beat
// from the activation buffers, every active lane's weights from the weight
// memory (after the DMA brought them from system memory), a spiking neuron's
// potential from the membrane memory — so stalls follow from the memories'
// widths, ports, latencies and the system memory's bandwidth.
//
// The lanes themselves run before this walk, lane by lane (the platform's
// speed depends on it): a stalled cycle is clock-gated and changes no lane
// state, so the lanes' values and toggles are the same whatever the stalls.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <vector>

#include "neuroppa/sim/datapath.hpp"
#include "neuroppa/sim/memories.hpp"

namespace neuroppa::sim {

class Controller {
 public:
  // Fetches a weight segment into the weight memory, the request issued at
  // cycle `at`; returns the cycle its last byte arrives.
  using FetchWeights = std::function<std::uint64_t(const WeightSegment& segment, std::uint64_t at)>;

  // `images`: of the job (streamed weights are not fetched past its last image).
  Controller(Datapath& datapath, const MemoryConfig& memory, WeightPlan plan, std::uint64_t images, FetchWeights fetch);

  // Times an image the datapath ran (its schedule), starting at cycle `start` with
  // its input in the activation buffers at `input_ready`; adds the stall
  // cycles of each layer to the datapath's statistics and returns the cycle
  // the next image may start.
  std::uint64_t time_image(const std::vector<LayerPass>& schedule, std::uint64_t start, std::uint64_t input_ready);

  const WeightPlan& plan() const { return plan_; }

 private:
  // A memory's ports, busy until `free_slot` (in 1/ports of a cycle). A read
  // started in cycle c with latency L has its data in cycle c + L (a
  // synchronous SRAM: L = 1); a write is done the cycle after.
  struct Port {
    OnChipMemory memory;
    std::uint64_t free_slot = 0;
    std::uint64_t access(std::uint64_t at, std::uint64_t bits, bool read);
  };

  std::uint64_t weights_ready(std::size_t layer, unsigned group, std::uint64_t now);
  std::uint64_t compute(const LayerPass& pass, std::uint64_t start);
  std::uint64_t pool(const LayerPass& pass, std::uint64_t start);

  Datapath& datapath_;
  WeightPlan plan_;
  FetchWeights fetch_;
  Port weights_, activations_, membrane_;
  std::uint64_t images_ = 0, job_images_ = 0;
  // Streamed weights: segments are numbered in use order over all images;
  // the two halves of the weight memory hold segment q and q + 1.
  std::uint64_t fetched_ = 0;
  std::map<std::uint64_t, std::uint64_t> arrival_;
  std::uint64_t resident_ready_ = 0;
  bool resident_loaded_ = false;
};

}  // namespace neuroppa::sim
