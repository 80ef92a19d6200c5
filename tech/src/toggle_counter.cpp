#include <algorithm>
#include "neuroppa/tech/toggle_counter.hpp"

#include <array>
#include <bit>
#include <utility>

#include "neuroppa/tech/gate_model.hpp"

namespace neuroppa::tech {

ToggleCounter::ToggleCounter(const vmodel::ModelInstance& instance, const Netlist& netlist, const std::string& clock)
    : net_of_bit_(exposed_nets(netlist, clock)), net_count_(netlist.net_count()) {
  for (std::size_t w = 0; w * 32 < net_of_bit_.size(); ++w) {
    ports_.push_back(instance.port(nets_port_name(static_cast<int>(w))));
    word_.push_back(ports_.back().width() == 32 ? static_cast<const std::uint32_t*>(ports_.back().data()) : nullptr);
  }
  last_.assign(ports_.size(), 0);
  banks_.resize(1);
  if (const Netlist::Port* clk = netlist.find_port(clock))
    for (int net : clk->bits)
      if (net >= 0) clock_nets_.push_back(net);
  restart();
}

void ToggleCounter::restart() {
  started_ = false;
  for (Bank& bank : banks_) {
    bank.cycles = 0;
    bank.toggles.resize(ports_.size());
    bank.high.resize(ports_.size());
  }
  bank_ = &banks_[0];
}

void ToggleCounter::use_banks(std::size_t count) {
  banks_.assign(std::max<std::size_t>(count, 1), Bank{});
  const bool started = started_;
  restart();
  started_ = started;  // the reference sample stays valid
}

void ToggleCounter::start() {
  for (std::size_t w = 0; w < ports_.size(); ++w) last_[w] = static_cast<std::uint32_t>(ports_[w].get());
  previous_ = last_;
  started_ = true;
}

Activity ToggleCounter::activity(std::size_t index) {
  Bank& bank = banks_[index];
  bank.toggles.flush();
  bank.high.flush();
  const std::uint64_t cycles = bank.cycles;
  Activity a;
  a.cycles = cycles;
  a.toggles.assign(net_count_, 0);
  a.high_cycles.assign(net_count_, 0);
  a.clock_nets = clock_nets_;
  for (std::size_t bit = 0; bit < net_of_bit_.size(); ++bit) {
    a.toggles[net_of_bit_[bit]] = bank.toggles.total(bit);
    a.high_cycles[net_of_bit_[bit]] = bank.high.total(bit);
  }
  for (int net : clock_nets_) {
    a.toggles[net] = 2 * cycles;
    a.high_cycles[net] = cycles / 2;  // high half of every period
  }
  return a;
}

namespace {

constexpr std::uint64_t spread(unsigned b) {
  std::uint64_t v = 0;
  for (unsigned i = 0; i < 8; ++i) v |= std::uint64_t{(b >> i) & 1u} << (8 * i);
  return v;
}

template <std::size_t... I>
constexpr auto spread_table(std::index_sequence<I...>) {
  return std::array<std::uint64_t, sizeof...(I)>{spread(I)...};
}

constexpr auto kSpreadTable = spread_table(std::make_index_sequence<256>{});

}  // namespace

const std::uint64_t LaneCounter::kSpread[256] = {
#define NP_ROW(i) kSpreadTable[i], kSpreadTable[i + 1], kSpreadTable[i + 2], kSpreadTable[i + 3]
    NP_ROW(0),   NP_ROW(4),   NP_ROW(8),   NP_ROW(12),  NP_ROW(16),  NP_ROW(20),  NP_ROW(24),  NP_ROW(28),
    NP_ROW(32),  NP_ROW(36),  NP_ROW(40),  NP_ROW(44),  NP_ROW(48),  NP_ROW(52),  NP_ROW(56),  NP_ROW(60),
    NP_ROW(64),  NP_ROW(68),  NP_ROW(72),  NP_ROW(76),  NP_ROW(80),  NP_ROW(84),  NP_ROW(88),  NP_ROW(92),
    NP_ROW(96),  NP_ROW(100), NP_ROW(104), NP_ROW(108), NP_ROW(112), NP_ROW(116), NP_ROW(120), NP_ROW(124),
    NP_ROW(128), NP_ROW(132), NP_ROW(136), NP_ROW(140), NP_ROW(144), NP_ROW(148), NP_ROW(152), NP_ROW(156),
    NP_ROW(160), NP_ROW(164), NP_ROW(168), NP_ROW(172), NP_ROW(176), NP_ROW(180), NP_ROW(184), NP_ROW(188),
    NP_ROW(192), NP_ROW(196), NP_ROW(200), NP_ROW(204), NP_ROW(208), NP_ROW(212), NP_ROW(216), NP_ROW(220),
    NP_ROW(224), NP_ROW(228), NP_ROW(232), NP_ROW(236), NP_ROW(240), NP_ROW(244), NP_ROW(248), NP_ROW(252),
#undef NP_ROW
};

void LaneCounter::resize(std::size_t words) {
  lanes_.assign(words * 4, 0);
  totals_.assign(words * 32, 0);
  rounds_ = 0;
}

void LaneCounter::flush() {
  for (std::size_t l = 0; l < lanes_.size(); ++l) {
    for (unsigned byte = 0; byte < 8; ++byte) totals_[l * 8 + byte] += (lanes_[l] >> (8 * byte)) & 0xff;
    lanes_[l] = 0;
  }
  rounds_ = 0;
}

}  // namespace neuroppa::tech
