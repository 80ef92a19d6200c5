#include "neuroppa/tech/power.hpp"

#include <fmt/format.h>
#include <functional>

#include "neuroppa/models/error.hpp"
#include "neuroppa/tech/liberty_function.hpp"

namespace neuroppa::tech {

namespace {

double pin_capacitance(const LibertyPin& pin) {
  return pin.capacitance > 0 ? pin.capacitance : std::max(pin.rise_capacitance, pin.fall_capacitance);
}

bool is_input(const LibertyPin& pin) { return pin.direction == PinDirection::input || pin.direction == PinDirection::inout; }

struct Driver {
  const Netlist::Instance* instance = nullptr;
  const LibertyPin* pin = nullptr;
};

// The net connected to a pin of an instance, or kFloating.
int net_of(const Netlist::Instance& inst, std::string_view pin) {
  for (const auto& c : inst.connections)
    if (c.pin->name == pin) return c.net;
  return Netlist::kFloating;
}

// Probability of a `when` condition, its variables independent, each high
// with the duty of its net.
double probability(const BoolExpr& when, const Netlist::Instance& inst, const Activity& activity) {
  const auto vars = when.variables();
  if (vars.size() > 16) return 0.5;
  std::vector<double> p(vars.size(), 0.5);
  for (std::size_t i = 0; i < vars.size(); ++i) {
    const int net = net_of(inst, vars[i]);
    if (!inst.cell->find_pin(vars[i])) p[i] = 0.5;  // an internal state (IQ): not sampled
    else if (net == Netlist::kConst1) p[i] = 1;
    else if (net < 0) p[i] = 0;  // tied low or unconnected
    else p[i] = activity.duty(net);
  }
  double total = 0;
  for (unsigned assignment = 0; assignment < (1u << vars.size()); ++assignment) {
    double weight = 1;
    for (std::size_t i = 0; i < vars.size(); ++i) weight *= (assignment >> i) & 1 ? p[i] : 1 - p[i];
    if (weight == 0) continue;
    const bool holds = when.evaluate([&](std::string_view v) {
      for (std::size_t i = 0; i < vars.size(); ++i)
        if (vars[i] == v) return ((assignment >> i) & 1) != 0;
      return false;
    });
    if (holds) total += weight;
  }
  return total;
}

class PowerEstimator {
 public:
  PowerEstimator(const Netlist& n, const Library& lib, const Activity& a, const PowerOptions& o)
      : n_(n), lib_(lib), a_(a), o_(o) {}

  PowerReport run() {
    if (o_.frequency <= 0) throw Error(fmt::format("clock frequency {} Hz: must be positive", o_.frequency));
    if (static_cast<int>(a_.toggles.size()) != n_.net_count())
      throw Error("the activity does not belong to this netlist (net counts differ)");
    loads_ = net_loads(n_, lib_, o_.wire_load);
    slews_ = net_slews(n_, loads_, o_.input_slew);
    drivers_.assign(n_.net_count(), Driver{});
    for (const auto& inst : n_.instances)
      for (const auto& c : inst.connections)
        if (c.net >= 0 && c.pin->direction == PinDirection::output) drivers_[c.net] = {&inst, c.pin};
    clock_net_.assign(n_.net_count(), false);
    for (int net : a_.clock_nets) clock_net_[net] = true;

    r_.frequency = o_.frequency;
    r_.voltage = lib_.nominal_voltage;
    r_.cycles = a_.cycles;
    const double per_second = a_.cycles ? o_.frequency / double(a_.cycles) : 0;
    for (int net = 0; net < n_.net_count(); ++net) switching(net, per_second);
    for (const auto& inst : n_.instances) cell_power(inst, per_second);
    r_.total = r_.sequential;
    r_.total += r_.combinational;
    r_.total += r_.clock;
    return std::move(r_);
  }

 private:
  PowerParts& group_of(const Netlist::Instance* inst) {
    return inst && inst->cell->is_sequential() ? r_.sequential : r_.combinational;
  }

  void switching(int net, double per_second) {
    const double v = lib_.nominal_voltage;
    const double power = a_.toggles[net] * 0.5 * loads_[net] * v * v * per_second;
    const Driver& d = drivers_[net];
    r_.per_cell[d.instance ? d.instance->cell->name : std::string("(primary inputs)")].switching += power;
    (clock_net_[net] ? r_.clock : group_of(d.instance)).switching += power;
  }

  // Mean energy per transition of a pin's internal_power groups: per group
  // (rise + fall) / 2 at the related pin's slew and the pin's load, groups of
  // one related pin weighted by the probability of their `when`, related
  // pins averaged.
  double energy_per_toggle(const Netlist::Instance& inst, const LibertyPin& pin, int pin_net) {
    std::map<std::string, std::pair<double, double>> by_related;  // weighted energy, weight
    const double load = pin_net >= 0 ? loads_[pin_net] : 0;
    for (const InternalPower& g : pin.internal_power) {
      const int related = g.related_pin.empty() ? pin_net : net_of(inst, g.related_pin);
      const double slew = related >= 0 ? slews_[related] : o_.input_slew;
      const double energy = (g.rise.lookup(slew, load) + g.fall.lookup(slew, load)) / 2;
      double weight = 1;
      if (!g.when.empty())
        weight = probability(parse_liberty_function(g.when, fmt::format("cell {} pin {} when", inst.cell->name, pin.name)),
                             inst, a_);
      auto& [sum, weights] = by_related[g.related_pin];
      sum += weight * energy;
      weights += weight;
    }
    if (by_related.empty()) return 0;
    double total = 0;
    for (const auto& [related, sw] : by_related) total += sw.second > 0 ? sw.first / sw.second : 0;
    return total / by_related.size();
  }

  bool is_clock_pin(const Netlist::Instance& inst, const LibertyPin& pin) const {
    if (pin.clock) return true;
    const auto& s = inst.cell->sequential;
    return s && !s->latch && s->clocked_on.find(pin.name) != std::string::npos;
  }

  void cell_power(const Netlist::Instance& inst, double per_second) {
    PowerParts& cell = r_.per_cell[inst.cell->name];
    PowerParts& group = group_of(&inst);
    for (const auto& c : inst.connections) {
      if (c.net < 0 || c.pin->internal_power.empty()) continue;
      const double power = a_.toggles[c.net] * energy_per_toggle(inst, *c.pin, c.net) * per_second;
      cell.internal += power;
      (is_input(*c.pin) && is_clock_pin(inst, *c.pin) ? r_.clock : group).internal += power;
    }
    const double leak = leakage(inst);
    cell.leakage += leak;
    group.leakage += leak;
  }

  double leakage(const Netlist::Instance& inst) {
    const LibertyCell& cell = *inst.cell;
    double covered = 0, power = 0;
    std::optional<double> unconditional;
    for (const LeakageState& s : cell.leakage_power) {
      if (s.when.empty()) {
        unconditional = s.power;
        continue;
      }
      const double p = probability(parse_liberty_function(s.when, fmt::format("cell {} leakage when", cell.name)), inst, a_);
      covered += p;
      power += p * s.power;
    }
    const double rest = cell.cell_leakage_power ? *cell.cell_leakage_power : unconditional.value_or(0);
    return power + std::max(0.0, 1 - covered) * rest;
  }

  const Netlist& n_;
  const Library& lib_;
  const Activity& a_;
  const PowerOptions& o_;
  std::vector<double> loads_, slews_;
  std::vector<Driver> drivers_;
  std::vector<bool> clock_net_;
  PowerReport r_;
};

}  // namespace

double PowerReport::dynamic_energy_per_cycle() const {
  return frequency > 0 ? (total.internal + total.switching) / frequency : 0;
}

std::vector<double> net_loads(const Netlist& netlist, const Library& library, bool wire_load) {
  std::vector<double> load(netlist.net_count(), 0);
  std::vector<int> fanout(netlist.net_count(), 0);
  for (const auto& inst : netlist.instances)
    for (const auto& c : inst.connections)
      if (c.net >= 0 && is_input(*c.pin)) {
        load[c.net] += pin_capacitance(*c.pin);
        ++fanout[c.net];
      }
  if (const WireLoad* wl = wire_load ? library.default_wire_load_model() : nullptr)
    for (int net = 0; net < netlist.net_count(); ++net) load[net] += wl->capacitance(fanout[net]);
  return load;
}

std::vector<double> net_slews(const Netlist& netlist, const std::vector<double>& loads, double input_slew) {
  const int count = netlist.net_count();
  std::vector<Driver> drivers(count);
  for (const auto& inst : netlist.instances)
    for (const auto& c : inst.connections)
      if (c.net >= 0 && c.pin->direction == PinDirection::output) drivers[c.net] = {&inst, c.pin};
  enum : char { unknown, visiting, done };
  std::vector<char> state(count, unknown);
  std::vector<double> slew(count, input_slew);
  // Depth-first in topological order; a net met again while visiting (a
  // combinational loop through a latch) keeps the input slew.
  const std::function<double(int)> visit = [&](int net) -> double {
    if (net < 0) return input_slew;
    if (state[net] != unknown) return slew[net];
    state[net] = visiting;
    const Driver& d = drivers[net];
    double s = input_slew;
    if (d.pin) {
      double worst = 0;
      bool any = false;
      for (const TimingArc& arc : d.pin->timing) {
        if (arc.rise_transition.empty() && arc.fall_transition.empty()) continue;
        const double in = visit(net_of(*d.instance, arc.related_pin));
        const double out = (arc.rise_transition.lookup(in, loads[net]) + arc.fall_transition.lookup(in, loads[net])) / 2;
        worst = any ? std::max(worst, out) : out;
        any = true;
      }
      if (any) s = std::max(0.0, worst);
    }
    slew[net] = s;
    state[net] = done;
    return s;
  };
  for (int net = 0; net < count; ++net) visit(net);
  return slew;
}

PowerReport estimate_power(const Netlist& netlist, const Library& library, const Activity& activity,
                           const PowerOptions& options) {
  return PowerEstimator(netlist, library, activity, options).run();
}

}  // namespace neuroppa::tech
