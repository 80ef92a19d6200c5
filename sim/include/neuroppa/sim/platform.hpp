// The SystemC platform: a Host, system memory (TLM-2.0 target) and the
// Accelerator (register map, DMA, on-chip memories, lane arrays, controller
// on the platform clock), as docs/platform.md draws them. run_platform()
// assembles it once per process and reuses it for every later run (SystemC
// elaborates once per process; a run only attaches its datapath, memories
// and job), so any number of runs may follow one another.
#pragma once

#include <vector>

#include "neuroppa/base/progress.hpp"
#include "neuroppa/models/dataset.hpp"
#include "neuroppa/sim/datapath.hpp"
#include "neuroppa/sim/memories.hpp"

namespace neuroppa::sim {

struct PlatformRun {
  std::vector<models::Inference> results;  // one per image, in order
  std::uint64_t cycles = 0;                // platform cycles of the job (the accelerator's counter)
  std::uint64_t stall_cycles = 0;          // of them, waiting for operands
  double simulated_seconds = 0;            // SystemC time from start to interrupt
  double wall_seconds = 0;
  std::uint64_t system_bytes_read = 0, system_bytes_written = 0;  // timed traffic of the job
  double system_busy_seconds = 0;          // time system memory spent transferring
  WeightPlan weights;                      // how the weights were laid into the weight memory
};

// Runs images [0, count) of `images` through the platform at `frequency`
// with the given memories. The datapath's network goes into system memory
// and the accelerator loads it from there. Throws neuroppa::Error when a
// memory is too small (before simulating) or when the job ends in error.
// `image_threads` > 1 (rtl level): images run on that many independent
// datapaths in parallel (results do not depend on it).
PlatformRun run_platform(Datapath& datapath, const models::ImageSet& images, std::size_t count, double frequency,
                         const MemoryConfig& memory, const CountProgressFn& progress = {},  // images done
                         unsigned image_threads = 1);

}  // namespace neuroppa::sim
