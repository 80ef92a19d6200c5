#include "neuroppa/tech/activity.hpp"

#include <bit>

#include "neuroppa/tech/gate_model.hpp"

namespace neuroppa::tech {

ToggleCounter::ToggleCounter(const ModelInstance& instance, const Netlist& netlist, const std::string& clock)
    : net_of_bit_(exposed_nets(netlist, clock)), net_count_(netlist.net_count()) {
  for (std::size_t w = 0; w * 32 < net_of_bit_.size(); ++w) ports_.push_back(instance.port(nets_port_name(static_cast<int>(w))));
  last_.assign(ports_.size(), 0);
  if (const Netlist::Port* clk = netlist.find_port(clock))
    for (int net : clk->bits)
      if (net >= 0) clock_nets_.push_back(net);
  restart();
}

void ToggleCounter::restart() {
  started_ = false;
  cycle_ = 0;
  toggles_.resize(ports_.size());
  high_.resize(ports_.size());
}

void ToggleCounter::start() {
  for (std::size_t w = 0; w < ports_.size(); ++w) last_[w] = static_cast<std::uint32_t>(ports_[w].get());
  started_ = true;
}

Activity ToggleCounter::activity() {
  toggles_.flush();
  high_.flush();
  Activity a;
  a.cycles = cycle_;
  a.toggles.assign(net_count_, 0);
  a.high_cycles.assign(net_count_, 0);
  a.clock_nets = clock_nets_;
  for (std::size_t bit = 0; bit < net_of_bit_.size(); ++bit) {
    a.toggles[net_of_bit_[bit]] = toggles_.total(bit);
    a.high_cycles[net_of_bit_[bit]] = high_.total(bit);
  }
  for (int net : clock_nets_) {
    a.toggles[net] = 2 * cycle_;
    a.high_cycles[net] = cycle_ / 2;  // high half of every period
  }
  return a;
}

void BitSlicedCounter::resize(std::size_t words) {
  planes_.assign(words * kPlanes, 0);
  totals_.assign(words * 32, 0);
  rounds_ = 0;
}

void BitSlicedCounter::flush() {
  const std::size_t words = planes_.size() / kPlanes;
  for (std::size_t w = 0; w < words; ++w) {
    std::uint32_t* plane = &planes_[w * kPlanes];
    for (int k = 0; k < kPlanes; ++k) {
      for (std::uint32_t bits = plane[k]; bits; bits &= bits - 1)
        totals_[w * 32 + static_cast<std::size_t>(std::countr_zero(bits))] += std::uint64_t{1} << k;
      plane[k] = 0;
    }
  }
  rounds_ = 0;
}

}  // namespace neuroppa::tech
