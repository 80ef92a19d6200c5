// System memory as a TLM-2.0 target: byte-addressed storage behind a
// loosely-timed socket that any number of initiators (host, DMA) bind to.
// An access waits for the memory to finish earlier ones (its bandwidth is
// shared), takes bytes / bandwidth to transfer and `latency` more to answer.
#pragma once

#include <systemc>
#include <tlm>
#include <tlm_utils/multi_passthrough_target_socket.h>

#include <cstdint>
#include <vector>

#include "neuroppa/sim/memories.hpp"

namespace neuroppa::sim {

class SystemMemory : public sc_core::sc_module {
 public:
  tlm_utils::multi_passthrough_target_socket<SystemMemory> socket;

  SystemMemory(const sc_core::sc_module_name& name, std::uint64_t bytes, const SystemMemoryTiming& timing);

  void set_timing(const SystemMemoryTiming& timing) { timing_ = timing; }
  void resize(std::uint64_t bytes);  // contents cleared, no transfer under way
  std::uint64_t size() const { return data_.size(); }

  // Traffic of timed (b_transport) accesses since construction.
  std::uint64_t bytes_read() const { return bytes_read_; }
  std::uint64_t bytes_written() const { return bytes_written_; }
  sc_core::sc_time busy_time() const { return busy_time_; }  // time spent transferring

 private:
  void b_transport(int id, tlm::tlm_generic_payload& trans, sc_core::sc_time& delay);
  unsigned transport_dbg(int id, tlm::tlm_generic_payload& trans);
  bool check(tlm::tlm_generic_payload& trans) const;

  std::vector<std::uint8_t> data_;
  SystemMemoryTiming timing_;
  sc_core::sc_time busy_until_ = sc_core::SC_ZERO_TIME, busy_time_ = sc_core::SC_ZERO_TIME;
  std::uint64_t bytes_read_ = 0, bytes_written_ = 0;
};

}  // namespace neuroppa::sim
