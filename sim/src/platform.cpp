#include "neuroppa/sim/platform.hpp"

#include <systemc>
#include <tlm>

#include <chrono>
#include <fmt/format.h>
#include <memory>

#include "neuroppa/base/error.hpp"
#include "neuroppa/sim/accelerator.hpp"
#include "neuroppa/sim/host.hpp"
#include "neuroppa/sim/system_memory.hpp"

#if defined(__SANITIZE_ADDRESS__)
#include <pthread.h>
#include <sanitizer/common_interface_defs.h>
#endif

namespace neuroppa::sim {
namespace {

// Under AddressSanitizer only. Debian's SystemC 2.3.4 announces its
// coroutine switches to ASan, but gives the main coroutine's stack as
// unknown, so after sc_start returns ASan believes this thread's stack ends
// at address 0: it then skips unpoisoning the stack on the next throw and
// reports stale redzones as overflows (the sanitizer suite hit this in every
// test that throws after a platform run). Announcing a "switch" to the
// thread's own stack puts the right bounds back.
void restore_sanitizer_stack_bounds() {
#if defined(__SANITIZE_ADDRESS__)
  pthread_attr_t attr;
  if (pthread_getattr_np(pthread_self(), &attr) != 0) return;
  void* bottom = nullptr;
  std::size_t size = 0;
  pthread_attr_getstack(&attr, &bottom, &size);
  pthread_attr_destroy(&attr);
  void* fake_stack = nullptr;
  __sanitizer_start_switch_fiber(&fake_stack, bottom, size);
  __sanitizer_finish_switch_fiber(fake_stack, nullptr, nullptr);
#endif
}

struct Platform {
  SystemMemory memory;
  Accelerator accelerator;
  Host host;
  sc_core::sc_signal<bool> irq;

  Platform(Datapath& datapath, const MemoryConfig& config, double frequency)
      : memory("memory", 0, config.system), accelerator("accelerator", datapath, config, frequency), host("host"),
        irq("irq") {
    host.memory.bind(memory.socket);
    accelerator.dma.bind(memory.socket);
    host.registers.bind(accelerator.regs);
    accelerator.irq(irq);
    host.irq(irq);
    host.set_error_detail_source([this] { return accelerator.error_detail(); });
  }
};

Platform& platform(Datapath& datapath, const MemoryConfig& config, double frequency) {
  static std::unique_ptr<Platform> instance;
  if (!instance) {
    // Loosely timed: the accelerator synchronises at least every 10 µs of its own time.
    tlm::tlm_global_quantum::instance().set(sc_core::sc_time(10, sc_core::SC_US));
    instance = std::make_unique<Platform>(datapath, config, frequency);
  }
  instance->accelerator.attach(datapath, config, frequency);
  instance->memory.set_timing(config.system);
  return *instance;
}

}  // namespace

PlatformRun run_platform(Datapath& datapath, const models::ImageSet& images, std::size_t count, double frequency,
                         const MemoryConfig& memory, const CountProgressFn& progress, unsigned image_threads) {
  if (count == 0 || count > images.count)
    throw Error(fmt::format("{} images asked of a set of {}", count, images.count));
  const models::Network& net = datapath.network();
  PlatformRun run;
  run.weights = plan_memories(net, memory, datapath.config().lanes, datapath.config().K);  // refuse before simulating
  const auto started = std::chrono::steady_clock::now();
  Platform& p = platform(datapath, memory, frequency);
  p.memory.resize(layout_job(net, count).end);
  const std::uint64_t read_before = p.memory.bytes_read(), written_before = p.memory.bytes_written();
  const sc_core::sc_time busy_before = p.memory.busy_time();
  p.accelerator.set_image_threads(image_threads);
  p.accelerator.on_image([&](std::uint64_t done, std::uint64_t total) {
    if (progress) progress(done, total);
  });
  p.host.submit(net, images, count);
  {
    struct AfterSimulation {  // also when sc_start throws
      ~AfterSimulation() { restore_sanitizer_stack_bounds(); }
    } after;
    sc_core::sc_start();
  }
  p.accelerator.on_image({});
  if (const std::exception_ptr e = p.accelerator.internal_error()) std::rethrow_exception(e);
  if (!p.host.done()) throw std::logic_error("the platform stopped before the host saw its job end");
  const Host::Outcome& outcome = p.host.outcome();
  if (!outcome.error.empty()) throw Error("platform: " + outcome.error);
  run.results = outcome.results;
  run.cycles = outcome.cycles;
  run.stall_cycles = outcome.stalls;
  run.simulated_seconds = (outcome.ended - outcome.started).to_seconds();
  run.system_bytes_read = p.memory.bytes_read() - read_before;
  run.system_bytes_written = p.memory.bytes_written() - written_before;
  run.system_busy_seconds = (p.memory.busy_time() - busy_before).to_seconds();
  run.wall_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  return run;
}

}  // namespace neuroppa::sim
