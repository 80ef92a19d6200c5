// A TLM-2.0 generic payload for a plain transfer: no byte enables, the
// streaming width the length, the response incomplete until a target answers.
#pragma once

#include <tlm>

#include <cstdint>

namespace neuroppa::sim {

inline void prepare_payload(tlm::tlm_generic_payload& trans, tlm::tlm_command command, std::uint64_t address,
                            void* data, std::size_t bytes) {
  trans.set_command(command);
  trans.set_address(address);
  trans.set_data_ptr(static_cast<unsigned char*>(data));
  trans.set_data_length(static_cast<unsigned>(bytes));
  trans.set_streaming_width(static_cast<unsigned>(bytes));
  trans.set_byte_enable_ptr(nullptr);
  trans.set_response_status(tlm::TLM_INCOMPLETE_RESPONSE);
}

}  // namespace neuroppa::sim
