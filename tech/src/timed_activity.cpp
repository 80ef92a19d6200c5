#include "neuroppa/tech/timed_activity.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <map>
#include <queue>

#include "neuroppa/base/error.hpp"
#include "neuroppa/tech/gate_model.hpp"
#include "neuroppa/tech/liberty_function.hpp"
#include "neuroppa/tech/power.hpp"

namespace neuroppa::tech {

namespace {

bool is_input(const LibertyPin& pin) { return pin.direction == PinDirection::input || pin.direction == PinDirection::inout; }

// Liberty combinational timing types (an empty type means combinational).
bool is_combinational_arc(const TimingArc& arc) {
  return arc.timing_type.empty() || arc.timing_type == "combinational" || arc.timing_type == "combinational_rise" ||
         arc.timing_type == "combinational_fall";
}

bool is_clock_arc(const TimingArc& arc) {
  return arc.timing_type == "rising_edge" || arc.timing_type == "falling_edge";
}

// The pin a sequential cell is clocked by: the variable of its ff's
// clocked_on (or latch enable) expression, e.g. "CLK" from "CLK" or "!CLK".
std::string clock_pin_of(const LibertyCell& cell) {
  if (!cell.sequential) return {};
  const std::string& expr = cell.sequential->latch ? cell.sequential->enable : cell.sequential->clocked_on;
  if (expr.empty()) return {};
  const auto vars = parse_liberty_function(expr, "cell " + cell.name + " clocked_on").variables();
  return vars.empty() ? std::string() : vars.front();
}

}  // namespace

struct TimedSimulator::Impl {
  // One timing arc of a combinational output: a Liberty arc looked up per
  // event, or fixed delays.
  struct Arc {
    const TimingArc* lib = nullptr;
    bool fixed = false;
    double rise = 0, fall = 0;  // fixed delays, s
  };
  // A combinational output: its truth table over the gate's inputs, an arc
  // per input, and the value its logic computes now (before the delay).
  struct Output {
    int net = 0;
    int gate = 0;
    std::vector<std::uint64_t> truth;
    std::vector<Arc> arcs;  // by gate input
    std::uint8_t internal = 0;
  };
  struct Gate {
    std::vector<int> inputs;  // value slots (nets, or the two constant slots)
    std::vector<int> outputs; // into outputs_
    std::size_t instance = 0;
  };
  // A register output: switched at the clock's arrival plus clock-to-output.
  struct RegisterOutput {
    int net = 0;
    std::int64_t rise_at = 0, fall_at = 0;  // fs after the clock edge at the port
    double rise_slew = 0, fall_slew = 0;  // s
  };
  // Event times are whole femtoseconds from the clock edge, so that delays
  // given to 10 ps (SDF) add up exactly and simultaneous events are seen as such.
  using Time = std::int64_t;
  static Time to_time(double seconds) { return static_cast<Time>(std::llround(seconds * 1e15)); }
  struct Event {
    Time time;
    std::uint32_t seq;
    int target;  // >= 0: an output; < 0: -(net + 1), a source net
    std::uint8_t value;  // sources: the value to take
    double slew;         // of that transition
    bool operator>(const Event& o) const { return time != o.time ? time > o.time : seq > o.seq; }
  };

  const Netlist& netlist;
  TimedOptions options;
  int nets = 0;
  std::vector<int> exposed;       // exposed bit -> net
  std::vector<bool> clock_net;    // the clock network: not simulated, not counted
  std::vector<double> load;       // per net, F
  std::vector<std::uint8_t> value;  // per value slot: nets, then const0, const1
  std::vector<double> slew;       // per net: transition time of its last change
  std::vector<Time> changed_at;            // per value slot: time of its last change ...
  std::vector<std::uint32_t> changed_epoch;  // ... in which replay
  std::uint32_t epoch = 0;                 // replays so far
  std::vector<std::uint32_t> touched_stamp;  // per gate: the step that last touched it
  std::vector<int> touched;                  // gates to re-evaluate at the end of a time step
  std::uint32_t step = 0;
  std::vector<std::uint64_t> toggle_count;
  std::vector<Gate> gates;
  std::vector<Output> outputs;
  std::vector<int> fanout_start;  // CSR: per net, fanout entries [start[n], start[n+1])
  std::vector<std::pair<int, int>> fanout;  // (gate, input index)
  std::vector<int> primary_inputs;
  std::vector<RegisterOutput> registers;
  std::priority_queue<Event, std::vector<Event>, std::greater<>> queue;
  std::uint32_t next_seq = 1;
  std::uint64_t cycles = 0, mismatched = 0;
  std::size_t fallen_back = 0, without_delay = 0;
  std::vector<std::uint32_t> after_scratch;

  Impl(const Netlist& n, const Library& library, const std::string& clock, const TimedOptions& o)
      : netlist(n), options(o), nets(n.net_count()) {
    exposed = exposed_nets(n, clock);
    std::vector<int> roots;
    if (const Netlist::Port* clk = n.find_port(clock))
      for (int net : clk->bits)
        if (net >= 0) roots.push_back(net);
    clock_net = clock_network(n, roots);
    load = net_loads(n, library, o.wire_load);
    value.assign(nets + 2, 0);
    value[nets + 1] = 1;
    slew.assign(nets, o.input_slew);
    changed_at.assign(nets + 2, -1);
    changed_epoch.assign(nets + 2, 0);
    toggle_count.assign(nets, 0);
    compile_gates();
    touched_stamp.assign(gates.size(), 0);
    order_or_throw();
    build_fanout();
    for (const auto& port : n.ports)
      if (!port.output && port.name != clock)
        for (int net : port.bits)
          if (net >= 0 && !clock_net[net]) primary_inputs.push_back(net);
    compile_registers(roots);
  }

  int slot(int net) const { return net >= 0 ? net : net == Netlist::kConst1 ? nets + 1 : nets; }

  const ArcDelay* fixed_arc(std::size_t instance, const std::string& from, const std::string& to) const {
    if (!options.fixed || instance >= options.fixed->per_instance.size()) return nullptr;
    for (const ArcDelay& a : options.fixed->per_instance[instance])
      if (a.from == from && a.to == to) return &a;
    return nullptr;
  }

  // The arc from input `from` to output pin `to` of instance `index`.
  Arc arc_for(std::size_t index, const LibertyPin& to, const std::string& from, bool clocked) {
    const auto& inst = netlist.instances[index];
    Arc arc;
    if (const ArcDelay* f = fixed_arc(index, from, to.name)) {
      arc.fixed = true;
      arc.rise = f->rise;
      arc.fall = f->fall;
      return arc;
    }
    for (const TimingArc& t : to.timing)
      if (t.related_pin == from && (clocked ? is_clock_arc(t) : is_combinational_arc(t)) &&
          !(t.cell_rise.empty() && t.cell_fall.empty())) {
        arc.lib = &t;
        break;
      }
    if (options.fixed && arc.lib) ++fallen_back;
    if (!arc.lib) {
      if (!options.allow_partial)
        throw Error(fmt::format("instance {} ({}): no timing arc from {} to {} in the library{}; give "
                                "--allow-partial to take it as zero delay",
                                inst.name, inst.cell->name, from, to.name, options.fixed ? " nor the SDF" : ""));
      arc.fixed = true;
      ++without_delay;
    }
    return arc;
  }

  void compile_gates() {
    for (std::size_t i = 0; i < netlist.instances.size(); ++i) {
      const auto& inst = netlist.instances[i];
      if (inst.cell->is_sequential()) continue;
      Gate g;
      g.instance = i;
      std::vector<std::string> input_names;
      bool on_clock = false;
      for (const auto& c : inst.connections)
        if (is_input(*c.pin)) {
          input_names.push_back(c.pin->name);
          g.inputs.push_back(slot(c.net));
          on_clock |= c.net >= 0 && clock_net[c.net];
        }
      if (on_clock) continue;  // clock buffers: their nets are the clock network
      if (input_names.size() > 20)
        throw Error(fmt::format("instance {} ({}): {} inputs, more than the timed engine evaluates (20)", inst.name,
                                inst.cell->name, input_names.size()));
      const int gate = static_cast<int>(gates.size());
      for (const auto& c : inst.connections) {
        if (c.pin->direction != PinDirection::output || c.net < 0 || c.pin->function.empty()) continue;
        Output out;
        out.net = c.net;
        out.gate = gate;
        out.truth = truth_table(*inst.cell, *c.pin, input_names);
        for (const auto& from : input_names) out.arcs.push_back(arc_for(i, *c.pin, from, false));
        g.outputs.push_back(static_cast<int>(outputs.size()));
        outputs.push_back(std::move(out));
      }
      if (!g.outputs.empty()) gates.push_back(std::move(g));
    }
  }

  static std::vector<std::uint64_t> truth_table(const LibertyCell& cell, const LibertyPin& pin,
                                                const std::vector<std::string>& inputs) {
    const BoolExpr f = parse_liberty_function(pin.function, "cell " + cell.name + " pin " + pin.name);
    const std::size_t rows = std::size_t{1} << inputs.size();
    std::vector<std::uint64_t> table((rows + 63) / 64, 0);
    for (std::size_t row = 0; row < rows; ++row) {
      const bool v = f.evaluate([&](std::string_view name) {
        for (std::size_t i = 0; i < inputs.size(); ++i)
          if (inputs[i] == name) return ((row >> i) & 1) != 0;
        return false;
      });
      if (v) table[row / 64] |= std::uint64_t{1} << (row % 64);
    }
    return table;
  }

  // A combinational loop would oscillate or hang the event queue: refuse it
  // up front, naming an instance on it.
  void order_or_throw() const {
    std::vector<int> driver(nets, -1);
    for (std::size_t g = 0; g < gates.size(); ++g)
      for (int o : gates[g].outputs) driver[outputs[o].net] = static_cast<int>(g);
    enum : char { fresh, active, finished };
    std::vector<char> state(gates.size(), fresh);
    for (std::size_t start = 0; start < gates.size(); ++start) {
      if (state[start] != fresh) continue;
      std::vector<std::pair<int, std::size_t>> stack = {{static_cast<int>(start), 0}};
      state[start] = active;
      while (!stack.empty()) {
        auto& [g, next] = stack.back();
        if (next == gates[g].inputs.size()) {
          state[g] = finished;
          stack.pop_back();
          continue;
        }
        const int in = gates[g].inputs[next++];
        const int d = in < nets ? driver[in] : -1;
        if (d < 0 || state[d] == finished) continue;
        if (state[d] == active) {
          const auto& inst = netlist.instances[gates[d].instance];
          throw Error(fmt::format("combinational loop through instance {} ({}): the timed engine needs registers "
                                  "on every loop",
                                  inst.name, inst.cell->name));
        }
        state[d] = active;
        stack.push_back({d, 0});
      }
    }
  }

  void build_fanout() {
    std::vector<std::vector<std::pair<int, int>>> lists(nets);
    for (std::size_t g = 0; g < gates.size(); ++g)
      for (std::size_t i = 0; i < gates[g].inputs.size(); ++i)
        if (gates[g].inputs[i] < nets) lists[gates[g].inputs[i]].push_back({static_cast<int>(g), static_cast<int>(i)});
    fanout_start.assign(nets + 1, 0);
    for (int n = 0; n < nets; ++n) {
      fanout_start[n + 1] = fanout_start[n] + static_cast<int>(lists[n].size());
      fanout.insert(fanout.end(), lists[n].begin(), lists[n].end());
    }
  }

  // Arrival of the clock edge at every clock-network net, through the
  // clock buffers' arcs (rise and fall by the arcs' unateness).
  struct ClockEdge {
    double time = 0, slew = 0;
    bool rising = true;
  };
  std::vector<ClockEdge> clock_arrivals(const std::vector<int>& roots) {
    std::vector<ClockEdge> edge(nets);
    std::vector<bool> known(nets, false);
    std::vector<int> work;
    for (int r : roots) {
      edge[r] = {0, options.input_slew, true};
      known[r] = true;
      work.push_back(r);
    }
    std::vector<std::vector<std::size_t>> loads(nets);
    for (std::size_t i = 0; i < netlist.instances.size(); ++i)
      if (!netlist.instances[i].cell->is_sequential())
        for (const auto& c : netlist.instances[i].connections)
          if (c.net >= 0 && is_input(*c.pin)) loads[c.net].push_back(i);
    while (!work.empty()) {
      const int net = work.back();
      work.pop_back();
      for (std::size_t i : loads[net]) {
        const auto& inst = netlist.instances[i];
        std::string from;
        for (const auto& c : inst.connections)
          if (c.net == net && is_input(*c.pin)) from = c.pin->name;
        for (const auto& c : inst.connections) {
          if (c.pin->direction != PinDirection::output || c.net < 0 || known[c.net]) continue;
          const Arc arc = arc_for(i, *c.pin, from, false);
          const bool inverting = arc.lib && arc.lib->timing_sense == "negative_unate";
          const bool rising = edge[net].rising != inverting;
          edge[c.net] = {edge[net].time + delay(arc, rising, edge[net].slew, load[c.net]),
                         transition(arc, rising, edge[net].slew, load[c.net]), rising};
          known[c.net] = true;
          work.push_back(c.net);
        }
      }
    }
    return edge;
  }

  void compile_registers(const std::vector<int>& roots) {
    const std::vector<ClockEdge> edges = clock_arrivals(roots);
    for (std::size_t i = 0; i < netlist.instances.size(); ++i) {
      const auto& inst = netlist.instances[i];
      if (!inst.cell->is_sequential()) continue;
      const std::string clock_pin = clock_pin_of(*inst.cell);
      ClockEdge at;
      for (const auto& c : inst.connections)
        if (c.pin->name == clock_pin && c.net >= 0) at = edges[c.net];
      for (const auto& c : inst.connections) {
        if (c.pin->direction != PinDirection::output || c.net < 0) continue;
        RegisterOutput r;
        r.net = c.net;
        if (!clock_pin.empty()) {
          const Arc arc = arc_for(i, *c.pin, clock_pin, true);
          r.rise_at = to_time(at.time) + to_time(delay(arc, true, at.slew, load[c.net]));
          r.fall_at = to_time(at.time) + to_time(delay(arc, false, at.slew, load[c.net]));
          r.rise_slew = transition(arc, true, at.slew, load[c.net]);
          r.fall_slew = transition(arc, false, at.slew, load[c.net]);
        }
        registers.push_back(r);
      }
    }
  }

  static double delay(const Arc& arc, bool rising, double in_slew, double out_load) {
    if (arc.fixed || !arc.lib) return rising ? arc.rise : arc.fall;
    const Table& t = rising ? arc.lib->cell_rise : arc.lib->cell_fall;
    return std::max(0.0, t.lookup(in_slew, out_load));
  }
  static double transition(const Arc& arc, bool rising, double in_slew, double out_load) {
    if (!arc.lib) return 0;
    const Table& t = rising ? arc.lib->rise_transition : arc.lib->fall_transition;
    return std::max(0.0, t.lookup(in_slew, out_load));
  }

  std::uint8_t evaluate(const Output& out) const {
    const Gate& g = gates[out.gate];
    std::size_t row = 0;
    for (std::size_t i = 0; i < g.inputs.size(); ++i) row |= std::size_t{value[g.inputs[i]]} << i;
    return static_cast<std::uint8_t>((out.truth[row / 64] >> (row % 64)) & 1);
  }

  void push(Time time, int target, std::uint8_t v, double s) { queue.push({time, next_seq++, target, v, s}); }

  // Gate g's inputs changed at `time`: re-evaluate its outputs. A change of
  // an output's logic value schedules an event after the delay of the path
  // from the input that changed last (the fastest of those that changed
  // together, IEEE 1364 14.4); when an event comes due, the output takes the
  // value its logic has then. A pulse shorter than the delay has gone by
  // then and is swallowed: inertial delay as Verilog path delays have it.
  void evaluate_gate(int g, Time time) {
    const Gate& gate = gates[g];
    for (int o : gate.outputs) {
      Output& out = outputs[o];
      const std::uint8_t v = evaluate(out);
      if (v == out.internal) continue;
      out.internal = v;
      double best = -1, best_slew = 0;
      for (std::size_t i = 0; i < gate.inputs.size(); ++i) {
        const int in = gate.inputs[i];
        if (changed_at[in] != time || changed_epoch[in] != epoch) continue;
        const double in_slew = in < nets ? slew[in] : options.input_slew;
        const double d = delay(out.arcs[i], v, in_slew, load[out.net]);
        if (best < 0 || d < best) {
          best = d;
          best_slew = transition(out.arcs[i], v, in_slew, load[out.net]);
        }
      }
      push(time + to_time(std::max(best, 0.0)), o, v, best_slew);
    }
  }

  // A net changes; its loads are re-evaluated once every event of this
  // instant has happened (an output due now takes the value its logic had
  // before this instant's changes reach it, as an event-driven simulator's
  // delta cycles have it).
  void change(int net, std::uint8_t v, double s, Time time) {
    value[net] = v;
    slew[net] = s;
    changed_at[net] = time;
    changed_epoch[net] = epoch;
    ++toggle_count[net];
    for (int f = fanout_start[net]; f < fanout_start[net + 1]; ++f) {
      const int g = fanout[f].first;
      if (touched_stamp[g] != step) {
        touched_stamp[g] = step;
        touched.push_back(g);
      }
    }
  }

  bool bit(const std::uint32_t* words, std::size_t b) const { return (words[b / 32] >> (b % 32)) & 1; }

  bool replay(const std::uint32_t* before, const std::uint32_t* after) {
    ++epoch;
    for (std::size_t b = 0; b < exposed.size(); ++b) value[exposed[b]] = bit(before, b);
    for (Output& out : outputs) out.internal = value[out.net];
    // The settled state after: the sources take these values.
    std::vector<std::uint8_t> target(nets, 0);
    for (std::size_t b = 0; b < exposed.size(); ++b) target[exposed[b]] = bit(after, b);
    for (int net : primary_inputs)
      if (target[net] != value[net]) push(to_time(options.input_delay), -(net + 1), target[net], options.input_slew);
    for (const RegisterOutput& r : registers)
      if (target[r.net] != value[r.net])
        push(target[r.net] ? r.rise_at : r.fall_at, -(r.net + 1), target[r.net], target[r.net] ? r.rise_slew : r.fall_slew);
    std::uint64_t events = 0;
    const std::uint64_t limit = 1000 + 200 * std::uint64_t(nets);
    while (!queue.empty()) {
      const Time now = queue.top().time;
      ++step;
      touched.clear();
      while (!queue.empty() && queue.top().time == now) {
        const Event e = queue.top();
        queue.pop();
        if (++events > limit)
          throw Error(fmt::format("timed replay: more than {} events in one cycle; the netlist oscillates", limit));
        if (e.target < 0) {
          const int net = -e.target - 1;
          if (value[net] != e.value) change(net, e.value, e.slew, now);
          continue;
        }
        const Output& out = outputs[e.target];
        if (value[out.net] != out.internal) change(out.net, out.internal, e.slew, now);
      }
      for (int g : touched) evaluate_gate(g, now);
    }
    ++cycles;
    for (std::size_t b = 0; b < exposed.size(); ++b) {
      const int net = exposed[b];
      if (!clock_net[net] && value[net] != target[net]) {
        ++mismatched;
        return false;
      }
    }
    return true;
  }
};

ArcDelays liberty_arc_delays(const Netlist& netlist, const Library& library, const TimedOptions& options) {
  const std::vector<double> loads = net_loads(netlist, library, options.wire_load);
  const std::vector<Slew> slews = net_slews(netlist, loads, options.input_slew);
  ArcDelays out;
  out.per_instance.resize(netlist.instances.size());
  for (std::size_t i = 0; i < netlist.instances.size(); ++i) {
    const auto& inst = netlist.instances[i];
    const auto net_of = [&](const std::string& pin) {
      for (const auto& c : inst.connections)
        if (c.pin->name == pin) return c.net;
      return int(Netlist::kFloating);
    };
    for (const auto& c : inst.connections) {
      if (c.pin->direction != PinDirection::output || c.net < 0) continue;
      for (const TimingArc& arc : c.pin->timing) {
        if (!(is_combinational_arc(arc) || is_clock_arc(arc)) || (arc.cell_rise.empty() && arc.cell_fall.empty()))
          continue;
        const int in = net_of(arc.related_pin);
        const Slew s = in >= 0 ? slews[in] : Slew{options.input_slew, options.input_slew};
        const bool opposite = arc.timing_sense == "negative_unate", both = arc.timing_sense == "non_unate";
        const double rise_slew = both ? std::max(s.rise, s.fall) : opposite ? s.fall : s.rise;
        const double fall_slew = both ? std::max(s.rise, s.fall) : opposite ? s.rise : s.fall;
        ArcDelay d{arc.related_pin, c.pin->name, std::max(0.0, arc.cell_rise.lookup(rise_slew, loads[c.net])),
                   std::max(0.0, arc.cell_fall.lookup(fall_slew, loads[c.net]))};
        auto& arcs = out.per_instance[i];
        const auto same = std::find_if(arcs.begin(), arcs.end(), [&](const ArcDelay& a) { return a.from == d.from && a.to == d.to; });
        if (same == arcs.end()) arcs.push_back(d);  // the first arc of a pin pair, as the event engine takes it
      }
    }
  }
  return out;
}

TimedSimulator::TimedSimulator(const Netlist& netlist, const Library& library, const std::string& clock,
                               const TimedOptions& options)
    : impl_(std::make_unique<Impl>(netlist, library, clock, options)) {}
TimedSimulator::~TimedSimulator() = default;

bool TimedSimulator::replay(const std::uint32_t* before, const std::uint32_t* after) {
  return impl_->replay(before, after);
}
std::uint64_t TimedSimulator::cycles() const { return impl_->cycles; }
std::uint64_t TimedSimulator::mismatched_cycles() const { return impl_->mismatched; }
const std::vector<std::uint64_t>& TimedSimulator::toggles() const { return impl_->toggle_count; }
std::size_t TimedSimulator::arcs_fallen_back() const { return impl_->fallen_back; }
std::size_t TimedSimulator::arcs_without_delay() const { return impl_->without_delay; }
void TimedSimulator::reset_counts() {
  std::fill(impl_->toggle_count.begin(), impl_->toggle_count.end(), 0);
  impl_->cycles = impl_->mismatched = 0;
}

}  // namespace neuroppa::tech
