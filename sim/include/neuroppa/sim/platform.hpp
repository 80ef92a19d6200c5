// The SystemC platform: the accelerator's controller as a SystemC process
// on the platform clock. For every image it runs the accelerator (lanes
// called directly, see accelerator.hpp) and advances simulated time by the
// cycles the image took, so sc_time_stamp() is the platform's own clock.
#pragma once

#include <functional>
#include <vector>

#include "neuroppa/base/progress.hpp"
#include "neuroppa/models/dataset.hpp"
#include "neuroppa/sim/accelerator.hpp"

namespace neuroppa::sim {

struct PlatformRun {
  std::vector<models::Inference> results;  // one per image, in order
  std::uint64_t cycles = 0;                // platform cycles for all images
  double simulated_seconds = 0;            // SystemC time at the end
  double wall_seconds = 0;
};

// Runs images [0, count) of `images` through the platform at `frequency`.
// SystemC elaborates once per process: call this at most once (a second call
// throws std::logic_error).
PlatformRun run_platform(Accelerator& accelerator, const models::ImageSet& images, std::size_t count,
                         double frequency, const CountProgressFn& progress = {});  // images done

}  // namespace neuroppa::sim
