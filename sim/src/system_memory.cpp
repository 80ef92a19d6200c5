#include "neuroppa/sim/system_memory.hpp"

#include <cstring>

namespace neuroppa::sim {

SystemMemory::SystemMemory(const sc_core::sc_module_name& name, std::uint64_t bytes, const SystemMemoryTiming& timing)
    : sc_module(name), socket("socket"), data_(bytes, 0), timing_(timing) {
  socket.register_b_transport(this, &SystemMemory::b_transport);
  socket.register_transport_dbg(this, &SystemMemory::transport_dbg);
}

void SystemMemory::resize(std::uint64_t bytes) {
  data_.assign(bytes, 0);
  busy_until_ = sc_core::SC_ZERO_TIME;  // a fresh memory: no transfer of an earlier run still under way
}

bool SystemMemory::check(tlm::tlm_generic_payload& trans) const {
  const std::uint64_t address = trans.get_address(), length = trans.get_data_length();
  if (trans.get_command() == tlm::TLM_IGNORE_COMMAND) {
    trans.set_response_status(tlm::TLM_COMMAND_ERROR_RESPONSE);
    return false;
  }
  if (address > data_.size() || length > data_.size() - address) {
    trans.set_response_status(tlm::TLM_ADDRESS_ERROR_RESPONSE);
    return false;
  }
  if (trans.get_byte_enable_ptr()) {
    trans.set_response_status(tlm::TLM_BYTE_ENABLE_ERROR_RESPONSE);
    return false;
  }
  if (trans.get_streaming_width() < length) {
    trans.set_response_status(tlm::TLM_BURST_ERROR_RESPONSE);
    return false;
  }
  return true;
}

unsigned SystemMemory::transport_dbg(int, tlm::tlm_generic_payload& trans) {
  if (!check(trans)) return 0;
  std::uint8_t* at = data_.data() + trans.get_address();
  if (trans.is_read()) std::memcpy(trans.get_data_ptr(), at, trans.get_data_length());
  else std::memcpy(at, trans.get_data_ptr(), trans.get_data_length());
  trans.set_response_status(tlm::TLM_OK_RESPONSE);
  return trans.get_data_length();
}

void SystemMemory::b_transport(int id, tlm::tlm_generic_payload& trans, sc_core::sc_time& delay) {
  if (!transport_dbg(id, trans)) return;
  const std::uint64_t length = trans.get_data_length();
  (trans.is_read() ? bytes_read_ : bytes_written_) += length;
  // The transfer starts when the memory is free and the initiator's local time has come.
  const sc_core::sc_time now = sc_core::sc_time_stamp() + delay;
  const sc_core::sc_time begin = now > busy_until_ ? now : busy_until_;
  const sc_core::sc_time transfer =
      timing_.bandwidth > 0 ? sc_core::sc_time(double(length) / timing_.bandwidth, sc_core::SC_SEC) : sc_core::SC_ZERO_TIME;
  busy_until_ = begin + transfer;
  busy_time_ += transfer;
  delay = busy_until_ + sc_core::sc_time(timing_.latency, sc_core::SC_SEC) - sc_core::sc_time_stamp();
}

}  // namespace neuroppa::sim
