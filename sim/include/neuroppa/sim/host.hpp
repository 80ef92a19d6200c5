// The host processor of the platform, as a SystemC module: it places a job
// in system memory (descriptor, network image, images), programs the
// accelerator's registers through `registers`, waits for the interrupt and
// reads the results back — what a driver on a real SoC does.
#pragma once

#include <systemc>
#include <tlm>
#include <tlm_utils/simple_initiator_socket.h>

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "neuroppa/models/dataset.hpp"
#include "neuroppa/models/network.hpp"

namespace neuroppa::sim {

// Where a job's pieces sit in system memory.
struct JobLayout {
  std::uint64_t descriptor = 0, network = 0, images = 0, results = 0, end = 0;
  std::uint32_t result_stride = 0;
};
JobLayout layout_job(const models::Network& network, std::size_t images, std::uint64_t base = 0);

class Host : public sc_core::sc_module {
 public:
  tlm_utils::simple_initiator_socket<Host> memory;     // to system memory (loads: debug transport)
  tlm_utils::simple_initiator_socket<Host> registers;  // to the accelerator's register map
  sc_core::sc_in<bool> irq;

  explicit Host(const sc_core::sc_module_name& name);

  // The job run at the next sc_start(): images [0, count) of `images`.
  void submit(const models::Network& network, const models::ImageSet& images, std::size_t count);

  struct Outcome {
    std::vector<models::Inference> results;
    std::uint64_t cycles = 0, stalls = 0;
    sc_core::sc_time started, ended;  // from programming the registers to the interrupt
    std::string error;                // the status register's error, with the accelerator's detail
  };
  const Outcome& outcome() const { return outcome_; }
  bool done() const { return done_; }

  // Error text for a status register value (bits 15:8).
  static std::string describe_status(std::uint32_t status);
  // Set by whoever assembles the platform: detail the host prints beside an error code.
  void set_error_detail_source(std::function<std::string()> fn) { detail_ = std::move(fn); }

 private:
  void main();
  std::uint32_t read_register(std::uint64_t address, sc_core::sc_time& delay);
  void write_register(std::uint64_t address, std::uint32_t value, sc_core::sc_time& delay);
  void load(std::uint64_t address, const std::uint8_t* data, std::size_t bytes);
  void fetch(std::uint64_t address, std::uint8_t* data, std::size_t bytes);

  const models::Network* network_ = nullptr;
  const models::ImageSet* images_ = nullptr;
  std::size_t count_ = 0;
  sc_core::sc_event submitted_;
  Outcome outcome_;
  bool done_ = false, pending_ = false;
  std::function<std::string()> detail_;
};

}  // namespace neuroppa::sim
