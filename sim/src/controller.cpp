#include "neuroppa/sim/controller.hpp"

#include <algorithm>

namespace neuroppa::sim {

std::uint64_t Controller::Port::access(std::uint64_t at, std::uint64_t bits, bool read) {
  // Slots are 1/ports of a cycle: each port serves one access of up to
  // word_bits x banks bits a cycle.
  const std::uint64_t ports = memory.ports, slots = memory.occupancy(bits);
  const std::uint64_t begin = std::max(at * ports, free_slot);
  free_slot = begin + slots;
  const std::uint64_t first = begin / ports;  // the cycle the access starts
  if (slots == 0) return read ? first + memory.read_latency : first;
  const std::uint64_t last = (free_slot - 1) / ports;  // the cycle its last word is read
  return read ? last + memory.read_latency : last + 1;
}

Controller::Controller(Datapath& datapath, const MemoryConfig& memory, WeightPlan plan, std::uint64_t images,
                       FetchWeights fetch)
    : datapath_(datapath), plan_(std::move(plan)), fetch_(std::move(fetch)), weights_{memory.weights},
      activations_{memory.activations}, membrane_{memory.membrane}, job_images_(images) {}

std::uint64_t Controller::weights_ready(std::size_t layer, unsigned group, std::uint64_t now) {
  if (plan_.resident) {
    if (!resident_loaded_) {  // the whole network, once per job
      for (const WeightSegment& s : plan_.segments) {
        resident_ready_ = std::max(resident_ready_, fetch_(s, now));
        datapath_.add_weight_fetch(s.layer, s.bytes);
      }
      resident_loaded_ = true;
    }
    return resident_ready_;
  }
  std::size_t index = plan_.first_segment[layer];
  while (index + 1 < plan_.segments.size() && plan_.segments[index + 1].layer == layer &&
         plan_.segments[index + 1].first_group <= group)
    ++index;
  const std::uint64_t q = (images_ - 1) * plan_.segments.size() + index;
  // Using segment q frees the half that held q - 1: fetch q + 1 into it.
  while (fetched_ <= q + 1 && fetched_ < job_images_ * plan_.segments.size()) {
    const WeightSegment& s = plan_.segments[fetched_ % plan_.segments.size()];
    arrival_[fetched_] = fetch_(s, now);
    datapath_.add_weight_fetch(s.layer, s.bytes);
    ++fetched_;
  }
  while (!arrival_.empty() && arrival_.begin()->first + 1 < q) arrival_.erase(arrival_.begin());
  return arrival_.at(q);
}

std::uint64_t Controller::compute(const LayerPass& pass, std::uint64_t start) {
  const models::Network& net = datapath_.network();
  const models::Layer& layer = net.layers[pass.layer];
  const unsigned P = datapath_.config().lanes, K = datapath_.config().K;
  // Spiking and sigma-delta layers are event-driven and keep state words per neuron.
  const bool spike = models::backend_of(layer.kind) != models::Backend::output_stage;
  const std::uint64_t act_bits = std::uint64_t{K} * net.activation_bits();
  const std::uint64_t out_bits = net.activation_bits();
  const std::uint64_t state_bits = std::uint64_t{net.state_words(layer)} * net.AW;
  std::uint64_t issued_at = start - 1;  // the cycle of the last beat issued
  std::uint64_t issued = 0;
  std::size_t next = 0;  // into pass.issued_beats
  // A group's write-back is queued after the next group's reads: reads run
  // ahead, writes take the ports' slots behind them.
  struct Pending {
    std::uint64_t at = 0, act_bits = 0, v_bits = 0;
  } pending;
  const auto write_back = [&] {
    if (pending.act_bits) activations_.access(pending.at, pending.act_bits, false);
    if (pending.v_bits) membrane_.access(pending.at, pending.v_bits, false);
    pending = {};
  };
  for (std::size_t pos = 0; pos < pass.issued.size(); ++pos) {
    const unsigned n = pass.issued[pos];
    for (unsigned g = 0; g < pass.groups; ++g) {
      const unsigned group = g + 1 == pass.groups ? pass.last_group_lanes : P;
      // Sigma-delta: only the lanes whose neuron updates work; none, and the group is skipped
      // after its scan, its outputs (zeros) still written back.
      const unsigned lanes = pass.group_lanes.empty() ? group : pass.group_lanes[pos * pass.groups + g];
      if (lanes == 0) {
        for (unsigned b = 0; b < pass.beats; ++b) activations_.access(start, act_bits, true);
        write_back();
        pending = {issued_at + 1, group * out_bits, 0};
        continue;
      }
      const std::uint64_t w_ready = weights_ready(pass.layer, g, issued_at + 1);
      const std::uint64_t v_ready = spike ? membrane_.access(start, std::uint64_t{lanes} * state_bits, true) : 0;
      unsigned read = 0;  // activation beats read for this group so far
      for (unsigned j = 0; j < n; ++j) {
        // A spiking layer reads every beat to find those with a spike.
        const unsigned needed = spike ? pass.issued_beats[next + j] + 1 : j + 1;
        std::uint64_t x_ready = 0;
        for (; read < needed; ++read) x_ready = activations_.access(start, act_bits, true);
        const std::uint64_t w = weights_.access(w_ready, std::uint64_t{lanes} * K * layer.code_bits, true);
        std::uint64_t at = std::max({issued_at + 1, x_ready, w, w_ready});
        if (j + 1 == n) at = std::max(at, v_ready);
        issued_at = at;
      }
      if (spike)
        for (; read < pass.beats; ++read) activations_.access(start, act_bits, true);
      write_back();  // the previous group's outputs, once this group's reads are queued
      issued += n;
      pending = {issued_at + 1, group * out_bits, std::uint64_t{lanes} * state_bits};
    }
    next += n;
  }
  write_back();
  const std::uint64_t end = issued_at + 2;  // the drain cycle follows the last beat
  datapath_.add_stalls(pass.layer, end - start - (issued + 1));
  return end;
}

std::uint64_t Controller::pool(const LayerPass& pass, std::uint64_t start) {
  const models::Network& net = datapath_.network();
  const std::uint64_t bits = net.activation_bits();
  std::uint64_t ready = activations_.access(start, pass.pool_reads * bits, true);
  ready = std::max(ready, activations_.access(ready, pass.pool_outputs * bits, false));
  // A sigma-delta pool reads and writes its state: each input's sum, each output's maximum.
  if (const std::uint64_t words = pass.pool_state_words) {
    ready = std::max(ready, membrane_.access(start, words * net.AW, true));
    ready = std::max(ready, membrane_.access(ready, words * net.AW, false));
  }
  const std::uint64_t end = std::max(start + pass.pool_outputs, ready);
  datapath_.add_stalls(pass.layer, end - start - pass.pool_outputs);
  return end;
}

std::uint64_t Controller::time_image(const std::vector<LayerPass>& schedule, std::uint64_t start,
                                     std::uint64_t input_ready) {
  ++images_;
  std::uint64_t t = start;
  bool first = true;
  for (const LayerPass& pass : schedule) {
    std::uint64_t begin = t;
    if (first) {  // the image must be in the activation buffers
      begin = std::max(t, input_ready);
      datapath_.add_stalls(pass.layer, begin - t);
      first = false;
    }
    t = pass.pool ? pool(pass, begin) : compute(pass, begin);
  }
  return t;
}

}  // namespace neuroppa::sim
