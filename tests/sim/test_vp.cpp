// The accelerator module in a virtual platform assembled here, as a SystemC
// user would: its register map (and accesses outside it), the interrupt, a
// malformed job descriptor, a network the hardware was not built for, and
// a good job. One elaboration per process: this binary has it to itself.
#include <doctest/doctest.h>

#include <systemc>
#include <tlm>
#include <tlm_utils/simple_initiator_socket.h>

#include "neuroppa/models/dataset.hpp"
#include "neuroppa/sim/accelerator.hpp"
#include "neuroppa/sim/host.hpp"
#include "neuroppa/sim/network_image.hpp"
#include "neuroppa/sim/system_memory.hpp"
#include "network_fixtures.hpp"
#include "support.hpp"

using namespace neuroppa;

namespace {

struct Probe : sc_core::sc_module {
  tlm_utils::simple_initiator_socket<Probe> regs{"regs"}, mem{"mem"};
  sc_core::sc_in<bool> irq{"irq"};
  std::function<void(Probe&)> script;

  SC_HAS_PROCESS(Probe);
  explicit Probe(const sc_core::sc_module_name& n) : sc_module(n) { SC_THREAD(main); }
  void main() { script(*this); }

  tlm::tlm_response_status access(tlm::tlm_command cmd, std::uint64_t address, std::uint32_t& value) {
    tlm::tlm_generic_payload t;
    t.set_command(cmd);
    t.set_address(address);
    t.set_data_ptr(reinterpret_cast<unsigned char*>(&value));
    t.set_data_length(4);
    t.set_streaming_width(4);
    sc_core::sc_time delay = sc_core::SC_ZERO_TIME;
    regs->b_transport(t, delay);
    wait(delay);
    return t.get_response_status();
  }
  std::uint32_t read(std::uint64_t address) {
    std::uint32_t v = 0;
    REQUIRE(access(tlm::TLM_READ_COMMAND, address, v) == tlm::TLM_OK_RESPONSE);
    return v;
  }
  void write(std::uint64_t address, std::uint32_t v) {
    REQUIRE(access(tlm::TLM_WRITE_COMMAND, address, v) == tlm::TLM_OK_RESPONSE);
  }
  void load(std::uint64_t address, const std::vector<std::uint8_t>& bytes) {
    tlm::tlm_generic_payload t;
    t.set_command(tlm::TLM_WRITE_COMMAND);
    t.set_address(address);
    t.set_data_ptr(const_cast<unsigned char*>(bytes.data()));
    t.set_data_length(unsigned(bytes.size()));
    t.set_streaming_width(unsigned(bytes.size()));
    REQUIRE(mem->transport_dbg(t) == bytes.size());
  }
  std::vector<std::uint8_t> fetch(std::uint64_t address, std::size_t n) {
    std::vector<std::uint8_t> bytes(n);
    tlm::tlm_generic_payload t;
    t.set_command(tlm::TLM_READ_COMMAND);
    t.set_address(address);
    t.set_data_ptr(bytes.data());
    t.set_data_length(unsigned(n));
    t.set_streaming_width(unsigned(n));
    REQUIRE(mem->transport_dbg(t) == n);
    return bytes;
  }
  // Starts the job at `descriptor`, waits for the interrupt, returns the status and acknowledges.
  std::uint32_t run(std::uint64_t descriptor) {
    write(sim::reg::descriptor_lo, std::uint32_t(descriptor));
    write(sim::reg::descriptor_hi, 0);
    write(sim::reg::control, 1);
    // A job that fails at once may be over before the status read: wait only if not.
    if (!irq.read()) wait(irq.posedge_event());
    const std::uint32_t status = read(sim::reg::status);
    write(sim::reg::control, 2);
    wait(sc_core::SC_ZERO_TIME);
    wait(sc_core::SC_ZERO_TIME);
    CHECK_FALSE(irq.read());
    return status;
  }
};

}  // namespace

TEST_CASE("a user-assembled platform: register map, interrupt, malformed jobs and a good one") {
  const models::Network net = test::random_network(neuroppa::models::kind_named("threshold"), "c4k3,p2,d10", 5);
  const models::Network other = test::random_network(neuroppa::models::kind_named("threshold"), "d12,d10", 5);
  sim::DatapathConfig config;
  config.lanes = 4;
  config.K = 8;
  sim::Datapath datapath(net, config, test::model_cache_dir());
  const models::LabelledImages fashion = models::load_fashion_mnist(false);
  constexpr std::size_t kImages = 3;

  sim::SystemMemory memory("memory", 1 << 20, {20e-9, 800e6});
  sim::Accelerator accelerator("accelerator", datapath, sim::MemoryConfig::standard(4, 8, 9, 8, 32), 100e6);
  Probe probe("probe");
  sc_core::sc_signal<bool> irq("irq");
  probe.regs.bind(accelerator.regs);
  probe.mem.bind(memory.socket);
  accelerator.dma.bind(memory.socket);
  accelerator.irq(irq);
  probe.irq(irq);
  sc_core::sc_report_handler::set_actions(sc_core::SC_WARNING, sc_core::SC_DO_NOTHING);

  bool finished = false;
  probe.script = [&](Probe& p) {
    CHECK(p.read(sim::reg::id) == sim::kAcceleratorId);
    std::uint32_t v = 0;
    CHECK(p.access(tlm::TLM_READ_COMMAND, sim::reg::map_bytes, v) == tlm::TLM_ADDRESS_ERROR_RESPONSE);
    CHECK(accelerator.last_access_error() == sim::reg::map_bytes);
    CHECK(p.access(tlm::TLM_READ_COMMAND, 0x6, v) == tlm::TLM_ADDRESS_ERROR_RESPONSE);  // unaligned
    CHECK(p.access(tlm::TLM_WRITE_COMMAND, sim::reg::status, v) == tlm::TLM_COMMAND_ERROR_RESPONSE);
    p.write(sim::reg::irq_enable, 1);

    // Not a descriptor.
    p.load(0, std::vector<std::uint8_t>(64, 0xAB));
    std::uint32_t status = p.run(0);
    CHECK((status & sim::kStatusError) != 0);
    CHECK(sim::JobError((status >> 8) & 0xFF) == sim::JobError::descriptor);
    CHECK(accelerator.error_detail().find("wrong magic") != std::string::npos);
    CHECK(sim::Host::describe_status(status) == "bad job descriptor");

    // A descriptor pointing outside system memory.
    sim::JobDescriptor job{0x10000000, 4096, 0, 1, 784, 0, 64};
    p.load(0, sim::encode_job(job));
    status = p.run(0);
    CHECK(sim::JobError((status >> 8) & 0xFF) == sim::JobError::dma);

    // A network this accelerator was not built for.
    const sim::JobLayout wrong = sim::layout_job(other, 1);
    const std::vector<std::uint8_t> other_bytes = sim::encode_network(other);
    p.load(wrong.network, other_bytes);
    job = {wrong.network, other_bytes.size(), wrong.images, 1, 784, wrong.results, wrong.result_stride};
    p.load(0, sim::encode_job(job));
    status = p.run(0);
    CHECK(sim::JobError((status >> 8) & 0xFF) == sim::JobError::hardware);
    CHECK(accelerator.error_detail().find("layer") != std::string::npos);

    // A good job.
    const sim::JobLayout layout = sim::layout_job(net, kImages);
    const std::vector<std::uint8_t> net_bytes = sim::encode_network(net);
    p.load(layout.network, net_bytes);
    p.load(layout.images, std::vector<std::uint8_t>(fashion.images.image(0), fashion.images.image(kImages)));
    job = {layout.network, net_bytes.size(), layout.images, kImages, 784, layout.results, layout.result_stride};
    p.load(0, sim::encode_job(job));
    const sc_core::sc_time before = sc_core::sc_time_stamp();
    status = p.run(0);
    CHECK(status == sim::kStatusDone);
    CHECK(p.read(sim::reg::images_done) == kImages);
    const std::uint64_t cycles = p.read(sim::reg::cycles_lo) | std::uint64_t{p.read(sim::reg::cycles_hi)} << 32;
    CHECK(cycles >= datapath.stats().total().cycles);  // the job adds descriptor and table reads
    CHECK((sc_core::sc_time_stamp() - before).to_seconds() >= double(cycles) / 100e6);
    for (std::size_t i = 0; i < kImages; ++i)
      CHECK(sim::decode_result(p.fetch(layout.results + i * layout.result_stride, layout.result_stride), net) ==
            models::infer(net, fashion.images.image(i)));
    finished = true;
  };
  sc_core::sc_start();
  CHECK(finished);
  CHECK_FALSE(accelerator.internal_error());
}
