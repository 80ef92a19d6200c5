#include "neuroppa/sim/host.hpp"

#include <fmt/format.h>

#include "neuroppa/base/error.hpp"
#include "neuroppa/sim/accelerator.hpp"
#include "neuroppa/sim/network_image.hpp"
#include "neuroppa/sim/tlm_payload.hpp"

namespace neuroppa::sim {
namespace {

std::uint64_t align(std::uint64_t v, std::uint64_t to) { return (v + to - 1) / to * to; }

}  // namespace

JobLayout layout_job(const models::Network& network, std::size_t images, std::uint64_t base) {
  JobLayout l;
  l.descriptor = base;
  l.network = align(base + kJobDescriptorBytes, 4096);
  l.images = align(l.network + encode_network(network).size(), 4096);
  l.results = align(l.images + images * network.input.size(), 4096);
  l.result_stride = static_cast<std::uint32_t>(align(result_bytes(network), 8));
  l.end = l.results + images * l.result_stride;
  return l;
}

Host::Host(const sc_core::sc_module_name& name) : sc_module(name), memory("memory"), registers("registers"), irq("irq") {
  SC_HAS_PROCESS(Host);
  SC_THREAD(main);
}

void Host::submit(const models::Network& network, const models::ImageSet& images, std::size_t count) {
  network_ = &network;
  images_ = &images;
  count_ = count;
  done_ = false;
  outcome_ = {};
  // Before the first sc_start the host's process has not run yet: it finds
  // the job pending; later it is waiting for the event.
  pending_ = true;
  submitted_.notify(sc_core::SC_ZERO_TIME);
}

std::string Host::describe_status(std::uint32_t status) {
  if (!(status & kStatusError)) return "";
  return std::string(to_string(static_cast<JobError>((status >> 8) & 0xFF)));
}

void Host::load(std::uint64_t address, const std::uint8_t* data, std::size_t bytes) {
  tlm::tlm_generic_payload trans;
  prepare_payload(trans, tlm::TLM_WRITE_COMMAND, address, const_cast<std::uint8_t*>(data), bytes);
  if (memory->transport_dbg(trans) != bytes)
    throw Error(fmt::format("host: system memory refused {} bytes at 0x{:x} (is it large enough?)", bytes, address));
}

void Host::fetch(std::uint64_t address, std::uint8_t* data, std::size_t bytes) {
  tlm::tlm_generic_payload trans;
  prepare_payload(trans, tlm::TLM_READ_COMMAND, address, data, bytes);
  if (memory->transport_dbg(trans) != bytes)
    throw Error(fmt::format("host: cannot read {} bytes at 0x{:x} from system memory", bytes, address));
}

std::uint32_t Host::read_register(std::uint64_t address, sc_core::sc_time& delay) {
  std::uint32_t value = 0;
  tlm::tlm_generic_payload trans;
  prepare_payload(trans, tlm::TLM_READ_COMMAND, address, &value, 4);
  registers->b_transport(trans, delay);
  if (trans.is_response_error())
    throw Error(fmt::format("host: reading register 0x{:x}: {}", address, trans.get_response_string()));
  return value;
}

void Host::write_register(std::uint64_t address, std::uint32_t value, sc_core::sc_time& delay) {
  tlm::tlm_generic_payload trans;
  prepare_payload(trans, tlm::TLM_WRITE_COMMAND, address, &value, 4);
  registers->b_transport(trans, delay);
  if (trans.is_response_error())
    throw Error(fmt::format("host: writing register 0x{:x}: {}", address, trans.get_response_string()));
}

void Host::main() {
  for (;;) {
    if (!pending_) wait(submitted_);
    pending_ = false;
    const models::Network& net = *network_;
    const JobLayout layout = layout_job(net, count_);
    try {
      JobDescriptor job;
      job.network_address = layout.network;
      const std::vector<std::uint8_t> image_bytes = encode_network(net);
      job.network_bytes = image_bytes.size();
      job.images_address = layout.images;
      job.image_count = static_cast<std::uint32_t>(count_);
      job.image_bytes = static_cast<std::uint32_t>(net.input.size());
      job.results_address = layout.results;
      job.result_stride = layout.result_stride;
      load(layout.descriptor, encode_job(job).data(), kJobDescriptorBytes);
      load(layout.network, image_bytes.data(), image_bytes.size());
      load(layout.images, images_->image(0), count_ * net.input.size());

      sc_core::sc_time delay = sc_core::SC_ZERO_TIME;
      if (read_register(reg::id, delay) != kAcceleratorId) throw Error("host: no neuroppa accelerator at the register map");
      write_register(reg::descriptor_lo, static_cast<std::uint32_t>(layout.descriptor), delay);
      write_register(reg::descriptor_hi, static_cast<std::uint32_t>(layout.descriptor >> 32), delay);
      write_register(reg::irq_enable, 1, delay);
      wait(delay);
      outcome_.started = sc_core::sc_time_stamp();
      delay = sc_core::SC_ZERO_TIME;
      write_register(reg::control, 1, delay);
      wait(delay);
      if (!irq.read()) wait(irq.posedge_event());
      outcome_.ended = sc_core::sc_time_stamp();
      delay = sc_core::SC_ZERO_TIME;
      const std::uint32_t status = read_register(reg::status, delay);
      outcome_.cycles = read_register(reg::cycles_lo, delay) | std::uint64_t{read_register(reg::cycles_hi, delay)} << 32;
      outcome_.stalls = read_register(reg::stalls_lo, delay) | std::uint64_t{read_register(reg::stalls_hi, delay)} << 32;
      const std::uint32_t finished = read_register(reg::images_done, delay);
      write_register(reg::control, 2, delay);  // acknowledge: clears done and the interrupt
      wait(delay);
      if (status & kStatusError) {
        outcome_.error = describe_status(status);
        if (detail_ && !detail_().empty()) outcome_.error += ": " + detail_();
      }
      std::vector<std::uint8_t> record(layout.result_stride);
      for (std::uint32_t i = 0; i < finished; ++i) {
        fetch(layout.results + std::uint64_t{i} * layout.result_stride, record.data(), record.size());
        outcome_.results.push_back(decode_result(record, net));
      }
    } catch (const Error& e) {
      outcome_.error = e.what();
    }
    done_ = true;
  }
}

}  // namespace neuroppa::sim
