#include "neuroppa/tech/timed_activity.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <bit>
#include <cmath>
#include <functional>
#include <limits>
#include <map>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <queue>
#include <thread>

#include <sys/resource.h>
#include <unistd.h>

#include "neuroppa/base/error.hpp"
#include "neuroppa/base/text.hpp"
#include "neuroppa/tech/gate_model.hpp"
#include "neuroppa/tech/liberty_function.hpp"
#include "neuroppa/tech/power.hpp"

namespace neuroppa::tech {

namespace {

// The pin a sequential cell is clocked by: the variable of its ff's
// clocked_on (or latch enable) expression, e.g. "CLK" from "CLK" or "!CLK".
std::string clock_pin_of(const LibertyCell& cell) {
  if (!cell.sequential) return {};
  const std::string& expr = cell.sequential->latch ? cell.sequential->enable : cell.sequential->clocked_on;
  if (expr.empty()) return {};
  const auto vars = parse_liberty_function(expr, "cell " + cell.name + " clocked_on").variables();
  return vars.empty() ? std::string() : vars.front();
}

// Pending events of one replay, taken in time order (events of the same
// instant commute: each sets a net to a value fixed when it was scheduled).
// Times start at 0 each replay and gates have delays of picoseconds, so a
// calendar of 0.5 ps buckets makes scheduling and taking events O(1): each
// bucket is a list threaded through one pool of nodes (reused, so it stays
// in cache), and a bitmap finds the next bucket that holds any. What lies
// beyond the calendar's horizon waits in a heap.
template <class Event>
class EventQueue {
 public:
  using Time = std::int64_t;
  static constexpr Time kBucket = 500;              // fs
  static constexpr std::size_t kBuckets = 1 << 16;  // 33 ns: a clock period or more; later events wait in the heap

  EventQueue() : head_(kBuckets, kNone), occupied_(kBuckets / 64, 0) {}

  void push(const Event& e) {
    const Time b = e.time / kBucket;
    if (b >= Time(kBuckets)) {
      far_.push(e);
      return;
    }
    std::uint32_t node = free_;
    if (node == kNone) {
      node = static_cast<std::uint32_t>(nodes_.size());
      nodes_.push_back({});
    } else {
      free_ = nodes_[node].next;
    }
    nodes_[node] = {e, head_[b]};
    head_[b] = node;
    occupied_[b / 64] |= std::uint64_t{1} << (b % 64);
    ++in_buckets_;
  }
  bool empty() const { return in_buckets_ == 0 && far_.empty(); }

  // The events due at the earliest time pending; they are removed.
  Time take_next(std::vector<Event>& due) {
    due.clear();
    if (in_buckets_ > 0) {
      std::size_t word = current_ / 64;
      std::uint64_t bits = occupied_[word] & (~std::uint64_t{0} << (current_ % 64));
      while (bits == 0) bits = occupied_[++word];
      current_ = word * 64 + std::countr_zero(bits);
      Time now = std::numeric_limits<Time>::max();
      for (std::uint32_t n = head_[current_]; n != kNone; n = nodes_[n].next) now = std::min(now, nodes_[n].event.time);
      for (std::uint32_t* link = &head_[current_]; *link != kNone;) {
        Node& node = nodes_[*link];
        if (node.event.time != now) {
          link = &node.next;
          continue;
        }
        due.push_back(node.event);
        const std::uint32_t taken = *link;
        *link = node.next;
        node.next = free_;
        free_ = taken;
      }
      if (head_[current_] == kNone) occupied_[current_ / 64] &= ~(std::uint64_t{1} << (current_ % 64));
      in_buckets_ -= due.size();
      if (in_buckets_ == 0) current_ = 0;
      return now;
    }
    const Time now = far_.top().time;
    while (!far_.empty() && far_.top().time == now) {
      due.push_back(far_.top());
      far_.pop();
    }
    return now;
  }

 private:
  static constexpr std::uint32_t kNone = ~std::uint32_t{0};
  struct Node {
    Event event;
    std::uint32_t next = kNone;
  };
  std::vector<Node> nodes_;
  std::uint32_t free_ = kNone;
  std::vector<std::uint32_t> head_;     // per bucket: its first node
  std::vector<std::uint64_t> occupied_; // per bucket: a bit, set while it holds events
  std::size_t in_buckets_ = 0, current_ = 0;
  std::priority_queue<Event, std::vector<Event>, std::greater<>> far_;
};

}  // namespace

struct TimedSimulator::Impl {
  // A Liberty table at one output load, as a function of the input's
  // transition: piecewise linear through the table's slew points (exactly
  // what the 2-D interpolation gives at that load), extrapolated at the
  // ends. The slew points are shared (libraries use a few templates) and the
  // values sit in one pool, so a lookup touches a line or two of memory.
  struct Curve {
    std::uint32_t x = 0, y = 0;  // offsets into x_pool (and x_step) and y_pool
    std::uint32_t n = 0;         // points; 1: a constant
  };
  // float: a millionth of a delay is far below any table's accuracy.
  std::vector<float> x_pool, y_pool;
  std::vector<float> x_step;  // 1 / (x[i] - x[i-1]), at i: interpolation without a division
  std::map<std::vector<double>, std::uint32_t> x_offsets;

  double at(const Curve& c, double slew) const {
    const float* y = &y_pool[c.y];
    if (c.n < 2) return c.n ? y[0] : 0;
    const float* x = &x_pool[c.x];
    std::uint32_t i = 1;
    while (i + 1 < c.n && slew > x[i]) ++i;
    return y[i - 1] + (y[i] - y[i - 1]) * (slew - x[i - 1]) * x_step[c.x + i];
  }
  // Where these slew points sit in x_pool (added once).
  std::uint32_t x_offset(const std::vector<double>& points) {
    const auto [found, fresh] = x_offsets.try_emplace(points, static_cast<std::uint32_t>(x_pool.size()));
    if (fresh)
      for (std::size_t i = 0; i < points.size(); ++i) {
        x_pool.push_back(static_cast<float>(points[i]));
        x_step.push_back(i ? static_cast<float>(1 / (points[i] - points[i - 1])) : 0.0f);
      }
    return found->second;
  }
  // Instances of a cell that drive the same load share their curves (and
  // so their compiled arcs): a mac of 4,500 cells has some 1,400 distinct.
  std::map<std::pair<const Table*, double>, Curve> curves;

  Curve curve(const Table& t, double load) {
    const auto [found, fresh] = curves.try_emplace({&t, load});
    if (fresh) found->second = new_curve(t, load);
    return found->second;
  }
  Curve new_curve(const Table& t, double load) {
    Curve c;
    c.y = static_cast<std::uint32_t>(y_pool.size());
    const Table::Axis* axis = nullptr;
    for (const auto& a : t.axes)
      if (a.variable == TableVariable::input_slew && a.index.size() >= 2) axis = &a;
    if (!axis) {
      c.n = 1;
      y_pool.push_back(static_cast<float>(t.lookup(0, load)));
      return c;
    }
    c.x = x_offset(axis->index);
    c.n = static_cast<std::uint32_t>(axis->index.size());
    for (double slew : axis->index) y_pool.push_back(static_cast<float>(t.lookup(slew, load)));
    return c;
  }
  // One timing arc: Liberty curves at the driven net's load, or fixed delays.
  struct Arc {
    bool fixed = true;
    bool inverting = false;  // negative unate: an input rise makes the output fall
    double rise = 0, fall = 0;  // fixed delays, s
    Curve rise_delay, fall_delay, rise_transition, fall_transition;  // Liberty
  };
  // The same arc as the replay reads it, 16 bytes: its four curves resampled
  // onto the union of their slew points (exact: piecewise linear through
  // every knot of each, extrapolated alike), delay and transition
  // interleaved per point, so that an event finds its segment once and
  // reads one stretch of memory.
  struct HotArc {
    std::uint32_t x = 0;  // slew points in x_pool
    std::uint32_t n = 0;  // points; 1: constant; 0: fixed delays, in fixed_pool
    std::uint32_t rise = 0, fall = 0;  // offsets of each edge's (delay, transition) pairs in hot_pool
  };
  std::vector<float> hot_pool;
  std::vector<double> fixed_pool;
  std::map<std::array<std::uint32_t, 4>, HotArc> hot_arcs;  // by the y offsets of its four curves

  // A curve's value at one of the union's points: its own knots exactly.
  float sample(const Curve& c, float slew) const {
    for (std::uint32_t i = 0; c.n >= 2 && i < c.n; ++i)
      if (x_pool[c.x + i] == slew) return y_pool[c.y + i];
    return static_cast<float>(at(c, slew));
  }
  HotArc hot(const Arc& arc) {
    if (arc.fixed) {
      HotArc h;
      h.rise = static_cast<std::uint32_t>(fixed_pool.size());
      fixed_pool.push_back(arc.rise);
      h.fall = static_cast<std::uint32_t>(fixed_pool.size());
      fixed_pool.push_back(arc.fall);
      return h;
    }
    const std::array<std::uint32_t, 4> key = {arc.rise_delay.y, arc.rise_transition.y, arc.fall_delay.y,
                                              arc.fall_transition.y};
    const auto [found, fresh] = hot_arcs.try_emplace(key);
    if (fresh) found->second = new_hot(arc);
    return found->second;
  }
  HotArc new_hot(const Arc& arc) {
    HotArc h;
    const Curve* curves[] = {&arc.rise_delay, &arc.rise_transition, &arc.fall_delay, &arc.fall_transition};
    std::vector<double> xs;
    for (const Curve* c : curves)
      for (std::uint32_t i = 0; c->n >= 2 && i < c->n; ++i) xs.push_back(x_pool[c->x + i]);
    std::sort(xs.begin(), xs.end());
    xs.erase(std::unique(xs.begin(), xs.end()), xs.end());
    if (xs.empty()) xs.push_back(0);
    h.n = static_cast<std::uint32_t>(xs.size());
    if (h.n >= 2) h.x = x_offset(xs);
    for (int edge = 0; edge < 2; ++edge) {
      (edge ? h.fall : h.rise) = static_cast<std::uint32_t>(hot_pool.size());
      for (double x : xs) {
        hot_pool.push_back(sample(*curves[2 * edge], static_cast<float>(x)));
        hot_pool.push_back(sample(*curves[2 * edge + 1], static_cast<float>(x)));
      }
    }
    return h;
  }
  // A combinational output: its truth table over the gate's inputs, an arc
  // per input, and the value its logic computes now (before the delay).
  struct Output {
    int net = 0;
    std::uint64_t truth_rows = 0;  // rows 0-63 of its truth table, the whole of it up to 6 inputs
    std::uint32_t truth = 0;       // offset of its truth table in truth_pool
    std::uint32_t arcs = 0;   // offset of its arcs (one per gate input) in arc_pool
    std::uint8_t internal = 0;
    double slew = 0;          // transition of the change last scheduled
  };
  struct Gate {
    std::uint32_t inputs = 0, input_count = 0;    // value slots in input_pool (nets, or the constant slots)
    std::uint32_t outputs = 0, output_count = 0;  // consecutive entries of `outputs`
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
  static Time to_time(double seconds) { return static_cast<Time>(seconds * 1e15 + 0.5); }  // seconds >= 0
  struct Event {
    Time time;
    std::uint32_t seq;
    int target;  // >= 0: an output; < 0: -(net + 1), a source net that switches
    bool operator>(const Event& o) const { return time != o.time ? time > o.time : seq > o.seq; }
  };

  const Netlist& netlist;
  TimedOptions options;
  int nets = 0;
  std::vector<int> exposed;       // exposed bit -> net
  std::vector<bool> clock_net;    // the clock network: not simulated, not counted
  std::vector<double> load;       // per net, F
  // Per value slot (nets, then const0, const1): what a change touches, in
  // one place.
  struct NetState {
    double slew = 0;                // transition time of its last change
    std::uint32_t fanout = 0;       // its loads: fanout[fanout, fanout + loads)
    std::uint16_t loads = 0;
    std::uint8_t value = 0;
  };
  std::vector<NetState> net_state;
  std::vector<int> touched;  // gates to re-evaluate at the end of a time step
  bool settled = false;                  // every net holds the values of settled_at
  std::vector<std::uint32_t> settled_at;  // (exposed-net words)
  std::vector<std::uint64_t> toggle_count;
  std::vector<int> toggled;  // nets whose count is not zero, each once
  std::vector<Gate> gates;
  // Per gate, kept up to date by change(): its input values as bits, and
  // which inputs changed in the current time step (non-zero: in `touched`).
  struct GateState {
    std::uint32_t row = 0, changed = 0;
  };
  std::vector<GateState> gate_state;
  std::vector<Output> outputs;
  std::vector<int> input_pool;
  std::vector<std::uint64_t> truth_pool;
  std::map<std::pair<const LibertyPin*, std::vector<std::string>>, std::vector<std::uint64_t>> truth_tables;
  std::vector<HotArc> arc_pool;
  // With parasitics: per input_pool entry, the wire's delay from the net's
  // driver to that input pin; per fanout entry the same (empty: no wires).
  std::vector<Time> input_wire, fanout_wire;
  std::vector<double> source_slew;      // per net: transition of a scheduled source change
  std::vector<std::uint8_t> target;     // per net: the settled state a replay heads for
  // A load of a net: the gate, which of its inputs, and where the first
  // output's arc from that input and its curves are (fetched ahead).
  struct Load {
    int gate = 0, input = 0;
    std::uint32_t arc = 0, rise = 0;
  };
  std::vector<Load> fanout;
  std::vector<int> primary_inputs;
  std::vector<RegisterOutput> registers;
  EventQueue<Event> queue;
  std::vector<Event> due;
  std::uint32_t next_seq = 1;
  std::uint64_t cycles = 0, mismatched = 0;
  std::size_t fallen_back = 0, without_delay = 0;

  Impl(const Netlist& n, const Library& library, const std::string& clock, const TimedOptions& o)
      : netlist(n), options(o), nets(n.net_count()) {
    exposed = exposed_nets(n, clock);
    std::vector<int> roots;
    if (const Netlist::Port* clk = n.find_port(clock))
      for (int net : clk->bits)
        if (net >= 0) roots.push_back(net);
    clock_net = clock_network(n, roots);
    load = net_loads(n, library, o.wire_load, false, o.parasitics);
    net_state.assign(nets + 2, NetState{o.input_slew, 0, 0, 0});
    net_state[nets + 1].value = 1;
    toggle_count.assign(nets, 0);
    source_slew.assign(nets, o.input_slew);
    target.assign(nets, 0);
    compile_gates();
    gate_state.assign(gates.size(), {});
    order_or_throw();
    build_fanout();
    for (const auto& port : n.ports)
      if (!port.output && port.name != clock)
        for (int net : port.bits)
          if (net >= 0 && !clock_net[net]) primary_inputs.push_back(net);
    compile_registers(roots);
    // What only compiling needed: copies (one per worker) need not carry it.
    curves.clear();
    hot_arcs.clear();
    truth_tables.clear();
    x_offsets.clear();
  }

  int slot(int net) const { return net >= 0 ? net : net == Netlist::kConst1 ? nets + 1 : nets; }

  const ArcDelay* fixed_arc(std::size_t instance, const std::string& from, const std::string& to) const {
    if (!options.fixed || instance >= options.fixed->per_instance.size()) return nullptr;
    for (const ArcDelay& a : options.fixed->per_instance[instance])
      if (a.from == from && a.to == to) return &a;
    return nullptr;
  }

  // The arc from input `from` to output pin `to` of instance `index`.
  Arc arc_for(std::size_t index, const LibertyPin& to, const std::string& from, bool clocked, double out_load) {
    const auto& inst = netlist.instances[index];
    Arc arc;
    const TimingArc* lib = nullptr;
    for (const TimingArc& t : to.timing)
      if (t.related_pin == from && (clocked ? is_clock_arc(t) : is_combinational_arc(t)) &&
          !(t.cell_rise.empty() && t.cell_fall.empty())) {
        lib = &t;
        break;
      }
    arc.inverting = lib && lib->timing_sense == "negative_unate";
    if (const ArcDelay* f = fixed_arc(index, from, to.name)) {
      arc.rise = f->rise;
      arc.fall = f->fall;
      return arc;
    }
    if (lib) {
      arc.fixed = false;
      arc.rise_delay = curve(lib->cell_rise, out_load);
      arc.fall_delay = curve(lib->cell_fall, out_load);
      arc.rise_transition = curve(lib->rise_transition, out_load);
      arc.fall_transition = curve(lib->fall_transition, out_load);
    }
    if (options.fixed) {
      if (!options.allow_partial)
        throw Error(fmt::format("instance {} ({}): the SDF gives no delay from {} to {}; give --allow-partial to take "
                                "the library's",
                                inst.name, inst.cell->name, from, to.name));
      ++fallen_back;
    }
    if (!lib) {
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
      std::vector<int> inputs;
      bool on_clock = false;
      for (const auto& c : inst.connections)
        if (is_input(*c.pin)) {
          input_names.push_back(c.pin->name);
          inputs.push_back(slot(c.net));
          on_clock |= c.net >= 0 && clock_net[c.net];
        }
      if (on_clock) continue;  // clock buffers: their nets are the clock network
      g.inputs = static_cast<std::uint32_t>(input_pool.size());
      g.input_count = static_cast<std::uint32_t>(inputs.size());
      input_pool.insert(input_pool.end(), inputs.begin(), inputs.end());
      if (options.parasitics) {
        input_wire.resize(g.inputs);
        for (const auto& c : inst.connections)
          if (is_input(*c.pin))
            input_wire.push_back(to_time(options.parasitics->wire_delay(c.net, static_cast<int>(i), c.pin)));
      }
      if (input_names.size() > 20)
        throw Error(fmt::format("instance {} ({}): {} inputs, more than the timed engine evaluates (20)", inst.name,
                                inst.cell->name, input_names.size()));
      for (const auto& c : inst.connections) {
        if (c.pin->direction != PinDirection::output || c.net < 0 || c.pin->function.empty()) continue;
        Output out;
        out.net = c.net;
        out.truth = static_cast<std::uint32_t>(truth_pool.size());
        auto& table = truth_tables.try_emplace({c.pin, input_names}).first->second;
        if (table.empty()) table = truth_table(*inst.cell, *c.pin, input_names);  // once per cell pin
        truth_pool.insert(truth_pool.end(), table.begin(), table.end());
        out.truth_rows = table[0];
        out.arcs = static_cast<std::uint32_t>(arc_pool.size());
        for (const auto& from : input_names) arc_pool.push_back(hot(arc_for(i, *c.pin, from, false, load[c.net])));

        if (g.output_count++ == 0) g.outputs = static_cast<std::uint32_t>(outputs.size());
        outputs.push_back(std::move(out));
      }
      if (g.output_count) gates.push_back(std::move(g));
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
      for (std::uint32_t o = gates[g].outputs; o < gates[g].outputs + gates[g].output_count; ++o)
        driver[outputs[o].net] = static_cast<int>(g);
    enum : char { fresh, active, finished };
    std::vector<char> state(gates.size(), fresh);
    for (std::size_t start = 0; start < gates.size(); ++start) {
      if (state[start] != fresh) continue;
      std::vector<std::pair<int, std::size_t>> stack = {{static_cast<int>(start), 0}};
      state[start] = active;
      while (!stack.empty()) {
        auto& [g, next] = stack.back();
        if (next == gates[g].input_count) {
          state[g] = finished;
          stack.pop_back();
          continue;
        }
        const int in = input_pool[gates[g].inputs + next++];
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
    std::vector<std::vector<Load>> lists(nets);
    for (std::size_t g = 0; g < gates.size(); ++g)
      for (std::uint32_t i = 0; i < gates[g].input_count; ++i) {
        const int in = input_pool[gates[g].inputs + i];
        const std::uint32_t arc = outputs[gates[g].outputs].arcs + i;
        if (in < nets) lists[in].push_back({static_cast<int>(g), static_cast<int>(i), arc, arc_pool[arc].rise});
      }
    for (int n = 0; n < nets; ++n) {
      if (lists[n].size() > 0xffff)
        throw Error(fmt::format("net {} has {} loads, more than the timed engine takes (65535)", n, lists[n].size()));
      net_state[n].fanout = static_cast<std::uint32_t>(fanout.size());
      net_state[n].loads = static_cast<std::uint16_t>(lists[n].size());
      fanout.insert(fanout.end(), lists[n].begin(), lists[n].end());
      if (!input_wire.empty())
        for (const Load& l : lists[n]) fanout_wire.push_back(input_wire[gates[l.gate].inputs + l.input]);
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
          const Arc arc = arc_for(i, *c.pin, from, false, load[c.net]);
          const bool rising = edge[net].rising != arc.inverting;
          const auto [d, t] = delay_and_transition(arc, rising, edge[net].slew);
          const double wire =
              options.parasitics ? options.parasitics->wire_delay(net, static_cast<int>(i), inst.cell->find_pin(from)) : 0;
          edge[c.net] = {edge[net].time + wire + d, t, rising};
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
        if (c.pin->name == clock_pin && c.net >= 0) {
          at = edges[c.net];
          if (options.parasitics) at.time += options.parasitics->wire_delay(c.net, static_cast<int>(i), c.pin);
        }
      for (const auto& c : inst.connections) {
        if (c.pin->direction != PinDirection::output || c.net < 0) continue;
        RegisterOutput r;
        r.net = c.net;
        if (!clock_pin.empty()) {
          const Arc arc = arc_for(i, *c.pin, clock_pin, true, load[c.net]);
          const auto [rise, rise_slew] = delay_and_transition(arc, true, at.slew);
          const auto [fall, fall_slew] = delay_and_transition(arc, false, at.slew);
          r.rise_at = to_time(at.time) + to_time(rise);
          r.fall_at = to_time(at.time) + to_time(fall);
          r.rise_slew = rise_slew;
          r.fall_slew = fall_slew;
        }
        registers.push_back(r);
      }
    }
  }

  // The same for an arc used once while compiling (clock tree, registers).
  std::pair<double, double> delay_and_transition(const Arc& arc, bool rising, double in_slew) {
    double d = 0, t = 0;
    delay_and_transition(hot(arc), rising, in_slew, d, t);
    return {d, t};
  }
  // An event's delay and output transition through a compiled arc.
  void delay_and_transition(const HotArc& arc, bool rising, double in_slew, double& d, double& t) const {
    const std::uint32_t at = rising ? arc.rise : arc.fall;
    if (arc.n == 0) {
      d = fixed_pool[at];
      t = 0;
      return;
    }
    const float* p = &hot_pool[at];
    if (arc.n == 1) {
      d = std::max(0.0f, p[0]);
      t = std::max(0.0f, p[1]);
      return;
    }
    const float* x = &x_pool[arc.x];
    std::uint32_t i = 1;
    while (i + 1 < arc.n && in_slew > x[i]) ++i;
    const double dx = in_slew - x[i - 1], step = x_step[arc.x + i];
    d = std::max(0.0, p[2 * i - 2] + (p[2 * i] - p[2 * i - 2]) * dx * step);
    t = std::max(0.0, p[2 * i - 1] + (p[2 * i + 1] - p[2 * i - 1]) * dx * step);
  }

  std::uint8_t evaluate(const Output& out, std::size_t row) const {
    if (row < 64) return static_cast<std::uint8_t>((out.truth_rows >> row) & 1);
    return static_cast<std::uint8_t>((truth_pool[out.truth + row / 64] >> (row % 64)) & 1);
  }

  void push(Time time, int target) { queue.push({time, next_seq++, target}); }

  // Gate g's inputs changed at `time`: re-evaluate its outputs. A change of
  // an output's logic value schedules an event after the delay of the path
  // from the input that changed last (the fastest of those that changed
  // together, IEEE 1364 14.4); when an event comes due, the output takes the
  // value its logic has then. A pulse shorter than the delay has gone by
  // then and is swallowed: inertial delay as Verilog path delays have it.
  void evaluate_gate(int g, Time time) {
    const Gate& gate = gates[g];
    const int* inputs = &input_pool[gate.inputs];
    const std::size_t row = gate_state[g].row;
    const std::uint32_t changed = gate_state[g].changed;
    gate_state[g].changed = 0;
    for (std::uint32_t o = gate.outputs; o < gate.outputs + gate.output_count; ++o) {
      Output& out = outputs[o];
      const std::uint8_t v = evaluate(out, row);
      if (v == out.internal) continue;
      out.internal = v;
      double best = -1, best_slew = 0;
      for (std::uint32_t rest = changed; rest; rest &= rest - 1) {
        const int i = std::countr_zero(rest);
        const HotArc& arc = arc_pool[out.arcs + i];
        const double in_slew = net_state[inputs[i]].slew;  // inputs that change are nets, never constants
        double d, t;
        delay_and_transition(arc, v, in_slew, d, t);
        if (best < 0 || d < best) {
          best = d;
          best_slew = t;
        }
      }
      out.slew = best_slew;
      push(time + to_time(std::max(best, 0.0)), static_cast<int>(o));
    }
  }

  // A net changes; its loads are re-evaluated once every event of this
  // instant has happened (an output due now takes the value its logic had
  // before this instant's changes reach it, as an event-driven simulator's
  // delta cycles have it).
  void change(int net, std::uint8_t v, double s, Time now) {
    NetState& state = net_state[net];
    state.value = v;
    state.slew = s;
    if (toggle_count[net]++ == 0) toggled.push_back(net);
    const std::uint32_t end = state.fanout + state.loads;
    if (fanout_wire.empty()) {  // no wires: the loop without a test per load (5% of the replay's instructions)
      for (std::uint32_t f = state.fanout; f < end; ++f) reach(fanout[f]);
      return;
    }
    for (std::uint32_t f = state.fanout; f < end; ++f) {
      if (fanout_wire[f] > 0)  // the change reaches this pin after its wire's delay
        push(now + fanout_wire[f], pin_event(f, v));
      else
        reach(fanout[f]);
    }
  }
  // A change reaching a load's pin now: the gate's input flips, its arc is fetched ahead.
  void reach(const Load& l) {
    __builtin_prefetch(&arc_pool[l.arc]);
    // Fixed (SDF) arcs index fixed_pool; hot_pool may then be empty.
    if (l.rise < hot_pool.size()) __builtin_prefetch(hot_pool.data() + l.rise);
    flip(l);
  }
  void flip(const Load& l) {
    GateState& gate = gate_state[l.gate];
    const std::uint32_t pin = 1u << l.input;
    gate.row ^= pin;
    if (gate.changed == 0) touched.push_back(l.gate);
    gate.changed |= pin;
  }
  // Events past the outputs' numbers: a change reaching a load's pin over a wire.
  int pin_event(std::uint32_t f, std::uint8_t v) const { return static_cast<int>(outputs.size() + 2 * f + v); }
  void arrive(int event) {
    const std::size_t p = static_cast<std::size_t>(event) - outputs.size();
    const Load& l = fanout[p / 2];
    if (((gate_state[l.gate].row >> l.input) & 1) != (p & 1)) flip(l);
  }

  bool bit(const std::uint32_t* words, std::size_t b) const { return (words[b / 32] >> (b % 32)) & 1; }

  // Every net at the values its drivers give from `before` (the
  // exposed nets), unless the last replay settled there already.
  void start_from(const std::uint32_t* before) {
    const std::size_t words = (exposed.size() + 31) / 32;
    const bool continues = settled && std::equal(before, before + words, settled_at.begin());
    settled = false;
    if (continues) return;
    for (std::size_t b = 0; b < exposed.size(); ++b) net_state[exposed[b]].value = bit(before, b);
    for (Output& out : outputs) out.internal = net_state[out.net].value;
    for (std::size_t g = 0; g < gates.size(); ++g) {
      std::uint32_t row = 0;
      for (std::uint32_t i = 0; i < gates[g].input_count; ++i)
        row |= std::uint32_t{net_state[input_pool[gates[g].inputs + i]].value} << i;
      gate_state[g] = {row, 0};
    }
  }

  bool replay(const std::uint32_t* before, const std::uint32_t* after) {
    start_from(before);
    // The settled state after: the sources take these values.
    for (std::size_t b = 0; b < exposed.size(); ++b) target[exposed[b]] = bit(after, b);
    for (int net : primary_inputs)
      if (target[net] != net_state[net].value) {
        source_slew[net] = options.input_slew;
        push(to_time(options.input_delay), -(net + 1));
      }
    for (const RegisterOutput& r : registers)
      if (target[r.net] != net_state[r.net].value) {
        source_slew[r.net] = target[r.net] ? r.rise_slew : r.fall_slew;
        push(target[r.net] ? r.rise_at : r.fall_at, -(r.net + 1));
      }
    std::uint64_t events = 0;
    const std::uint64_t limit = 1000 + 200 * std::uint64_t(nets);
    const bool wires = !fanout_wire.empty();  // pin events only come with wires
    const std::size_t output_count = outputs.size();
    while (!queue.empty()) {
      const Time now = queue.take_next(due);
      touched.clear();
      for (const Event& e : due) {
        if (++events > limit)
          throw Error(fmt::format("timed replay: more than {} events in one cycle; the netlist oscillates", limit));
        if (e.target < 0) {
          const int net = -e.target - 1;
          if (net_state[net].value != target[net]) change(net, target[net], source_slew[net], now);
          continue;
        }
        if (wires && static_cast<std::size_t>(e.target) >= output_count) {
          arrive(e.target);
          continue;
        }
        const Output& out = outputs[e.target];
        if (net_state[out.net].value != out.internal) change(out.net, out.internal, out.slew, now);
      }
      for (int g : touched) evaluate_gate(g, now);
    }
    ++cycles;
    for (std::size_t b = 0; b < exposed.size(); ++b) {
      const int net = exposed[b];
      if (!clock_net[net] && net_state[net].value != target[net]) {
        ++mismatched;
        return false;
      }
    }
    settled = true;  // the next replay may start from here
    settled_at.assign(after, after + (exposed.size() + 31) / 32);
    return true;
  }
};

ArcDelays liberty_arc_delays(const Netlist& netlist, const Library& library, const TimedOptions& options) {
  const std::vector<double> loads = net_loads(netlist, library, options.wire_load, false, options.parasitics);
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
TimedSimulator::TimedSimulator(const TimedSimulator& other) : impl_(std::make_unique<Impl>(*other.impl_)) {}

bool TimedSimulator::replay(const std::uint32_t* before, const std::uint32_t* after) {
  return impl_->replay(before, after);
}
std::uint64_t TimedSimulator::cycles() const { return impl_->cycles; }
std::uint64_t TimedSimulator::mismatched_cycles() const { return impl_->mismatched; }
const std::vector<std::uint64_t>& TimedSimulator::toggles() const { return impl_->toggle_count; }
const std::vector<int>& TimedSimulator::toggled_nets() const { return impl_->toggled; }
std::size_t TimedSimulator::arcs_fallen_back() const { return impl_->fallen_back; }
std::size_t TimedSimulator::arcs_without_delay() const { return impl_->without_delay; }
void TimedSimulator::reset_counts() {
  for (int net : impl_->toggled) impl_->toggle_count[net] = 0;
  impl_->toggled.clear();
  impl_->cycles = impl_->mismatched = 0;
}

}  // namespace neuroppa::tech

namespace neuroppa::tech {

std::string ActivityMode::name() const {
  if (!timed) return "zero-delay";
  if (fraction >= 1) return "timed";
  return fmt::format("timed:{:g}", fraction);
}

ActivityMode parse_activity_mode(const std::string& text, const std::string& option) {
  if (text == "zero-delay") return {false, 1};
  if (text == "timed") return {true, 1};
  if (text.rfind("timed:", 0) == 0) {
    const std::string f = text.substr(6);
    std::size_t used = 0;
    const double v = base::leading_number(f, used);
    if (used == f.size() && used > 0 && v > 0 && v <= 1) return {true, v};
  }
  throw Error(fmt::format("{} {}: choose zero-delay, timed, or timed:F with a fraction 0 < F <= 1 of cycles "
                          "(e.g. timed:0.05)",
                          option, text));
}

struct TimedSampler::Impl {
  // Replays run on `threads` simulators (worker threads when more than
  // one); each sums its cycles' glitch excess as whole toggle counts per
  // bank, batch and weight (1 / the fraction replayed then), so the totals
  // do not depend on which worker replayed which cycle.
  struct Bank {
    std::vector<std::vector<std::vector<std::int64_t>>> excess;  // [weight class][batch][net]
    std::vector<std::uint64_t> cycles;                           // per batch
  };
  struct Job {
    std::size_t bank = 0, batch = 0, klass = 0;
  };
  // Cycles handed to a worker together (one lock and wake-up per chunk, not
  // per cycle): job i replays states[2i] -> states[2i+1].
  struct Chunk {
    std::vector<Job> jobs;
    std::vector<std::uint32_t> states;
  };
  static constexpr std::size_t kChunk = 32;

  std::vector<std::unique_ptr<TimedSimulator>> sims;
  ActivityMode mode;
  std::uint64_t state;  // splitmix64: the same cycles for the same seed everywhere
  std::vector<int> exposed;
  int nets = 0;
  std::size_t words = 0;
  std::vector<double> weights;  // per weight class
  std::vector<Bank> banks;
  std::size_t bank = 0;
  std::uint64_t replays = 0;

  std::mutex mutex;  // guards jobs, busy, stop and the banks while workers run
  std::condition_variable work, done;
  std::deque<Chunk> jobs;
  Chunk filling;  // the caller's, not yet handed over
  int busy = 0;
  bool stop = false;
  std::vector<std::thread> workers;
  static constexpr std::size_t kQueue = 8;  // chunks waiting

  Impl(const Netlist& n, const Library& lib, const std::string& clock, const TimedOptions& o, const ActivityMode& m,
       std::uint64_t seed, unsigned threads)
      : mode(m), state(seed), exposed(exposed_nets(n, clock)), nets(n.net_count()), words((exposed.size() + 31) / 32) {
    threads = std::max(1u, threads);
    sims.push_back(std::make_unique<TimedSimulator>(n, lib, clock, o));
    while (sims.size() < threads) sims.push_back(std::make_unique<TimedSimulator>(*sims.front()));
    reset(1);
    if (threads > 1)
      for (unsigned t = 0; t < threads; ++t)
        workers.emplace_back([this, t] {
          // The caller's simulation produces the cycles and nothing runs
          // without it: replays take the cores it leaves (a nicer thread).
          setpriority(PRIO_PROCESS, static_cast<id_t>(::gettid()), 10);
          serve(*sims[t]);
        });
  }

  ~Impl() {
    {
      std::lock_guard lock(mutex);
      stop = true;
    }
    work.notify_all();
    for (auto& w : workers) w.join();
  }

  void reset(std::size_t count) {
    drain();
    banks.assign(count, Bank{{}, std::vector<std::uint64_t>(kBatches, 0)});
    weights.clear();
    bank = 0;
  }

  std::size_t weight_class() {
    const double w = 1 / mode.fraction;
    for (std::size_t k = 0; k < weights.size(); ++k)
      if (weights[k] == w) return k;
    std::lock_guard lock(mutex);  // workers may be adding to the banks
    weights.push_back(w);
    for (Bank& b : banks)
      b.excess.emplace_back(kBatches, std::vector<std::int64_t>(nets, 0));
    return weights.size() - 1;
  }

  double uniform() {
    std::uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    z ^= z >> 31;
    return double(z >> 11) * 0x1.0p-53;
  }

  void cycle(const std::uint32_t* before, const std::uint32_t* after) {
    if (!mode.timed || (mode.fraction < 1 && uniform() >= mode.fraction)) return;
    const Job job{bank, replays++ % kBatches, weight_class()};
    if (workers.empty()) {
      run(*sims[0], before, after, job);
      return;
    }
    filling.jobs.push_back(job);
    filling.states.insert(filling.states.end(), before, before + words);
    filling.states.insert(filling.states.end(), after, after + words);
    if (filling.jobs.size() == kChunk) hand_over();
  }

  void hand_over() {
    if (filling.jobs.empty()) return;
    std::unique_lock lock(mutex);
    done.wait(lock, [&] { return jobs.size() < kQueue; });
    jobs.push_back(std::move(filling));
    lock.unlock();
    work.notify_one();
    filling = Chunk{};
  }

  void serve(TimedSimulator& sim) {
    for (;;) {
      std::unique_lock lock(mutex);
      work.wait(lock, [&] { return stop || !jobs.empty(); });
      if (jobs.empty()) return;
      Chunk chunk = std::move(jobs.front());
      jobs.pop_front();
      ++busy;
      lock.unlock();
      done.notify_all();  // room in the queue
      for (std::size_t i = 0; i < chunk.jobs.size(); ++i) {
        const std::uint32_t* before = &chunk.states[2 * i * words];
        run(sim, before, before + words, chunk.jobs[i]);
      }
      lock.lock();
      --busy;
      lock.unlock();
      done.notify_all();
    }
  }

  // Replays one cycle and adds timed minus zero-delay toggles to the job's bank.
  void run(TimedSimulator& sim, const std::uint32_t* before, const std::uint32_t* after, const Job& job) {
    sim.reset_counts();
    sim.replay(before, after);
    const std::vector<std::uint64_t>& toggles = sim.toggles();
    std::lock_guard lock(mutex);
    Bank& b = banks[job.bank];
    ++b.cycles[job.batch];
    std::vector<std::int64_t>& excess = b.excess[job.klass][job.batch];
    for (int net : sim.toggled_nets()) excess[net] += static_cast<std::int64_t>(toggles[net]);
    for (std::size_t w = 0; w < words; ++w)  // less the zero-delay toggles
      for (std::uint32_t changed = before[w] ^ after[w]; changed; changed &= changed - 1)
        --excess[exposed[w * 32 + std::countr_zero(changed)]];
  }

  // Waits until every queued replay has been counted.
  void drain() {
    hand_over();
    std::unique_lock lock(mutex);
    done.wait(lock, [&] { return jobs.empty() && busy == 0; });
  }

  // zero_delay + the weighted excess of the given batches, scaled up by
  // kBatches / count (each batch sees one in kBatches of the replays).
  Activity scaled(const Activity& zero_delay, const Bank& b, std::size_t first, std::size_t count) const {
    Activity a = zero_delay;
    const double scale = double(kBatches) / double(count);
    for (int net = 0; net < nets; ++net) {
      double e = 0;
      for (std::size_t k = 0; k < weights.size(); ++k) {
        std::int64_t sum = 0;
        for (std::size_t batch = first; batch < first + count; ++batch) sum += b.excess[k][batch][net];
        e += weights[k] * double(sum);
      }
      if (e == 0) continue;
      const double est = double(a.toggles[net]) + e * scale;
      a.toggles[net] = static_cast<std::uint64_t>(std::llround(std::max(0.0, est)));
    }
    return a;
  }
};

TimedSampler::TimedSampler(const Netlist& netlist, const Library& library, const std::string& clock,
                           const TimedOptions& options, const ActivityMode& mode, std::uint64_t seed, unsigned threads)
    : impl_(std::make_unique<Impl>(netlist, library, clock, options, mode, seed, threads)) {}
TimedSampler::~TimedSampler() = default;
TimedSampler::TimedSampler(TimedSampler&&) noexcept = default;

void TimedSampler::cycle(const std::uint32_t* before, const std::uint32_t* after) { impl_->cycle(before, after); }
void TimedSampler::use_banks(std::size_t count) { impl_->reset(count); }
void TimedSampler::select_bank(std::size_t bank) { impl_->bank = bank; }
void TimedSampler::set_fraction(double fraction) { impl_->mode.fraction = std::clamp(fraction, 1e-6, 1.0); }
const ActivityMode& TimedSampler::mode() const { return impl_->mode; }

Activity TimedSampler::estimate(const Activity& zero_delay, std::size_t bank) const {
  impl_->drain();
  return impl_->scaled(zero_delay, impl_->banks[bank], 0, kBatches);
}

std::vector<Activity> TimedSampler::batch_estimates(const Activity& zero_delay, std::size_t bank) const {
  impl_->drain();
  std::vector<Activity> out;
  for (std::size_t k = 0; k < kBatches; ++k) out.push_back(impl_->scaled(zero_delay, impl_->banks[bank], k, 1));
  return out;
}

std::uint64_t TimedSampler::replayed(std::size_t bank) const {
  impl_->drain();
  std::uint64_t n = 0;
  for (auto c : impl_->banks[bank].cycles) n += c;
  return n;
}
std::uint64_t TimedSampler::mismatched_cycles() const {
  impl_->drain();
  std::uint64_t n = 0;
  for (const auto& sim : impl_->sims) n += sim->mismatched_cycles();
  return n;
}
const TimedSimulator& TimedSampler::simulator() const {
  impl_->drain();
  return *impl_->sims.front();
}

Interval confidence_interval(const std::vector<double>& batches) {
  Interval r;
  const std::size_t n = batches.size();
  if (n == 0) return r;
  for (double v : batches) r.mean += v;
  r.mean /= double(n);
  if (n < 2) return r;
  double ss = 0;
  for (double v : batches) ss += (v - r.mean) * (v - r.mean);
  // Student t, 97.5th percentile, for n - 1 degrees of freedom (n <= 30 tabulated).
  static const double t975[] = {0,     12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228,
                                2.201, 2.179,  2.160, 2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086, 2.080,
                                2.074, 2.069,  2.064, 2.060, 2.056, 2.052, 2.048, 2.045, 2.042};
  const double t = n - 1 <= 30 ? t975[n - 1] : 1.96;
  r.half_width = t * std::sqrt(ss / double(n - 1)) / std::sqrt(double(n));
  return r;
}

}  // namespace neuroppa::tech
