#include "neuroppa/sim/accelerator.hpp"

#include <cmath>
#include <fmt/format.h>

#include "neuroppa/base/error.hpp"
#include "neuroppa/sim/controller.hpp"
#include "neuroppa/sim/image_pipeline.hpp"
#include "neuroppa/sim/network_image.hpp"
#include "neuroppa/sim/tlm_payload.hpp"

#include <algorithm>
#include <cstring>
#include <sys/resource.h>

namespace neuroppa::sim {
namespace {

// A job-level failure: the error code the status register shows and why.
struct JobFailure {
  JobError error;
  std::string detail;
};

// The controller creates the lanes' Verilated models and evaluates its own
// share of them on its SystemC thread's stack. Verilated frames grow with the
// kernel's width (mac at K=900 had a 400 KB frame), past SystemC's default
// thread stack (320 KB), which was a segmentation fault at K >= 900. The
// controller gets the stack every other Verilated evaluation in neuroppa has,
// the main thread's and the worker threads' (RLIMIT_STACK, at least 8 MB):
// SystemC allocates it with new[], so pages never touched cost nothing.
std::size_t verilated_stack_bytes() {
  constexpr std::size_t kMinimum = std::size_t{8} << 20, kMaximum = std::size_t{1} << 30;
  rlimit limit{};
  if (::getrlimit(RLIMIT_STACK, &limit) != 0 || limit.rlim_cur == RLIM_INFINITY) return kMinimum;
  return std::clamp<std::size_t>(limit.rlim_cur, kMinimum, kMaximum);
}

}  // namespace

std::string_view to_string(JobError error) {
  switch (error) {
    case JobError::none: return "none";
    case JobError::descriptor: return "bad job descriptor";
    case JobError::dma: return "DMA access error";
    case JobError::network: return "malformed network image";
    case JobError::hardware: return "network does not fit the accelerator";
    case JobError::memory: return "on-chip memory too small";
    case JobError::image: return "image size differs from the network's input";
    case JobError::internal: return "internal error";
  }
  return "unknown";
}

Accelerator::Accelerator(const sc_core::sc_module_name& name, Datapath& datapath, const MemoryConfig& memory,
                         double frequency)
    : sc_module(name), regs("regs"), dma("dma"), irq("irq") {
  regs.register_b_transport(this, &Accelerator::register_access);
  attach(datapath, memory, frequency);
  SC_HAS_PROCESS(Accelerator);
  SC_THREAD(controller);
  set_stack_size(verilated_stack_bytes());
  SC_METHOD(irq_driver);
  sensitive << irq_changed_;
  dont_initialize();
}

void Accelerator::attach(Datapath& datapath, const MemoryConfig& memory, double frequency) {
  if (status_ & kStatusBusy) throw std::logic_error("Accelerator::attach during a job");
  datapath_ = &datapath;
  // Another datapath may live where the last one did (a loop's local): its
  // image workers are built again from it, never reused by address.
  replicas_.clear();
  replicas_of_ = nullptr;
  memory_ = memory;
  period_ = sc_core::sc_time(1.0 / frequency, sc_core::SC_SEC);
  if (period_ == sc_core::SC_ZERO_TIME) throw Error(fmt::format("a {} Hz clock is faster than SystemC's time resolution", frequency));
}

// Register writes come from the host's process and job ends from the
// controller's: one method drives the signal, so it has a single driver.
void Accelerator::drive_irq() { irq_changed_.notify(sc_core::SC_ZERO_TIME); }

void Accelerator::irq_driver() { irq.write((irq_enable_ & 1) && (status_ & (kStatusDone | kStatusError))); }

void Accelerator::register_access(tlm::tlm_generic_payload& trans, sc_core::sc_time& delay) {
  const std::uint64_t address = trans.get_address();
  if (trans.get_data_length() != 4 || address % 4 || address >= reg::map_bytes || trans.get_byte_enable_ptr()) {
    bad_access_ = address;
    trans.set_response_status(tlm::TLM_ADDRESS_ERROR_RESPONSE);
    SC_REPORT_WARNING(name(), fmt::format("{} of {} bytes at 0x{:x}: outside the register map (32-bit registers "
                                          "at 0x00..0x{:x})",
                                          trans.is_read() ? "read" : "write", trans.get_data_length(), address,
                                          reg::map_bytes - 4)
                                  .c_str());
    return;
  }
  delay += period_;  // one register access a cycle
  std::uint32_t value = 0;
  std::memcpy(&value, trans.get_data_ptr(), 4);
  const auto lo = [](std::uint64_t v) { return static_cast<std::uint32_t>(v); };
  const auto hi = [](std::uint64_t v) { return static_cast<std::uint32_t>(v >> 32); };
  if (trans.is_read()) {
    switch (address) {
      case reg::id: value = kAcceleratorId; break;
      case reg::status: value = status_; break;
      case reg::irq_enable: value = irq_enable_; break;
      case reg::descriptor_lo: value = lo(descriptor_); break;
      case reg::descriptor_hi: value = hi(descriptor_); break;
      case reg::cycles_lo: value = lo(cycles_); break;
      case reg::cycles_hi: value = hi(cycles_); break;
      case reg::stalls_lo: value = lo(stalls_); break;
      case reg::stalls_hi: value = hi(stalls_); break;
      case reg::images_done: value = images_done_; break;
      default: value = 0; break;  // control is write-only
    }
    std::memcpy(trans.get_data_ptr(), &value, 4);
  } else {
    switch (address) {
      case reg::control:
        if (value & 2) status_ &= ~(kStatusDone | kStatusError | 0xFF00u);
        if ((value & 1) && !(status_ & kStatusBusy)) {
          status_ = kStatusBusy;
          start_.notify(delay);
        }
        break;
      case reg::irq_enable: irq_enable_ = value & 1; break;
      case reg::descriptor_lo: descriptor_ = (descriptor_ & ~0xFFFFFFFFull) | value; break;
      case reg::descriptor_hi: descriptor_ = (descriptor_ & 0xFFFFFFFFull) | std::uint64_t{value} << 32; break;
      default:
        bad_access_ = address;
        trans.set_response_status(tlm::TLM_COMMAND_ERROR_RESPONSE);
        SC_REPORT_WARNING(name(), fmt::format("write to read-only register 0x{:x}", address).c_str());
        return;
    }
    drive_irq();
  }
  trans.set_response_status(tlm::TLM_OK_RESPONSE);
}

void Accelerator::controller() {
  for (;;) {
    wait(start_);
    error_detail_.clear();
    internal_error_ = nullptr;
    try {
      run_job();
      finish(JobError::none, "");
    } catch (const JobFailure& f) {
      finish(f.error, f.detail);
    } catch (...) {
      internal_error_ = std::current_exception();
      finish(JobError::internal, "a simulator fault (see the exception rethrown after the run)");
    }
  }
}

void Accelerator::finish(JobError error, const std::string& detail) {
  quantum_.sync();
  status_ = error == JobError::none ? kStatusDone : kStatusDone | kStatusError | std::uint32_t(error) << 8;
  error_detail_ = detail;
  drive_irq();
}

std::uint64_t Accelerator::transfer(tlm::tlm_command command, std::uint64_t address, std::uint8_t* data,
                                    std::uint64_t bytes, std::uint64_t at_cycle) {
  if (bytes > 0xFFFFFFFFull) throw JobFailure{JobError::dma, fmt::format("a transfer of {} bytes", bytes)};
  tlm::tlm_generic_payload trans;
  prepare_payload(trans, command, address, data, bytes);
  const sc_core::sc_time issue = job_start_ + period_ * double(at_cycle);
  sc_core::sc_time delay = issue > sc_core::sc_time_stamp() ? issue - sc_core::sc_time_stamp() : sc_core::SC_ZERO_TIME;
  dma->b_transport(trans, delay);
  if (trans.is_response_error())
    throw JobFailure{JobError::dma, fmt::format("{} of {} bytes at 0x{:x}: {}", command == tlm::TLM_READ_COMMAND ? "read" : "write",
                                                bytes, address, trans.get_response_string())};
  const double cycles = ((sc_core::sc_time_stamp() + delay) - job_start_) / period_;
  return static_cast<std::uint64_t>(std::ceil(cycles - 1e-9));
}

void Accelerator::peek(std::uint64_t address, std::uint8_t* data, std::uint64_t bytes) {
  tlm::tlm_generic_payload trans;
  prepare_payload(trans, tlm::TLM_READ_COMMAND, address, data, bytes);
  if (dma->transport_dbg(trans) != bytes)
    throw JobFailure{JobError::dma, fmt::format("read of {} bytes at 0x{:x}: outside system memory", bytes, address)};
}

std::vector<std::unique_ptr<Datapath>>& Accelerator::replicas_for(Datapath& datapath) {
  const unsigned wanted = datapath.config().level != Level::gate && image_threads_ > 1 ? image_threads_ : 0;
  if (replicas_of_ != &datapath || replicas_.size() != wanted) {
    replicas_.clear();
    DatapathConfig config = datapath.config();
    config.threads = 1;
    for (unsigned r = 0; r < wanted; ++r)
      replicas_.push_back(std::make_unique<Datapath>(datapath.network(), config, datapath.cache_dir()));
    replicas_of_ = &datapath;
  }
  return replicas_;
}

void Accelerator::run_job() {
  Datapath& datapath = *datapath_;
  quantum_.reset();
  job_start_ = sc_core::sc_time_stamp();
  cycles_ = stalls_ = 0;
  images_done_ = 0;
  const std::uint64_t stalls_before = datapath.stats().total().stall_cycles;

  std::vector<std::uint8_t> bytes(kJobDescriptorBytes);
  std::uint64_t t = transfer(tlm::TLM_READ_COMMAND, descriptor_, bytes.data(), bytes.size(), 0);
  JobDescriptor job;
  try {
    job = decode_job(bytes);
  } catch (const Error& e) {
    throw JobFailure{JobError::descriptor, fmt::format("at 0x{:x}: {}", descriptor_, e.what())};
  }
  if (job.network_bytes > (1ull << 32)) throw JobFailure{JobError::descriptor, fmt::format("network of {} bytes (at most 4 GiB)", job.network_bytes)};
  // The layer table is read timed; the codes and biases reach the lanes'
  // weight registers through the DMA's timed segment fetches below. The
  // simulator takes its copy of the whole image through the debug
  // interface (no time, no traffic) and checks every timed fetch against it.
  bytes.resize(job.network_bytes);
  peek(job.network_address, bytes.data(), bytes.size());
  models::Network network;
  std::vector<LayerRegion> regions;
  try {
    network = decode_network(bytes);
    regions = network_regions(bytes);
  } catch (const Error& e) {
    throw JobFailure{JobError::network, e.what()};
  }
  t = transfer(tlm::TLM_READ_COMMAND, job.network_address, bytes.data(), table_bytes(bytes), t);
  try {
    datapath.load(network);
  } catch (const Error& e) {
    throw JobFailure{JobError::hardware, e.what()};
  }
  try {
    plan_ = plan_memories(datapath.network(), memory_, datapath.config().lanes, datapath.config().K);
  } catch (const Error& e) {
    throw JobFailure{JobError::memory, e.what()};
  }
  if (job.image_bytes != network.input.size())
    throw JobFailure{JobError::image, fmt::format("{} bytes an image; the network's input {} has {}", job.image_bytes,
                                                  network.input.describe(), network.input.size())};
  const std::size_t record = result_bytes(network);
  if (job.result_stride < record)
    throw JobFailure{JobError::descriptor, fmt::format("result stride {} is less than a record's {} bytes", job.result_stride, record)};

  for (const LayerRegion& r : regions)  // biases: once a job, into the output stages' registers
    if (r.bias_bytes) t = transfer(tlm::TLM_READ_COMMAND, job.network_address + r.bias_offset, &bytes[r.bias_offset], r.bias_bytes, t);
  std::vector<std::uint8_t> scratch;
  Controller controller(datapath, memory_, plan_, job.image_count, [&](const WeightSegment& s, std::uint64_t at) {
    scratch.resize(s.bytes);
    const std::uint64_t offset = regions[s.layer].codes_offset + s.offset;
    const std::uint64_t arrival = transfer(tlm::TLM_READ_COMMAND, job.network_address + offset, scratch.data(), s.bytes, at);
    if (!std::equal(scratch.begin(), scratch.end(), bytes.begin() + std::ptrdiff_t(offset)))
      throw JobFailure{JobError::dma, fmt::format("layer {}'s weights at 0x{:x} changed during the job", s.layer + 1,
                                                  job.network_address + offset)};
    return arrival;
  });
  // The simulator's copy of the images (debug interface); the timed DMA
  // reads below bring the same bytes, checked, when the hardware would.
  if (std::uint64_t{job.image_count} * job.image_bytes > (1ull << 34))
    throw JobFailure{JobError::descriptor, fmt::format("{} images of {} bytes", job.image_count, job.image_bytes)};
  std::vector<std::uint8_t> images(std::size_t{job.image_count} * job.image_bytes), staged(job.image_bytes);
  peek(job.images_address, images.data(), images.size());
  const auto fetch_image = [&](std::uint32_t i, std::uint64_t at) {
    const std::uint64_t arrival = transfer(tlm::TLM_READ_COMMAND, job.images_address + std::uint64_t{i} * job.image_bytes,
                                           staged.data(), staged.size(), at);
    if (!std::equal(staged.begin(), staged.end(), images.begin() + std::ptrdiff_t(std::size_t{i} * job.image_bytes)))
      throw JobFailure{JobError::dma, fmt::format("image {} changed during the job", i)};
    return arrival;
  };
  // One datapath runs the images, or (rtl, several threads) its replicas do
  // and it only collects: the controller writes stalls into it meanwhile.
  std::vector<Datapath*> workers;
  for (auto& replica : replicas_for(datapath)) {
    replica->load(network);
    workers.push_back(replica.get());
  }
  if (workers.empty()) workers.push_back(&datapath);
  struct Absorb {  // the replicas' counts join the accelerator's, whatever happens
    Datapath& into;
    std::vector<Datapath*>& from;
    ~Absorb() {
      for (Datapath* w : from)
        if (w != &into) into.absorb_stats(*w);
    }
  } absorb{datapath, workers};
  ImagePipeline pipeline(workers, images.data(), job.image_bytes, job.image_count);
  std::uint64_t image_ready = fetch_image(0, t);
  for (std::uint32_t i = 0; i < job.image_count; ++i) {
    // The next image loads while this one runs.
    const std::uint64_t next_ready = i + 1 < job.image_count ? fetch_image(i + 1, t) : 0;
    const ImagePipeline::Image& done = pipeline.get(i);
    t = controller.time_image(done.schedule, t, image_ready);
    std::vector<std::uint8_t> out = encode_result(done.result, network);
    const std::uint64_t written =
        transfer(tlm::TLM_WRITE_COMMAND, job.results_address + std::uint64_t{i} * job.result_stride, out.data(), out.size(), t);
    if (i + 1 == job.image_count) t = std::max(t, written);  // done when the last result is in memory
    images_done_ = i + 1;
    cycles_ = t;
    stalls_ = datapath.stats().total().stall_cycles - stalls_before;
    quantum_.set(job_start_ + period_ * double(t) - sc_core::sc_time_stamp());
    if (quantum_.need_sync()) quantum_.sync();
    if (on_image_) on_image_(i + 1, job.image_count);
    image_ready = next_ready;
  }
}

}  // namespace neuroppa::sim
