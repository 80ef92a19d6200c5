#include "neuroppa/sim/datapath.hpp"

#include <algorithm>
#include <stdexcept>
#include <fmt/format.h>

#include "neuroppa/base/error.hpp"
#include "neuroppa/sim/kernel_harness.hpp"
#include "neuroppa/sim/macro_model.hpp"
#include "neuroppa/tech/toggle_counter.hpp"

namespace neuroppa::sim {

using models::KernelKind;
using models::Layer;
using models::LayerType;

std::string_view to_string(Level level) {
  switch (level) {
    case Level::rtl: return "rtl";
    case Level::gate: return "gate";
    case Level::macro: return "macro";
  }
  return "?";
}

LayerStats& LayerStats::operator+=(const LayerStats& o) {
  cycles += o.cycles;
  beats += o.beats;
  skipped_beats += o.skipped_beats;
  lane_beats += o.lane_beats;
  outputs += o.outputs;
  spikes += o.spikes;
  graded += o.graded;
  stall_cycles += o.stall_cycles;
  weight_fetch_bytes += o.weight_fetch_bytes;
  weights += o.weights;
  activations += o.activations;
  membrane += o.membrane;
  return *this;
}

LayerStats RunStats::total() const {
  LayerStats sum;
  for (const LayerStats& l : layers) sum += l;
  return sum;
}

RunStats& RunStats::operator+=(const RunStats& o) {
  images += o.images;
  input_spikes += o.input_spikes;
  layers.resize(std::max(layers.size(), o.layers.size()));
  for (std::size_t i = 0; i < o.layers.size(); ++i) layers[i] += o.layers[i];
  return *this;
}

EnergyParts& EnergyParts::operator+=(const EnergyParts& o) {
  kernels += o.kernels;
  sequential += o.sequential;
  combinational += o.combinational;
  clock += o.clock;
  memory += o.memory;
  return *this;
}

bool MemoryEnergy::priced() const {
  return weight_read > 0 || weight_write > 0 || activation_read > 0 || activation_write > 0 || membrane_read > 0 || membrane_write > 0 ||
         weight_leakage > 0 || activation_leakage > 0 || membrane_leakage > 0;
}

// One kernel instance and its ports, written directly.
struct Datapath::Lane {
  vmodel::ModelInstance instance;
  KernelPorts ports;
  std::unique_ptr<tech::ToggleCounter> toggles;  // gate level
  std::unique_ptr<tech::TimedSampler> timed;     // gate level, timed activity
  std::unique_ptr<MacroFeatures> macro;          // macro level

  Lane(std::shared_ptr<const vmodel::LoadedModel> model, models::KernelKind kind)
      : instance(std::move(model)), ports(instance, kind) {
    reset_kernel(instance, ports);
  }
};

struct Datapath::LaneArray {
  models::KernelParams params;
  std::optional<sim::KernelNetlist> netlist;  // gate level
  std::shared_ptr<const MacroModel> macro;    // macro level
  std::vector<std::unique_ptr<Lane>> lanes;
  unsigned x_words = 0, w_words = 0;
};

// A compute layer prepared for the array: weights packed per output
// channel and beat, as the weight memory holds them.
struct Datapath::LayerPlan {
  LaneArray* array = nullptr;
  unsigned beats = 0;  // per neuron
  std::vector<std::uint32_t> weights;  // [channel][beat][w_words]
  // Per image: the beats issued at each position, and the packed activation beats.
  std::vector<std::vector<unsigned>> issued;
  std::vector<std::uint32_t> x_words;  // [position][beat][x_words + 1]
  // Sigma-delta: whether each neuron updates this timestep, [position][channel].
  std::vector<std::uint8_t> updates;
};

Datapath::Datapath(const models::Network& network, const DatapathConfig& config,
                         const std::filesystem::path& cache_dir, const ProgressFn& progress)
    : network_(network), config_(config), workers_(std::make_unique<LaneWorkers>(config.threads)), cache_dir_(cache_dir) {
  models::validate(network_, network_.name.empty() ? "network" : network_.name);
  if (config_.lanes == 0 || config_.lanes > 4096)
    throw Error(fmt::format("--lanes {}: choose 1..4096 kernel lanes", config_.lanes));
  if (config_.level == Level::gate && !config_.library) throw Error("gate level needs a cell library");
  if (config_.level == Level::macro && !config_.macro_model) throw Error("macro level needs the kernels' macro-models");
  vmodel::ModelCache cache(cache_dir, progress);
  for (KernelKind kind : network_.kinds()) {
    auto array = std::make_unique<LaneArray>();
    // One kernel per kind: every layer of the kind must fit it.
    const Layer* first = nullptr;
    for (const Layer& l : network_.layers) {
      if (!l.computes() || l.kind != kind) continue;
      if (!first) first = &l;
      if (l.code_bits != first->code_bits)
        throw Error(fmt::format("{}: layers of one kind must share one code width", network_.name));
    }
    array->params = network_.kernel_params(*first, config_.K);
    if (auto error = models::validate(array->params)) throw Error(*error);
    std::shared_ptr<const vmodel::LoadedModel> model;
    if (config_.level == Level::gate) {
      array->netlist = sim::synthesize_kernel(array->params, *config_.library, cache_dir, progress);
      model = cache.load(sim::kernel_gate_spec(*array->netlist, true));
    } else {
      model = cache.load(sim::kernel_rtl_spec(array->params));
      if (config_.level == Level::macro) array->macro = config_.macro_model(array->params);
    }
    for (unsigned p = 0; p < config_.lanes; ++p) {
      array->lanes.push_back(std::make_unique<Lane>(model, kind));
      Lane& lane = *array->lanes.back();
      if (array->macro) {
        lane.macro = std::make_unique<MacroFeatures>(lane.ports, array->params);
        lane.macro->use_banks(network_.layers.size());
      }
      if (array->netlist) {
        lane.toggles = std::make_unique<tech::ToggleCounter>(lane.instance, array->netlist->netlist, "clk_i");
        lane.toggles->use_banks(network_.layers.size());
        lane.toggles->sample();  // the state after reset is the reference
        if (config_.activity.timed) {
          // One seed a lane: a lane runs the same cycles whatever the thread count.
          lane.timed = std::make_unique<tech::TimedSampler>(array->netlist->netlist, *config_.library, "clk_i",
                                                            tech::TimedOptions{}, config_.activity, p + 1);
          lane.timed->use_banks(network_.layers.size());
        }
      }
    }
    array->x_words = array->lanes[0]->ports.x_i.words();
    array->w_words = array->lanes[0]->ports.w_i.words();
    arrays_.push_back(std::move(array));
  }
  plan_layers();
  stats_.layers.resize(network_.layers.size());
}

Datapath::~Datapath() = default;

void Datapath::plan_layers() {
  plans_.clear();
  for (const Layer& l : network_.layers) {
    LayerPlan plan;
    if (l.computes()) {
      plan.array = &array_of(l.kind);
      const unsigned K = config_.K, n = l.fan_in();
      plan.beats = (n + K - 1) / K;
      const unsigned ww = plan.array->w_words;
      plan.weights.assign(std::size_t{l.out.channels} * plan.beats * ww + 1, 0);
      std::vector<std::uint32_t> chunk(K), words(ww + 1);
      for (unsigned o = 0; o < l.out.channels; ++o)
        for (unsigned b = 0; b < plan.beats; ++b) {
          std::fill(chunk.begin(), chunk.end(), 0u);
          for (unsigned k = 0; k < K && b * K + k < n; ++k) chunk[k] = l.codes[std::size_t{o} * n + b * K + k];
          pack_bits(chunk, l.code_bits, words);
          std::copy_n(words.begin(), ww, &plan.weights[(std::size_t{o} * plan.beats + b) * ww]);
        }
    }
    plans_.push_back(std::move(plan));
  }
}

void Datapath::load(const models::Network& network) {
  models::validate(network, "loaded network");
  if (network.layers.size() != network_.layers.size())
    throw Error(fmt::format("the network has {} layers; this accelerator was built for {}", network.layers.size(),
                            network_.layers.size()));
  if (network.spiking() != network_.spiking() || network.XW != network_.XW || network.AW != network_.AW)
    throw Error("the network's activation width, accumulator width or spiking mode differs from the accelerator's");
  for (std::size_t i = 0; i < network.layers.size(); ++i) {
    const Layer& a = network.layers[i];
    const Layer& b = network_.layers[i];
    if (a.type != b.type || a.in != b.in || a.out != b.out || (a.computes() && a.kind != b.kind))
      throw Error(fmt::format("layer {} is {}; this accelerator was built for {}", i + 1, a.describe(), b.describe()));
    if (a.computes() && network.kernel_params(a, config_.K) != array_of(b.kind).params)
      throw Error(fmt::format("layer {}: its kernel ({}) is not the accelerator's ({})", i + 1,
                              network.kernel_params(a, config_.K).describe(), array_of(b.kind).params.describe()));
  }
  const std::string name = network_.name;
  network_ = network;
  network_.name = name;
  plan_layers();
}

void Datapath::add_weight_fetch(std::size_t index, std::uint64_t bytes) {
  LayerStats& s = stats_.layers[index];
  s.weight_fetch_bytes += bytes;
  const std::uint64_t word_bits = std::uint64_t{config_.K} * network_.layers[index].code_bits;
  s.weights.writes += (bytes * 8 + word_bits - 1) / word_bits;
}

void Datapath::absorb_stats(Datapath& other) {
  stats_ += other.stats_;
  for (std::size_t a = 0; a < arrays_.size() && a < other.arrays_.size(); ++a)
    for (std::size_t l = 0; l < arrays_[a]->lanes.size() && l < other.arrays_[a]->lanes.size(); ++l)
      if (arrays_[a]->lanes[l]->macro && other.arrays_[a]->lanes[l]->macro)
        arrays_[a]->lanes[l]->macro->absorb(*other.arrays_[a]->lanes[l]->macro);
  other.stats_ = RunStats{};
  other.stats_.layers.resize(other.network_.layers.size());
}

void Datapath::add_stalls(std::size_t index, std::uint64_t cycles) {
  stats_.layers[index].stall_cycles += cycles;
  stats_.layers[index].cycles += cycles;
}

Datapath::LaneArray& Datapath::array_of(KernelKind kind) {
  for (auto& a : arrays_)
    if (a->params.kind == kind) return *a;
  throw std::logic_error("no lane array for a kind of the network");
}

void Datapath::compute_layer(std::size_t index, const std::vector<std::uint32_t>& in,
                             const std::vector<std::uint32_t>& residual, std::vector<std::uint32_t>& out,
                             models::LayerState* state, unsigned timestep) {
  const Layer& layer = network_.layers[index];
  LayerPlan& plan = plans_[index];
  LaneArray& array = *plan.array;
  LayerStats& stats = stats_.layers[index];
  const unsigned K = config_.K, P = config_.lanes;
  const unsigned bits = array.params.activation_bits(), ww = array.w_words, xw = array.x_words + 1;
  const models::Backend backend = models::backend_of(layer.kind);
  const bool event_driven = backend != models::Backend::output_stage;
  const unsigned state_words = network_.state_words(layer);
  const bool sigma_delta = backend == models::Backend::sigma_delta;
  const models::KernelParams& params = array.params;
  const unsigned positions = layer.type == LayerType::conv ? layer.out.height * layer.out.width : 1;
  const unsigned groups = (layer.out.channels + P - 1) / P;
  plan.updates.assign(sigma_delta ? std::size_t{positions} * layer.out.channels : 0, 1);

  // The controller's side, once per position: the fan-in read from the
  // activation buffer, the beats to issue, each packed once for all lanes.
  plan.issued.resize(positions);
  LayerPass& pass = schedule_.emplace_back();
  pass.layer = index;
  pass.beats = plan.beats;
  pass.groups = groups;
  pass.last_group_lanes = layer.out.channels - (groups - 1) * P;
  plan.x_words.resize(std::size_t{positions} * plan.beats * xw);
  std::vector<std::uint32_t> fan(std::size_t{plan.beats} * K, 0);
  for (unsigned pos = 0; pos < positions; ++pos) {
    const unsigned y = layer.type == LayerType::conv ? pos / layer.out.width : 0;
    models::gather_fan_in(layer, in, residual, y, layer.type == LayerType::conv ? pos % layer.out.width : 0, fan.data());
    std::vector<unsigned>& issued = plan.issued[pos];
    issued.clear();
    for (unsigned b = 0; b < plan.beats; ++b) {
      const std::uint32_t* chunk = &fan[std::size_t{b} * K];
      if (event_driven && std::all_of(chunk, chunk + K, [](std::uint32_t s) { return s == 0; })) continue;
      issued.push_back(b);
    }
    const std::uint64_t skipped = plan.beats - issued.size();
    const bool no_event = issued.empty();
    if (issued.empty()) issued.push_back(plan.beats - 1);  // one empty beat applies bias and threshold
    pass.issued.push_back(unsigned(issued.size()));
    pass.issued_beats.insert(pass.issued_beats.end(), issued.begin(), issued.end());
    for (unsigned b : issued)
      pack_bits(std::span(&fan[std::size_t{b} * K], K), bits,
                std::span(&plan.x_words[(std::size_t{pos} * plan.beats + b) * xw], xw));
    for (unsigned g = 0; g < groups; ++g) {
      const unsigned active = std::min(P, layer.out.channels - g * P);
      unsigned working = active;  // lanes that update their neuron
      if (sigma_delta && no_event && timestep > 0) {
        working = 0;
        for (unsigned c = g * P; c < g * P + active; ++c) {
          const std::size_t neuron = std::size_t{c} * positions + pos;
          const bool update = !models::sigma_delta_quiet(params, state->residue[neuron], layer.shift, layer.vth);
          plan.updates[std::size_t{pos} * layer.out.channels + c] = update;
          working += update;
        }
      }
      if (sigma_delta) pass.group_lanes.push_back(working);
      stats.activations.reads += event_driven ? plan.beats : issued.size();  // event-driven: every beat is looked at
      stats.activations.writes += active;  // a quiet neuron's 0 too: the next layer reads every input
      stats.outputs += active;
      if (working == 0) {  // every neuron of the group quiet: nothing issued
        stats.skipped_beats += plan.beats;
        continue;
      }
      stats.beats += issued.size();
      stats.skipped_beats += skipped;
      stats.cycles += issued.size();
      stats.lane_beats += std::uint64_t{working} * issued.size();
      stats.weights.reads += std::uint64_t{working} * issued.size();
      stats.membrane.reads += std::uint64_t{working} * state_words;
      stats.membrane.writes += std::uint64_t{working} * state_words;
    }
  }
  stats.cycles += 1;  // drain: the last outputs leave the output registers

  // The lanes' side: lane l computes channels l, l + P, ... at every position.
  out.assign(layer.out.size(), 0);
  for (auto& lane : array.lanes) {
    if (lane->toggles) lane->toggles->select_bank(index);
    if (lane->timed) lane->timed->select_bank(index);
    if (lane->macro) lane->macro->select_bank(index);
    if (backend != models::Backend::output_stage) lane->ports.vth_i.set(static_cast<std::uint64_t>(layer.vth));
    if (backend != models::Backend::membrane) lane->ports.shift_i.set(layer.shift);
  }
  const unsigned parts = std::min(workers_->threads(), std::min(P, layer.out.channels));
  workers_->run([&](unsigned part) {
    if (part >= parts) return;
    for (unsigned pos = 0; pos < positions; ++pos) {
      const std::vector<unsigned>& issued = plan.issued[pos];
      for (unsigned g = 0; g < groups; ++g)
        for (unsigned l = part; l < P && g * P + l < layer.out.channels; l += parts) {
          Lane& lane = *array.lanes[l];
          const unsigned channel = g * P + l;
          const std::size_t neuron = std::size_t{channel} * positions + pos;
          if (sigma_delta && !plan.updates[std::size_t{pos} * layer.out.channels + channel]) continue;  // quiet: 0 out
          lane.ports.bias_i.set(static_cast<std::uint64_t>(layer.bias[channel]));
          if (backend == models::Backend::membrane) lane.ports.v_i.set(static_cast<std::uint64_t>(state->v[neuron]));
          if (backend == models::Backend::sigma_delta) {
            lane.ports.sigma_i.set(static_cast<std::uint64_t>(state->v[neuron]));
            lane.ports.act_i.set(static_cast<std::uint64_t>(state->act[neuron]));
            lane.ports.residue_i.set(static_cast<std::uint64_t>(state->residue[neuron]));
          }
          const std::uint32_t* weights = &plan.weights[std::size_t{channel} * plan.beats * ww];
          lane.ports.valid_i.set(1);
          for (std::size_t i = 0; i < issued.size(); ++i) {
            const unsigned b = issued[i];
            lane.ports.first_i.set(i == 0);
            lane.ports.last_i.set(i + 1 == issued.size());
            lane.ports.x_i.set_words(&plan.x_words[(std::size_t{pos} * plan.beats + b) * xw]);
            lane.ports.w_i.set_words(weights + std::size_t{b} * ww);
            lane.instance.tick();
            if (lane.toggles) lane.toggles->sample();
            if (lane.timed) lane.timed->cycle(lane.toggles->previous_words().data(), lane.toggles->words().data());
            if (lane.macro) lane.macro->sample();
            if (recording_ && l == recorded_lane_ && recorded_array_ == &array)
              record_beat(layer, plan, pos, b, channel, i, issued.size(), state, neuron);
          }
          if (lane.ports.valid_o.get() != 1)
            throw std::logic_error(fmt::format("lane {} gave no valid output at the last beat", l));
          out[neuron] = static_cast<std::uint32_t>(lane.ports.y_o.get());
          const unsigned AW = params.AW;
          if (backend == models::Backend::membrane) state->v[neuron] = models::wrap_signed(lane.ports.v_o.get(), AW);
          if (backend == models::Backend::sigma_delta) {
            const models::SigmaDeltaUpdate u{out[neuron], models::wrap_signed(lane.ports.sigma_o.get(), AW),
                                             models::wrap_signed(lane.ports.act_o.get(), AW),
                                             models::wrap_signed(lane.ports.residue_o.get(), AW)};
            models::check_sigma_delta_state(u, AW, index, layer, neuron, timestep);
            state->v[neuron] = u.sigma;
            state->act[neuron] = u.act;
            state->residue[neuron] = u.residue;
          }
        }
    }
  });
  if (backend == models::Backend::membrane)
    for (const std::uint32_t s : out) stats.spikes += s;
  if (backend == models::Backend::sigma_delta) {
    models::GradedSpikeCounts counts;
    for (const std::uint32_t s : out) counts.add(s, network_.XW);
    stats.spikes += counts.events;
    stats.graded += counts;
  }
}

void Datapath::record_lane(std::vector<models::Beat>* sink, models::KernelKind kind, unsigned lane) {
  if (sink && lane >= config_.lanes)
    throw std::invalid_argument(fmt::format("record_lane: lane {} of {}", lane, config_.lanes));
  recording_ = sink;
  recorded_array_ = sink ? &array_of(kind) : nullptr;
  recorded_lane_ = lane;
}

void Datapath::record_beat(const Layer& layer, const LayerPlan& plan, unsigned pos, unsigned b, unsigned channel,
                           std::size_t i, std::size_t count, const models::LayerState* state, std::size_t neuron) {
  const models::KernelParams& params = plan.array->params;
  const unsigned K = config_.K, n = layer.fan_in(), xw = plan.array->x_words + 1;
  const models::Backend backend = models::backend_of(layer.kind);
  models::Beat& beat = recording_->emplace_back();
  beat.valid = true;
  beat.first = i == 0;
  beat.last = i + 1 == count;
  beat.x = unpack_bits(std::span(&plan.x_words[(std::size_t{pos} * plan.beats + b) * xw], xw), params.activation_bits(), K);
  beat.w.assign(K, 0);
  for (unsigned k = 0; k < K && b * K + k < n; ++k) beat.w[k] = layer.codes[std::size_t{channel} * n + b * K + k];
  beat.bias = layer.bias[channel];
  if (backend != models::Backend::membrane) beat.shift = layer.shift;
  if (backend != models::Backend::output_stage) beat.vth = layer.vth;
  if (backend == models::Backend::membrane) beat.v = state->v[neuron];
  if (backend == models::Backend::sigma_delta) {
    beat.sigma = state->v[neuron];
    beat.act = state->act[neuron];
    beat.residue = state->residue[neuron];
  }
}

void Datapath::pool(std::size_t index, std::vector<std::uint32_t>& act, models::LayerState* state) {
  const Layer& layer = network_.layers[index];
  LayerStats& stats = stats_.layers[index];
  // Sigma-delta: the state words touched, for the inputs with a spike and the outputs they reach.
  std::uint64_t words = 0;
  if (state) {
    const unsigned p = layer.kernel;
    std::vector<std::uint8_t> reached(layer.out.size(), 0);
    for (unsigned c = 0; c < layer.in.channels; ++c)
      for (unsigned y = 0; y < layer.out.height * p; ++y)
        for (unsigned x = 0; x < layer.out.width * p; ++x)
          if (act[(std::size_t{c} * layer.in.height + y) * layer.in.width + x] != 0) {
            ++words;
            reached[(std::size_t{c} * layer.out.height + y / p) * layer.out.width + x / p] = 1;
          }
    for (const std::uint8_t r : reached) words += r;
  }
  act = state                                  ? models::sigma_delta_maxpool(layer, network_.XW, act, *state)
        : layer.type == LayerType::avgpool ? models::avgpool(layer, act)
                                           : models::maxpool(layer, act);
  LayerPass& pass = schedule_.emplace_back();
  pass.layer = index;
  pass.pool = true;
  pass.pool_outputs = act.size();
  pass.pool_reads = std::uint64_t{layer.kernel} * layer.kernel * act.size();
  stats.cycles += act.size();
  stats.outputs += act.size();
  stats.activations.reads += std::uint64_t{layer.kernel} * layer.kernel * act.size();
  stats.activations.writes += act.size();
  pass.pool_state_words = words;
  stats.membrane.reads += words;
  stats.membrane.writes += words;
}

models::Inference Datapath::run(const std::uint8_t* image) {
  models::Inference result;
  schedule_.clear();
  ++stats_.images;
  const std::uint64_t spikes_before = stats_.total().spikes;
  const std::size_t L = network_.layers.size();
  // Activation buffers: `current` is read by a layer, `next` written; they swap.
  // The outputs a later layer reads as its residual stay in buffers of their own.
  std::vector<std::uint32_t> current, next;
  const std::vector<bool> sources = models::residual_sources(network_);
  std::vector<std::vector<std::uint32_t>> kept(L);
  const std::vector<std::uint32_t> none;
  const auto all_layers = [&](std::vector<models::LayerState>* states, unsigned t) {
    for (std::size_t i = 0; i < L; ++i) {
      const Layer& layer = network_.layers[i];
      models::LayerState* state = states ? &(*states)[i] : nullptr;
      if (layer.type == LayerType::maxpool || layer.type == LayerType::avgpool)
        pool(i, current, network_.sigma_delta() ? state : nullptr);
      if (layer.computes()) {
        compute_layer(i, current, layer.residual ? kept[layer.residual - 1] : none, next, state, t);
        std::swap(current, next);
      }
      if (sources[i]) kept[i] = current;
    }
  };
  if (!network_.spiking()) {
    current.assign(image, image + network_.input.size());
    all_layers(nullptr, 0);
    result.outputs = current;
    result.predicted = models::predict(result.outputs, {});
    return result;
  }
  std::vector<models::LayerState> states = models::initial_states(network_);  // cleared for every image
  const models::GradedSpikeCounts graded_before = stats_.total().graded;
  if (network_.sigma_delta()) {
    models::SigmaDeltaEncoder encoder(image, network_);
    for (unsigned t = 0; t < network_.timesteps; ++t) {
      current = encoder.next();
      for (const std::uint32_t s : current) result.input_spikes += s != 0;
      all_layers(&states, t);
    }
    read_sigma_delta_outputs(network_, states.back(), result);
    result.graded = stats_.total().graded - graded_before;
  } else {
    result.outputs.assign(network_.classes(), 0);
    models::SpikeEncoder encoder(image, network_.input.size(), network_.XW);
    for (unsigned t = 0; t < network_.timesteps; ++t) {
      current = encoder.next();
      for (const std::uint32_t s : current) result.input_spikes += s;
      all_layers(&states, t);
      for (std::size_t c = 0; c < current.size(); ++c) result.outputs[c] += current[c];
    }
    result.membrane = states.back().v;
    result.predicted = models::predict(result.outputs, result.membrane);
  }
  result.spikes = stats_.total().spikes - spikes_before;
  stats_.input_spikes += result.input_spikes;
  return result;
}

namespace {

void add_activity(tech::Activity& sum, const tech::Activity& a) {
  if (sum.toggles.empty()) {
    sum = a;
    return;
  }
  sum.cycles += a.cycles;
  for (std::size_t n = 0; n < a.toggles.size(); ++n) {
    sum.toggles[n] += a.toggles[n];
    sum.high_cycles[n] += a.high_cycles[n];
  }
}

// Adds `dynamic_seconds` of a report's internal and switching power and
// `leakage_seconds` of its leakage, in total and by cell group.
void add_energy(EnergyParts& e, const tech::PowerReport& power, double dynamic_seconds, double leakage_seconds) {
  const auto add = [&](tech::PowerParts& into, const tech::PowerParts& p) {
    into += tech::PowerParts{p.internal * dynamic_seconds, p.switching * dynamic_seconds, p.leakage * leakage_seconds};
  };
  add(e.kernels, power.total);
  add(e.sequential, power.sequential);
  add(e.combinational, power.combinational);
  add(e.clock, power.clock);
}

}  // namespace

void Datapath::set_timed_fraction(double fraction) {
  for (auto& array : arrays_)
    for (auto& lane : array->lanes)
      if (lane->timed) lane->timed->set_fraction(fraction);
  config_.activity.fraction = fraction;
}

EnergyReport Datapath::energy(double frequency, const MemoryEnergy& memory) const {
  if (config_.level == Level::macro) return macro_energy(frequency, memory);
  if (config_.level != Level::gate) throw Error("energy needs a gate- or macro-level run (--level gate or macro)");
  EnergyReport report;
  report.frequency = frequency;
  report.activity = config_.activity;
  report.layers.resize(network_.layers.size());
  tech::PowerOptions options;
  options.frequency = frequency;
  for (const auto& array : arrays_)
    for (const auto& lane : array->lanes)
      if (lane->timed && lane->timed->mismatched_cycles())
        throw Error(fmt::format("timed replay of a {} lane settled elsewhere than the zero-delay model in {} cycles "
                                "(please report)",
                                models::to_string(array->params.kind), lane->timed->mismatched_cycles()));
  // Sampled timed activity: the lanes' dynamic energy from each batch of the
  // replayed cycles, for the interval.
  std::vector<double> batches(config_.activity.sampled() ? tech::TimedSampler::kBatches : 0, 0.0);
  for (const auto& array : arrays_) {
    std::optional<tech::PowerReport> one_lane;  // for its leakage, by group
    const tech::Netlist& netlist = array->netlist->netlist;
    const tech::Library& library = *array->netlist->library;
    for (std::size_t i = 0; i < network_.layers.size(); ++i) {
      tech::Activity sum, zero;
      std::vector<tech::Activity> batch_sums(batches.size());
      for (const auto& lane : array->lanes) {
        const tech::Activity zd = lane->toggles->activity(i);
        add_activity(zero, zd);
        if (!lane->timed) continue;
        add_activity(sum, lane->timed->estimate(zd, i));
        if (batches.empty()) continue;
        const auto per_batch = lane->timed->batch_estimates(zd, i);
        for (std::size_t b = 0; b < batches.size(); ++b) add_activity(batch_sums[b], per_batch[b]);
      }
      if (zero.cycles == 0) continue;
      if (sum.toggles.empty()) sum = zero;
      const double seconds = double(zero.cycles) / frequency;
      const tech::PowerReport zd_power = estimate_power(netlist, library, zero, options);
      report.zero_delay_kernels += (zd_power.total.internal + zd_power.total.switching) * seconds;
      for (std::size_t b = 0; b < batches.size(); ++b) {
        const tech::PowerReport p = estimate_power(netlist, library, batch_sums[b], options);
        batches[b] += (p.total.internal + p.total.switching) * seconds;
      }
      one_lane = estimate_power(netlist, library, sum, options);
      // Dynamic energy of the lane-cycles worked; leakage is added below for
      // every lane of the array over the whole time.
      add_energy(report.layers[i], *one_lane, double(sum.cycles) / frequency, 0);
    }
    if (!one_lane) {  // a kind that never ran: its leakage in the reset state
      tech::Activity idle = array->lanes[0]->toggles->activity(0);
      idle.cycles = 1;
      one_lane = estimate_power(array->netlist->netlist, *array->netlist->library, idle, options);
    }
    const double lanes = double(array->lanes.size());
    for (std::size_t i = 0; i < network_.layers.size(); ++i)
      add_energy(report.layers[i], *one_lane, 0, lanes * double(stats_.layers[i].cycles) / frequency);
  }
  add_memory_energy(report, memory, frequency);
  report.zero_delay_kernels += report.total.kernels.leakage;
  if (!batches.empty()) report.kernel_half_width = tech::confidence_interval(batches).half_width;
  return report;
}

EnergyReport Datapath::macro_energy(double frequency, const MemoryEnergy& memory) const {
  EnergyReport report;
  report.frequency = frequency;
  report.layers.resize(network_.layers.size());
  for (const auto& array : arrays_) {
    const MacroModel& model = *array->macro;
    report.macro_models.push_back(array->macro);
    for (std::size_t i = 0; i < network_.layers.size(); ++i) {
      std::vector<double> sums(model.features.size(), 0.0);
      for (const auto& lane : array->lanes) {
        const std::vector<double> s = lane->macro->sums(i);
        for (std::size_t f = 0; f < sums.size(); ++f) sums[f] += s[f];
      }
      const auto e = model.predict(sums);
      EnergyParts& parts = report.layers[i];
      parts.sequential += tech::PowerParts{e[seq_internal], e[seq_switching], 0};
      parts.combinational += tech::PowerParts{e[comb_internal], e[comb_switching], 0};
      parts.clock += tech::PowerParts{e[clock_internal], e[clock_switching], 0};
      parts.kernels += tech::PowerParts{e[seq_internal] + e[comb_internal] + e[clock_internal],
                                        e[seq_switching] + e[comb_switching] + e[clock_switching], 0};
      // Every lane of the array leaks over the layer's time, as at gate level.
      const double lane_seconds = double(array->lanes.size()) * double(stats_.layers[i].cycles) / frequency;
      parts.sequential.leakage += model.leakage_sequential.leakage * lane_seconds;
      parts.combinational.leakage += model.leakage_combinational.leakage * lane_seconds;
      parts.clock.leakage += model.leakage_clock.leakage * lane_seconds;
      parts.kernels.leakage += (model.leakage_sequential.leakage + model.leakage_combinational.leakage +
                                model.leakage_clock.leakage) * lane_seconds;
    }
  }
  add_memory_energy(report, memory, frequency);
  return report;
}

void Datapath::add_memory_energy(EnergyReport& report, const MemoryEnergy& memory, double frequency) const {
  for (std::size_t i = 0; i < network_.layers.size(); ++i) {
    report.layers[i].memory = memory.total(stats_.layers[i], double(stats_.layers[i].cycles) / frequency);
    report.total += report.layers[i];
  }
  const LayerStats all = stats_.total();
  for (const auto& array : arrays_) {
    double e = 0;
    for (std::size_t i = 0; i < network_.layers.size(); ++i)
      if (network_.layers[i].computes() && network_.layers[i].kind == array->params.kind)
        e += report.layers[i].kernels.internal + report.layers[i].kernels.switching;
    report.components.emplace_back(fmt::format("{} lanes, dynamic", models::to_string(array->params.kind)), e);
  }
  report.components.emplace_back("kernel lanes, leakage", report.total.kernels.leakage);
  const double seconds = double(all.cycles) / frequency;
  report.components.emplace_back("weight memory", memory.weights(all, seconds));
  report.components.emplace_back("activation buffers", memory.activations(all, seconds));
  if (network_.spiking()) report.components.emplace_back("membrane memory", memory.membrane(all, seconds));
}

}  // namespace neuroppa::sim
