// The accelerator as a SystemC module (docs/platform.md has the block
// diagram and the register map):
//  - `regs`, a TLM-2.0 target socket: 32-bit registers (below);
//  - `dma`, a TLM-2.0 initiator socket: reads the job descriptor, the
//    network image (layer table, weights, biases) and the images from system
//    memory and writes each image's result record back (network_image.hpp);
//  - `irq`, high when a job has ended (done or error) and interrupts are on;
//  - inside: the datapath (lane arrays of Verilated kernels, datapath.hpp),
//    the on-chip memories and the controller that times every beat on the
//    platform clock (controller.hpp). The process is loosely timed with
//    temporal decoupling (tlm_utils::tlm_quantumkeeper).
#pragma once

#include <systemc>
#include <tlm>
#include <tlm_utils/simple_initiator_socket.h>
#include <tlm_utils/simple_target_socket.h>
#include <tlm_utils/tlm_quantumkeeper.h>

#include <cstdint>
#include <exception>
#include <functional>
#include <memory>
#include <vector>
#include <string>

#include "neuroppa/sim/datapath.hpp"
#include "neuroppa/sim/memories.hpp"

namespace neuroppa::sim {

// Register map: byte offsets of 32-bit registers.
namespace reg {
inline constexpr std::uint64_t id = 0x00;           // RO: kAcceleratorId
inline constexpr std::uint64_t control = 0x04;      // WO: bit 0 start, bit 1 clear done/error (and irq)
inline constexpr std::uint64_t status = 0x08;       // RO: bit 0 busy, bit 1 done, bit 2 error, bits 15:8 error code
inline constexpr std::uint64_t irq_enable = 0x0C;   // RW: bit 0
inline constexpr std::uint64_t descriptor_lo = 0x10;  // RW: job descriptor address in system memory
inline constexpr std::uint64_t descriptor_hi = 0x14;
inline constexpr std::uint64_t cycles_lo = 0x18;    // RO: platform cycles of the last job
inline constexpr std::uint64_t cycles_hi = 0x1C;
inline constexpr std::uint64_t stalls_lo = 0x20;    // RO: of them, cycles the controller waited for operands
inline constexpr std::uint64_t stalls_hi = 0x24;
inline constexpr std::uint64_t images_done = 0x28;  // RO: images of the last job finished
inline constexpr std::uint64_t map_bytes = 0x2C;
}  // namespace reg

inline constexpr std::uint32_t kAcceleratorId = 0x4E505041u;  // "NPPA"
inline constexpr std::uint32_t kStatusBusy = 1, kStatusDone = 2, kStatusError = 4;

enum class JobError : std::uint8_t {
  none = 0,
  descriptor = 1,   // not a job descriptor, or a field out of range
  dma = 2,          // system memory answered a DMA access with an error
  network = 3,      // the network image is malformed
  hardware = 4,     // the network needs kernels or sizes this accelerator lacks
  memory = 5,       // an on-chip memory is too small for a layer
  image = 6,        // image size differs from the network's input
  internal = 7,     // please report
};
std::string_view to_string(JobError error);

class Accelerator : public sc_core::sc_module {
 public:
  tlm_utils::simple_target_socket<Accelerator> regs;
  tlm_utils::simple_initiator_socket<Accelerator> dma;
  sc_core::sc_out<bool> irq;

  // `datapath` is the lane arrays the accelerator was built with; the
  // network a job loads must have its structure (Datapath::load).
  Accelerator(const sc_core::sc_module_name& name, Datapath& datapath, const MemoryConfig& memory,
              double frequency);

  // Between jobs: another datapath (hardware) or memory configuration.
  void attach(Datapath& datapath, const MemoryConfig& memory, double frequency);

  // Simulation, not hardware: at rtl level, run a job's images on this many
  // independent datapaths in parallel (image_pipeline.hpp); results do not
  // depend on it. Gate level keeps one datapath (its lanes' activity).
  void set_image_threads(unsigned threads) { image_threads_ = std::max(1u, threads); }

  // Simulation hook, not hardware: called after each image of a job.
  void on_image(std::function<void(std::uint64_t done, std::uint64_t total)> fn) { on_image_ = std::move(fn); }
  // Why the last job set the error bit (what a debugger would show).
  const std::string& error_detail() const { return error_detail_; }
  // An exception that is a simulator fault, not the job's: rethrown by the caller after sc_start.
  std::exception_ptr internal_error() const { return internal_error_; }
  const WeightPlan& weight_plan() const { return plan_; }
  sc_core::sc_time period() const { return period_; }
  std::uint64_t last_access_error() const { return bad_access_; }

 private:
  void register_access(tlm::tlm_generic_payload& trans, sc_core::sc_time& delay);
  void controller();
  void run_job();
  // A DMA transfer issued at `at_cycle` of the job; returns the cycle it completes.
  std::uint64_t transfer(tlm::tlm_command command, std::uint64_t address, std::uint8_t* data, std::uint64_t bytes,
                         std::uint64_t at_cycle);
  void peek(std::uint64_t address, std::uint8_t* data, std::uint64_t bytes);  // debug read: no time
  void finish(JobError error, const std::string& detail);

  Datapath* datapath_;
  MemoryConfig memory_;
  sc_core::sc_time period_;
  WeightPlan plan_;
  tlm_utils::tlm_quantumkeeper quantum_;
  sc_core::sc_event start_, irq_changed_;
  sc_core::sc_time job_start_;
  std::uint32_t status_ = 0, irq_enable_ = 0;
  std::uint64_t descriptor_ = 0, cycles_ = 0, stalls_ = 0, bad_access_ = ~0ull;
  std::uint32_t images_done_ = 0;
  std::string error_detail_;
  std::exception_ptr internal_error_;
  std::function<void(std::uint64_t, std::uint64_t)> on_image_;
  void drive_irq();
  void irq_driver();
  std::vector<std::unique_ptr<Datapath>>& replicas_for(Datapath& datapath);

  unsigned image_threads_ = 1;
  Datapath* replicas_of_ = nullptr;
  std::vector<std::unique_ptr<Datapath>> replicas_;
};

}  // namespace neuroppa::sim
