#include "neuroppa/tech/static_timing.hpp"

#include <fmt/format.h>
#include <limits>

#include "neuroppa/base/error.hpp"
#include "neuroppa/tech/power.hpp"

namespace neuroppa::tech {

namespace {

constexpr double kNone = -std::numeric_limits<double>::infinity();

// Rise and fall of one net: latest arrival and worst transition.
struct Edges {
  double rise = kNone, fall = kNone;
  double rise_slew = 0, fall_slew = 0;
};

class Analysis {
 public:
  Analysis(const Netlist& n, const Library& library, const std::string& clock, const Parasitics* p)
      : n_(n), p_(p), at_(n.net_count()), loads_(net_loads(n, library, true, false, p)) {
    std::vector<int> roots;
    if (const Netlist::Port* clk = n.find_port(clock))
      for (int net : clk->bits)
        if (net >= 0) roots.push_back(net);
    clock_ = clock_network(n, roots);
  }

  StaticTiming run() {
    for (const auto& port : n_.ports)
      if (!port.output)
        for (int net : port.bits)
          if (net >= 0 && !clock_[net]) at_[net] = {0, 0, 0, 0};
    launch_registers();
    propagate();
    capture();
    return result_;
  }

 private:
  double wire(int net, std::size_t instance, const LibertyPin* pin) const {
    return p_ ? p_->wire_delay(net, static_cast<int>(instance), pin) : 0;
  }

  // Each flop's outputs at its clock-to-output delay after an ideal edge.
  void launch_registers() {
    for (const auto& inst : n_.instances) {
      if (!inst.cell->is_sequential()) continue;
      for (const auto& c : inst.connections) {
        if (c.pin->direction != PinDirection::output || c.net < 0) continue;
        Edges e;
        for (const TimingArc& a : c.pin->timing)
          if (is_clock_arc(a)) {
            e.rise = std::max(e.rise, a.cell_rise.lookup(0, loads_[c.net]));
            e.fall = std::max(e.fall, a.cell_fall.lookup(0, loads_[c.net]));
            e.rise_slew = std::max(e.rise_slew, a.rise_transition.lookup(0, loads_[c.net]));
            e.fall_slew = std::max(e.fall_slew, a.fall_transition.lookup(0, loads_[c.net]));
          }
        at_[c.net] = e;
      }
    }
  }

  // Combinational gates in topological order (Kahn over their input nets).
  void propagate() {
    std::vector<int> pending(n_.instances.size(), 0);
    std::vector<std::vector<std::size_t>> loads(n_.net_count());
    std::vector<bool> driven(n_.net_count(), false);
    std::vector<std::size_t> ready;
    for (std::size_t i = 0; i < n_.instances.size(); ++i) {
      const auto& inst = n_.instances[i];
      if (inst.cell->is_sequential()) continue;
      for (const auto& c : inst.connections)
        if (c.pin->direction == PinDirection::output && c.net >= 0) driven[c.net] = true;
    }
    for (std::size_t i = 0; i < n_.instances.size(); ++i) {
      const auto& inst = n_.instances[i];
      if (inst.cell->is_sequential()) continue;
      for (const auto& c : inst.connections)
        if (is_input(*c.pin) && c.net >= 0 && driven[c.net] && !clock_[c.net]) {
          ++pending[i];
          loads[c.net].push_back(i);
        }
      if (pending[i] == 0) ready.push_back(i);
    }
    std::size_t done = 0, combinational_count = 0;
    for (const auto& inst : n_.instances) combinational_count += !inst.cell->is_sequential();
    while (!ready.empty()) {
      const std::size_t i = ready.back();
      ready.pop_back();
      ++done;
      for (const auto& c : n_.instances[i].connections)
        if (c.pin->direction == PinDirection::output && c.net >= 0) {
          evaluate(i, c);
          for (std::size_t l : loads[c.net])
            if (--pending[l] == 0) ready.push_back(l);
        }
    }
    if (done != combinational_count)
      for (std::size_t i = 0; i < n_.instances.size(); ++i)
        if (pending[i] > 0)
          throw Error(fmt::format("static timing: combinational loop through instance {} ({})",
                                  n_.instances[i].name, n_.instances[i].cell->name));
  }

  void evaluate(std::size_t i, const Netlist::Connection& out) {
    const auto& inst = n_.instances[i];
    if (clock_[out.net]) return;  // clock buffers: the clock is ideal
    Edges e;
    const double load = loads_[out.net];
    for (const auto& in : inst.connections) {
      if (!is_input(*in.pin) || in.net < 0 || at_[in.net].rise == kNone) continue;
      const Edges& a = at_[in.net];
      const double w = wire(in.net, i, in.pin);
      for (const TimingArc& arc : out.pin->timing) {
        if (arc.related_pin != in.pin->name || !is_combinational_arc(arc)) continue;
        const bool positive = arc.timing_sense == "positive_unate", negative = arc.timing_sense == "negative_unate";
        // The input edges that make the output rise, and fall.
        const auto through = [&](bool input_rising, bool output_rising) {
          const double arrival = (input_rising ? a.rise : a.fall) + w;
          const double slew = input_rising ? a.rise_slew : a.fall_slew;
          const Table& delay = output_rising ? arc.cell_rise : arc.cell_fall;
          const Table& transition = output_rising ? arc.rise_transition : arc.fall_transition;
          if (delay.empty()) return;
          double& at = output_rising ? e.rise : e.fall;
          double& out_slew = output_rising ? e.rise_slew : e.fall_slew;
          at = std::max(at, arrival + delay.lookup(slew, load));
          out_slew = std::max(out_slew, transition.lookup(slew, load));
        };
        for (const bool out_rising : {true, false}) {
          if (!negative) through(out_rising, out_rising);
          if (!positive) through(!out_rising, out_rising);
        }
      }
    }
    if (e.rise == kNone && e.fall == kNone) return;
    if (e.rise == kNone) e.rise = e.fall;
    if (e.fall == kNone) e.fall = e.rise;
    at_[out.net] = e;
  }

  void endpoint(double required, const std::string& name) {
    ++result_.endpoints;
    if (required > result_.min_period) {
      result_.min_period = required;
      result_.endpoint = name;
    }
  }

  // Flop data pins (arrival plus setup at the data's transition) and output ports.
  void capture() {
    for (std::size_t i = 0; i < n_.instances.size(); ++i) {
      const auto& inst = n_.instances[i];
      if (!inst.cell->is_sequential()) continue;
      for (const auto& c : inst.connections) {
        if (!is_input(*c.pin) || c.net < 0 || clock_[c.net] || at_[c.net].rise == kNone) continue;
        const Edges& a = at_[c.net];
        const double w = wire(c.net, i, c.pin);
        for (const TimingArc& arc : c.pin->timing) {
          if (arc.timing_type != "setup_rising" && arc.timing_type != "setup_falling") continue;
          const double rise = a.rise + w + arc.rise_constraint.lookup_constraint(0, a.rise_slew);
          const double fall = a.fall + w + arc.fall_constraint.lookup_constraint(0, a.fall_slew);
          endpoint(std::max(rise, fall), inst.name + "/" + c.pin->name);
        }
      }
    }
    for (const auto& port : n_.ports)
      if (port.output)
        for (std::size_t b = 0; b < port.bits.size(); ++b) {
          const int net = port.bits[b];
          if (net < 0 || at_[net].rise == kNone) continue;
          endpoint(std::max(at_[net].rise, at_[net].fall),
                   port.bits.size() > 1 ? fmt::format("{}[{}]", port.name, b) : port.name);
        }
  }

  const Netlist& n_;
  const Parasitics* p_;
  std::vector<Edges> at_;
  std::vector<double> loads_;
  std::vector<bool> clock_;
  StaticTiming result_;
};

}  // namespace

StaticTiming static_timing(const Netlist& netlist, const Library& library, const std::string& clock,
                           const Parasitics* parasitics) {
  return Analysis(netlist, library, clock, parasitics).run();
}

}  // namespace neuroppa::tech
