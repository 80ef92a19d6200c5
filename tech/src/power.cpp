#include "neuroppa/tech/power.hpp"

#include <fmt/format.h>
#include <functional>

#include "neuroppa/base/error.hpp"
#include "neuroppa/tech/liberty_function.hpp"

namespace neuroppa::tech {

namespace {

// OpenSTA loads a net with the larger of a pin's rise and fall
// capacitance; neuroppa with their mean (½CV² alternates rise and fall).
double pin_capacitance(const LibertyPin& pin, bool opensta) {
  return opensta ? std::max(pin.rise_capacitance, pin.fall_capacitance)
                 : (pin.rise_capacitance + pin.fall_capacitance) / 2;
}

struct Driver {
  const Netlist::Instance* instance = nullptr;
  const LibertyPin* pin = nullptr;
};

std::vector<Driver> drivers_of(const Netlist& netlist) {
  std::vector<Driver> drivers(netlist.net_count());
  for (const auto& inst : netlist.instances)
    for (const auto& c : inst.connections)
      if (c.net >= 0 && c.pin->direction == PinDirection::output) drivers[c.net] = {&inst, c.pin};
  return drivers;
}

// The net connected to a pin of an instance, or kFloating.
int net_of(const Netlist::Instance& inst, std::string_view pin) {
  for (const auto& c : inst.connections)
    if (c.pin->name == pin) return c.net;
  return Netlist::kFloating;
}

// Which input edge makes an output edge, by the arc's unateness.
enum class Edges { same, opposite, both };
Edges edges_of(const std::string& timing_sense) {
  if (timing_sense == "negative_unate") return Edges::opposite;
  if (timing_sense == "non_unate") return Edges::both;
  return Edges::same;
}

double input_slew_for(const Slew& in, Edges edges, bool output_rises) {
  switch (edges) {
    case Edges::same: return output_rises ? in.rise : in.fall;
    case Edges::opposite: return output_rises ? in.fall : in.rise;
    case Edges::both: return std::max(in.rise, in.fall);
  }
  return in.rise;
}

// The probabilities that the variables of an expression are high, taken as
// independent: a pin's net duty, constants, 0.5 for an internal state.
class Probabilities {
 public:
  using NetDuty = std::function<double(int net)>;
  Probabilities(const Netlist::Instance& inst, NetDuty duty) : inst_(inst), duty_(std::move(duty)) {}

  double of(std::string_view variable) const {
    if (!inst_.cell->find_pin(variable)) return 0.5;  // an internal state (IQ): not sampled
    return duty_(net_of(inst_, variable));
  }

  // P(expr), or with `flip` set, P(expr|flip=1 != expr|flip=0).
  double probability(const BoolExpr& expr, std::string_view flip = {}) const {
    std::vector<std::string> vars = expr.variables();
    std::erase(vars, std::string(flip));
    if (vars.size() > 16) return 0.5;
    std::vector<double> p(vars.size());
    for (std::size_t i = 0; i < vars.size(); ++i) p[i] = of(vars[i]);
    double total = 0;
    for (unsigned assignment = 0; assignment < (1u << vars.size()); ++assignment) {
      double weight = 1;
      for (std::size_t i = 0; i < vars.size(); ++i) weight *= (assignment >> i) & 1 ? p[i] : 1 - p[i];
      if (weight == 0) continue;
      const auto value = [&](bool flip_value) {
        return expr.evaluate([&](std::string_view v) {
          if (!flip.empty() && v == flip) return flip_value;
          for (std::size_t i = 0; i < vars.size(); ++i)
            if (vars[i] == v) return ((assignment >> i) & 1) != 0;
          return false;
        });
      };
      if (flip.empty() ? value(false) : value(true) != value(false)) total += weight;
    }
    return total;
  }

 private:
  const Netlist::Instance& inst_;
  NetDuty duty_;
};

bool is_port_ref(const BoolExpr& e, std::string_view port) {
  return (e.op == BoolExpr::Op::variable && e.name == port) ||
         (e.op == BoolExpr::Op::negate && e.operands[0].op == BoolExpr::Op::variable && e.operands[0].name == port);
}

BoolExpr negated(const BoolExpr& e) {
  if (e.op == BoolExpr::Op::negate) return e.operands[0];
  BoolExpr n;
  n.op = BoolExpr::Op::negate;
  n.operands.push_back(e);
  return n;
}

// OpenSTA 2019's "inferred when" of a related pin: the condition under which
// the pin passes to the output, found only where it is a direct operand. Its
// parser nests a & b & c as ((a & b) & c), so an n-ary node is read as
// (all operands but the last) op (the last).
std::optional<BoolExpr> inferred_when(const BoolExpr& e, std::string_view port) {
  using Op = BoolExpr::Op;
  switch (e.op) {
    case Op::variable:
      if (e.name == port) {
        BoolExpr one;
        one.op = Op::constant;
        one.value = true;
        return one;
      }
      return std::nullopt;
    case Op::negate: return inferred_when(e.operands[0], port);
    case Op::conjunction:
    case Op::disjunction:
    case Op::exclusive_or: {
      BoolExpr left = e;
      left.operands.pop_back();
      if (left.operands.size() == 1) left = BoolExpr(left.operands[0]);
      const BoolExpr& right = e.operands.back();
      const bool conjunction = e.op == Op::conjunction;
      if (is_port_ref(left, port)) return conjunction ? right : negated(right);
      if (is_port_ref(right, port)) return conjunction ? left : negated(left);
      return std::nullopt;
    }
    case Op::constant: return std::nullopt;
  }
  return std::nullopt;
}

class PowerEstimator {
 public:
  PowerEstimator(const Netlist& n, const Library& lib, const Activity& a, const PowerOptions& o)
      : n_(n), lib_(lib), a_(a), o_(o), compat_(o.opensta_2019_compatible) {}

  PowerReport run() {
    if (!(o_.frequency > 0)) throw Error(fmt::format("clock frequency {} Hz: must be positive", o_.frequency));
    if (o_.global_activity && !(*o_.global_activity >= 0 && o_.global_duty >= 0 && o_.global_duty <= 1))
      throw Error(fmt::format("global activity {} / duty {}: need activity >= 0 and duty in [0, 1]",
                              *o_.global_activity, o_.global_duty));
    if (!o_.global_activity && (static_cast<int>(a_.toggles.size()) != n_.net_count() ||
                                static_cast<int>(a_.high_cycles.size()) != n_.net_count()))
      throw Error("the activity does not belong to this netlist (net counts differ)");
    if (o_.parasitics && static_cast<int>(o_.parasitics->wire_capacitance.size()) != n_.net_count())
      throw Error(fmt::format("the parasitics of {} do not belong to this netlist (net counts differ)",
                              o_.parasitics->path.string()));
    loads_ = net_loads(n_, lib_, o_.wire_load, compat_, o_.parasitics);
    slews_ = net_slews(n_, loads_, o_.input_slew);
    drivers_ = drivers_of(n_);
    clock_net_ = clock_network(n_, a_.clock_nets);

    r_.frequency = o_.frequency;
    r_.voltage = lib_.nominal_voltage;
    r_.cycles = a_.cycles;
    r_.per_instance.assign(n_.instances.size(), PowerParts{});
    for (int net = 0; net < n_.net_count(); ++net) switching(net);
    for (const auto& inst : n_.instances) cell_power(inst);
    r_.total = r_.sequential;
    r_.total += r_.combinational;
    r_.total += r_.clock;
    return std::move(r_);
  }

 private:
  // Transitions per clock cycle of a pin on `net` (a constant net too: with a
  // global activity OpenSTA gives tied pins the global rate).
  double rate(int net) const {
    if (net >= 0 && clock_net_[net]) return 2.0;
    if (o_.global_activity) return *o_.global_activity;
    return net >= 0 ? a_.toggle_rate(net) : 0;
  }
  double duty(int net) const {
    if (net >= 0 && clock_net_[net]) return 0.5;
    if (o_.global_activity) return o_.global_duty;
    if (net == Netlist::kConst1) return 1;
    return net >= 0 ? a_.duty(net) : 0;
  }
  Probabilities probabilities(const Netlist::Instance& inst) const {
    return Probabilities(inst, [this](int net) { return duty(net); });
  }

  PowerParts& group_of(const Netlist::Instance* inst) {
    return inst && inst->cell->is_sequential() ? r_.sequential : r_.combinational;
  }
  PowerParts& own(const Netlist::Instance& inst) {
    return r_.per_instance[static_cast<std::size_t>(&inst - n_.instances.data())];
  }

  void switching(int net) {
    const Driver& d = drivers_[net];
    if (!d.instance && (compat_ || !o_.input_nets)) return;
    const double v = lib_.nominal_voltage;
    const double power = rate(net) * 0.5 * loads_[net] * v * v * o_.frequency;
    if (!d.instance) r_.input_nets.switching += power;
    r_.per_cell[d.instance ? d.instance->cell->name : std::string("(primary inputs)")].switching += power;
    if (d.instance) own(*d.instance).switching += power;
    (clock_net_[net] ? r_.clock : group_of(d.instance)).switching += power;
  }

  BoolExpr parse(const std::string& text, const Netlist::Instance& inst, const char* what) const {
    return parse_liberty_function(text, fmt::format("cell {} {}", inst.cell->name, what));
  }

  // Rise and fall table energies of a group at the related pin's slews.
  std::pair<double, double> table_energies(const Netlist::Instance& inst, const LibertyPin& pin,
                                           const InternalPower& g, int pin_net) const {
    const int from = g.related_pin.empty() ? pin_net : net_of(inst, g.related_pin);
    const Slew in = from >= 0 ? slews_[from] : Slew{o_.input_slew, o_.input_slew};
    // OpenSTA 2019 takes the slew of the same edge; the edge that causes
    // this one (by the arc's unateness) is the right one.
    const Edges edges = compat_ ? Edges::same : edges_from(pin, g.related_pin);
    const double load = is_input(pin) || pin_net < 0 ? 0 : loads_[pin_net];
    return {g.rise.lookup(input_slew_for(in, edges, true), load),
            g.fall.lookup(input_slew_for(in, edges, false), load)};
  }

  static Edges edges_from(const LibertyPin& pin, const std::string& related) {
    for (const TimingArc& arc : pin.timing)
      if (arc.related_pin == related) return edges_of(arc.timing_sense);
    return Edges::same;
  }

  // neuroppa: energy per transition of a pin. Output pins: the mean of rise
  // and fall, groups weighted by how often their related pin causes the
  // transition (activity x sensitisation; a `when` by its probability; a
  // clock 1, else 0.5), normalised. Input pins: their own tables, a `when`
  // group weighted by its probability.
  double energy(const Netlist::Instance& inst, const LibertyPin& pin, int pin_net) const {
    const Probabilities prob = probabilities(inst);
    std::optional<BoolExpr> function;
    if (!pin.function.empty()) function = parse(pin.function, inst, "function");
    std::vector<double> weight;
    double weight_sum = 0;
    for (const InternalPower& g : pin.internal_power) {
      weight.push_back(is_input(pin) ? (g.when.empty() ? 1.0 : prob.probability(parse(g.when, inst, "when")))
                                     : group_weight(inst, prob, function ? &*function : nullptr, g, pin_net));
      weight_sum += weight.back();
    }
    double e = 0;
    for (std::size_t i = 0; i < pin.internal_power.size(); ++i) {
      const auto [rise, fall] = table_energies(inst, pin, pin.internal_power[i], pin_net);
      const double w = is_input(pin) || weight_sum == 0 ? weight[i] : weight[i] / weight_sum;
      e += w * (rise + fall) / 2;
    }
    return e;
  }

  double group_weight(const Netlist::Instance& inst, const Probabilities& prob, const BoolExpr* function,
                      const InternalPower& g, int out_net) const {
    if (g.related_pin.empty()) return 0;
    const int from = net_of(inst, g.related_pin);
    if (from < 0) return 0;  // a tied related pin never causes a transition
    if (function) {
      const auto vars = function->variables();
      if (std::find(vars.begin(), vars.end(), g.related_pin) != vars.end()) {
        const double out_rate = rate(out_net);
        return out_rate > 0 ? rate(from) / out_rate * prob.probability(*function, g.related_pin) : 0;
      }
    }
    if (!g.when.empty()) return prob.probability(parse(g.when, inst, "when"));
    return from >= 0 && clock_net_[from] ? 1.0 : 0.5;
  }

  // OpenSTA 2019: energy per transition of a pin, summed over its groups.
  double energy_opensta_2019(const Netlist::Instance& inst, const LibertyPin& pin, int pin_net) const {
    const Probabilities prob = probabilities(inst);
    double e = 0;
    for (const InternalPower& g : pin.internal_power) {
      const std::string& related = g.related_pin.empty() ? pin.name : g.related_pin;
      const int from = net_of(inst, related);
      // A related pin tied to a constant has no slew in OpenSTA, and its
      // tables read 0 there: such an arc costs nothing.
      if (!g.related_pin.empty() && from < 0) continue;
      double d = 0.5;
      std::optional<BoolExpr> inferred;
      if (!g.related_pin.empty() && g.when.empty() && !pin.function.empty())
        inferred = inferred_when(parse(pin.function, inst, "function"), g.related_pin);
      if (inferred) {
        const double to_rate = rate(pin_net);
        d = to_rate == 0 ? 0 : rate(from) / to_rate * prob.probability(*inferred);
      } else if (!g.when.empty()) {
        d = prob.probability(parse(g.when, inst, "when"));
      } else if (from >= 0 && clock_net_[from]) {
        d = 1.0;
      }
      const auto [rise, fall] = table_energies(inst, pin, g, pin_net);
      e += (rise + fall) * d;
    }
    return e;
  }

  bool is_clock_pin(const Netlist::Instance& inst, const LibertyPin& pin, int net) const {
    if (pin.clock || (net >= 0 && clock_net_[net])) return true;
    const auto& s = inst.cell->sequential;
    return s && !s->latch && !s->clocked_on.empty() &&
           parse_liberty_function(s->clocked_on, "").variables() == std::vector<std::string>{pin.name};
  }

  void cell_power(const Netlist::Instance& inst) {
    PowerParts& cell = r_.per_cell[inst.cell->name];
    PowerParts& group = group_of(&inst);
    for (const auto& c : inst.connections) {
      if (c.pin->internal_power.empty()) continue;
      if (c.net < 0 && !(compat_ && o_.global_activity)) continue;  // a tied pin does not switch
      const double pin_rate = rate(c.net);
      if (pin_rate == 0) continue;
      const double e = compat_ ? energy_opensta_2019(inst, *c.pin, c.net) : energy(inst, *c.pin, c.net);
      const double power = pin_rate * e * o_.frequency;
      cell.internal += power;
      own(inst).internal += power;
      (is_input(*c.pin) && is_clock_pin(inst, *c.pin, c.net) ? r_.clock : group).internal += power;
    }
    const double leak = leakage(inst);
    cell.leakage += leak;
    own(inst).leakage += leak;
    group.leakage += leak;
  }

  // neuroppa: state-dependent leakage by the probability of each `when`;
  // states the conditions leave uncovered take cell_leakage_power. OpenSTA
  // 2019 prefers cell_leakage_power whenever the library gives it.
  double leakage(const Netlist::Instance& inst) const {
    const LibertyCell& cell = *inst.cell;
    if (compat_ && cell.cell_leakage_power) return *cell.cell_leakage_power;
    const Probabilities prob = probabilities(inst);
    double covered = 0, power = 0;
    std::optional<double> unconditional;
    for (const LeakageState& s : cell.leakage_power) {
      if (s.when.empty()) {
        unconditional = s.power;
        continue;
      }
      const double p = prob.probability(parse(s.when, inst, "leakage when"));
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
  const bool compat_;
  std::vector<double> loads_;
  std::vector<Slew> slews_;
  std::vector<Driver> drivers_;
  std::vector<bool> clock_net_;
  PowerReport r_;
};

}  // namespace

std::vector<double> net_loads(const Netlist& netlist, const Library& library, bool wire_load, bool opensta,
                              const Parasitics* parasitics) {
  std::vector<double> load(netlist.net_count(), 0);
  std::vector<int> fanout(netlist.net_count(), 0);
  for (const auto& inst : netlist.instances)
    for (const auto& c : inst.connections)
      if (c.net >= 0 && is_input(*c.pin)) {
        load[c.net] += pin_capacitance(*c.pin, opensta);
        ++fanout[c.net];
      }
  const WireLoad* wl = wire_load ? library.default_wire_load_model() : nullptr;
  for (int net = 0; net < netlist.net_count(); ++net) {
    if (parasitics && parasitics->annotated[net]) load[net] += parasitics->wire_capacitance[net];
    else if (wl) load[net] += wl->capacitance(fanout[net]);
  }
  return load;
}

std::vector<Slew> net_slews(const Netlist& netlist, const std::vector<double>& loads, double input_slew) {
  const int count = netlist.net_count();
  const std::vector<Driver> drivers = drivers_of(netlist);
  enum : char { unknown, visiting, done };
  std::vector<char> state(count, unknown);
  const Slew primary{input_slew, input_slew};
  std::vector<Slew> slew(count, primary);
  // Depth-first in topological order; a net met again while visiting (a
  // combinational loop through a latch) keeps the input slew.
  const std::function<Slew(int)> visit = [&](int net) -> Slew {
    if (net < 0) return primary;
    if (state[net] != unknown) return slew[net];
    state[net] = visiting;
    Slew s = primary;
    if (const Driver& d = drivers[net]; d.pin) {
      bool any = false;
      for (const TimingArc& arc : d.pin->timing) {
        if (arc.rise_transition.empty() || arc.fall_transition.empty()) continue;
        const Slew in = visit(net_of(*d.instance, arc.related_pin));
        const Edges edges = edges_of(arc.timing_sense);
        const double rise = arc.rise_transition.lookup(input_slew_for(in, edges, true), loads[net]);
        const double fall = arc.fall_transition.lookup(input_slew_for(in, edges, false), loads[net]);
        s = any ? Slew{std::max(s.rise, rise), std::max(s.fall, fall)} : Slew{rise, fall};
        any = true;
      }
      s.rise = std::max(0.0, s.rise);
      s.fall = std::max(0.0, s.fall);
    }
    slew[net] = s;
    state[net] = done;
    return s;
  };
  for (int net = 0; net < count; ++net) visit(net);
  return slew;
}

// OpenSTA treats all of the clock network as clock: two transitions a cycle.
std::vector<bool> clock_network(const Netlist& n, const std::vector<int>& roots) {
  std::vector<bool> clock(n.net_count(), false);
  std::vector<std::vector<const Netlist::Instance*>> loads(n.net_count());
  for (const auto& inst : n.instances)
    if (!inst.cell->is_sequential())
      for (const auto& c : inst.connections)
        if (c.net >= 0 && is_input(*c.pin)) loads[c.net].push_back(&inst);
  std::vector<int> work;
  for (int net : roots)
    if (net >= 0 && !clock[net]) {
      clock[net] = true;
      work.push_back(net);
    }
  while (!work.empty()) {
    const int net = work.back();
    work.pop_back();
    for (const Netlist::Instance* inst : loads[net])
      for (const auto& c : inst->connections)
        if (c.net >= 0 && c.pin->direction == PinDirection::output && !clock[c.net]) {
          clock[c.net] = true;
          work.push_back(c.net);
        }
  }
  return clock;
}

PowerReport estimate_power(const Netlist& netlist, const Library& library, const Activity& activity,
                           const PowerOptions& options) {
  return PowerEstimator(netlist, library, activity, options).run();
}

}  // namespace neuroppa::tech
