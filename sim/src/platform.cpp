#include "neuroppa/sim/platform.hpp"

#include <systemc>

#include <chrono>
#include <stdexcept>

namespace neuroppa::sim {
namespace {

class PlatformModule : public sc_core::sc_module {
 public:
  SC_HAS_PROCESS(PlatformModule);
  PlatformModule(const sc_core::sc_module_name& name, Accelerator& accelerator, const models::ImageSet& images,
                 std::size_t count, sc_core::sc_time period, const CountProgressFn& progress, PlatformRun& run)
      : sc_module(name), accelerator_(accelerator), images_(images), count_(count), period_(period),
        progress_(progress), run_(run) {
    SC_THREAD(controller);
  }

 private:
  void controller() {
    for (std::size_t i = 0; i < count_; ++i) {
      const std::uint64_t before = accelerator_.stats().total().cycles;
      run_.results.push_back(accelerator_.run(images_.image(i)));
      const std::uint64_t cycles = accelerator_.stats().total().cycles - before;
      run_.cycles += cycles;
      wait(period_ * double(cycles));
      if (progress_) progress_(i + 1, count_);
    }
    // Returning leaves no pending event: sc_start() returns (sc_stop would print a notice).
  }

  Accelerator& accelerator_;
  const models::ImageSet& images_;
  std::size_t count_;
  sc_core::sc_time period_;
  const CountProgressFn& progress_;
  PlatformRun& run_;
};

}  // namespace

PlatformRun run_platform(Accelerator& accelerator, const models::ImageSet& images, std::size_t count,
                         double frequency, const CountProgressFn& progress) {
  static bool elaborated = false;
  if (elaborated) throw std::logic_error("run_platform: SystemC elaborates once per process");
  elaborated = true;
  PlatformRun run;
  run.results.reserve(count);
  const auto started = std::chrono::steady_clock::now();
  // The time resolution must represent a period exactly enough: 1 ps.
  PlatformModule platform("platform", accelerator, images, count, sc_core::sc_time(1.0 / frequency, sc_core::SC_SEC),
                          progress, run);
  sc_core::sc_start();
  run.simulated_seconds = sc_core::sc_time_stamp().to_seconds();
  run.wall_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  return run;
}

}  // namespace neuroppa::sim
