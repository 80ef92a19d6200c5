// A user's virtual platform: its own system memory and its own host (a
// driver, as firmware would have it) around the neuroppa accelerator module.
// Runs a bundled model (default mac-mlp) on the first N Fashion-MNIST test
// images (default 100) and prints the accuracy and the accelerator's cycles.
#include <systemc>
#include <tlm>
#include <tlm_utils/simple_initiator_socket.h>
#include <tlm_utils/simple_target_socket.h>

#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "neuroppa/models/dataset.hpp"
#include "neuroppa/sim/accelerator.hpp"
#include "neuroppa/sim/host.hpp"
#include "neuroppa/sim/network_image.hpp"
#include "neuroppa/vmodel/model_build.hpp"

using namespace sc_core;
namespace np = neuroppa;

// 16 MiB of DRAM: 60 ns an access, 8 bytes a 10 ns beat.
// Two ports: one for the CPU, one for the accelerator's DMA.
struct Dram : sc_module {
  tlm_utils::simple_target_socket<Dram> cpu_port{"cpu_port"}, dma_port{"dma_port"};
  std::vector<unsigned char> bytes = std::vector<unsigned char>(16 << 20);

  explicit Dram(const sc_module_name& name) : sc_module(name) {
    for (auto* port : {&cpu_port, &dma_port}) {
      port->register_b_transport(this, &Dram::b_transport);
      port->register_transport_dbg(this, &Dram::debug);
    }
  }
  unsigned debug(tlm::tlm_generic_payload& t) {
    if (t.get_address() + t.get_data_length() > bytes.size()) {
      t.set_response_status(tlm::TLM_ADDRESS_ERROR_RESPONSE);
      return 0;
    }
    unsigned char* at = bytes.data() + t.get_address();
    if (t.is_read()) std::memcpy(t.get_data_ptr(), at, t.get_data_length());
    else std::memcpy(at, t.get_data_ptr(), t.get_data_length());
    t.set_response_status(tlm::TLM_OK_RESPONSE);
    return t.get_data_length();
  }
  void b_transport(tlm::tlm_generic_payload& t, sc_time& delay) {
    if (debug(t)) delay += sc_time(60, SC_NS) + sc_time(10.0 * ((t.get_data_length() + 7) / 8), SC_NS);
  }
};

// The driver: place the job, program the accelerator, sleep until its interrupt.
struct Cpu : sc_module {
  tlm_utils::simple_initiator_socket<Cpu> bus{"bus"}, mmio{"mmio"};
  sc_in<bool> irq{"irq"};
  const np::models::Network& network;
  const np::models::LabelledImages& test;
  unsigned count;
  unsigned correct = 0;
  std::uint64_t cycles = 0;
  std::string error;

  SC_HAS_PROCESS(Cpu);
  Cpu(const sc_module_name& name, const np::models::Network& n, const np::models::LabelledImages& t, unsigned c)
      : sc_module(name), network(n), test(t), count(c) {
    SC_THREAD(run);
  }

  void copy(tlm::tlm_command cmd, std::uint64_t address, void* data, std::size_t size) {
    tlm::tlm_generic_payload t;
    t.set_command(cmd);
    t.set_address(address);
    t.set_data_ptr(static_cast<unsigned char*>(data));
    t.set_data_length(unsigned(size));
    t.set_streaming_width(unsigned(size));
    bus->transport_dbg(t);
  }
  std::uint32_t reg(tlm::tlm_command cmd, std::uint64_t address, std::uint32_t value = 0) {
    tlm::tlm_generic_payload t;
    sc_time delay = SC_ZERO_TIME;
    t.set_command(cmd);
    t.set_address(address);
    t.set_data_ptr(reinterpret_cast<unsigned char*>(&value));
    t.set_data_length(4);
    t.set_streaming_width(4);
    mmio->b_transport(t, delay);
    wait(delay);
    if (t.is_response_error()) SC_REPORT_FATAL("cpu", t.get_response_string().c_str());
    return value;
  }

  void run() {
    const np::sim::JobLayout l = np::sim::layout_job(network, count);
    std::vector<std::uint8_t> image = np::sim::encode_network(network);
    copy(tlm::TLM_WRITE_COMMAND, l.network, image.data(), image.size());
    copy(tlm::TLM_WRITE_COMMAND, l.images, const_cast<std::uint8_t*>(test.images.image(0)),
         std::size_t{count} * network.input.size());
    np::sim::JobDescriptor job{l.network, image.size(), l.images, count, std::uint32_t(network.input.size()),
                               l.results, l.result_stride};
    std::vector<std::uint8_t> descriptor = np::sim::encode_job(job);
    copy(tlm::TLM_WRITE_COMMAND, l.descriptor, descriptor.data(), descriptor.size());

    reg(tlm::TLM_WRITE_COMMAND, np::sim::reg::descriptor_lo, std::uint32_t(l.descriptor));
    reg(tlm::TLM_WRITE_COMMAND, np::sim::reg::irq_enable, 1);
    reg(tlm::TLM_WRITE_COMMAND, np::sim::reg::control, 1);
    if (!irq.read()) wait(irq.posedge_event());
    const std::uint32_t status = reg(tlm::TLM_READ_COMMAND, np::sim::reg::status);
    cycles = reg(tlm::TLM_READ_COMMAND, np::sim::reg::cycles_lo) |
             std::uint64_t{reg(tlm::TLM_READ_COMMAND, np::sim::reg::cycles_hi)} << 32;
    reg(tlm::TLM_WRITE_COMMAND, np::sim::reg::control, 2);
    if (status & np::sim::kStatusError) {
      error = np::sim::Host::describe_status(status);
      return;
    }
    std::vector<std::uint8_t> record(l.result_stride);
    for (unsigned i = 0; i < count; ++i) {
      copy(tlm::TLM_READ_COMMAND, l.results + std::uint64_t{i} * l.result_stride, record.data(), record.size());
      correct += np::sim::decode_result(record, network).predicted == test.labels[i];
    }
  }
};

int sc_main(int argc, char** argv) {
  const std::string model = argc > 1 ? argv[1] : "mac-mlp";
  const unsigned images = argc > 2 ? unsigned(std::stoul(argv[2])) : 100;
  try {
    const np::models::Network network = np::models::read_network(std::string(VP_MODELS_DIR) + "/" + model + ".json.gz");
    const np::models::LabelledImages test = np::models::load_fashion_mnist(false);
    np::sim::DatapathConfig lanes;  // 16 RTL lanes of K = 16 per kind
    np::sim::Datapath datapath(network, lanes, np::vmodel::default_cache_dir());

    Dram dram("dram");
    np::sim::Accelerator accelerator("accelerator", datapath,
                                     np::sim::MemoryConfig::standard(16, 16, 9, network.activation_bits(), 32), 100e6);
    Cpu cpu("cpu", network, test, images);
    sc_signal<bool> irq("irq");
    cpu.bus.bind(dram.cpu_port);
    accelerator.dma.bind(dram.dma_port);
    cpu.mmio.bind(accelerator.regs);
    accelerator.irq(irq);
    cpu.irq(irq);

    sc_start();
    if (!cpu.error.empty()) {
      std::fprintf(stderr, "vp: the accelerator reported: %s: %s\n", cpu.error.c_str(),
                   accelerator.error_detail().c_str());
      return 1;
    }
    std::printf("%s on %u images: accuracy %.4f, %llu accelerator cycles (%.1f per image), %s simulated\n",
                model.c_str(), images, double(cpu.correct) / images, (unsigned long long)cpu.cycles,
                double(cpu.cycles) / images, sc_time_stamp().to_string().c_str());
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "vp: %s\n", e.what());
    return 2;
  }
}
