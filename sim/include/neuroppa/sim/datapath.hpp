// The accelerator that runs a network on Verilated kernels, cycle by cycle.
//
// Output-stationary: an array of P kernel lanes per neuron kind; each lane
// computes one output neuron (a dense output, or one output channel of a
// convolution at one position) over ceil(fan_in / K) beats, and every active
// lane receives the same broadcast activation beat. A controller sequences
// the layers; weights come from a weight memory (pre-packed in the lanes'
// port format), activations from two activation buffers used in turn
// (double buffering: a layer reads one and writes the other; an output a later
// layer's residual reads stays in a buffer of its own until then), and spiking
// layers keep their membrane potentials in a membrane memory (sigma-delta
// layers their state: sigma, act and residue, three words a neuron).
//
// Cycle accounting (per image; docs/platform.md):
//  - a compute layer costs one cycle per beat issued to the lane array and
//    one drain cycle at its end, when the last outputs leave the kernels'
//    output registers (write-back of a group overlaps the next group's beats);
//  - spiking and sigma-delta layers are event-driven: a beat whose K input
//    spikes are all 0 is not issued (a neuron with no input spike at all gets
//    one empty beat, which applies its bias and threshold); a sigma-delta
//    neuron with no input spike whose residue would send nothing (quiet, a
//    bit per neuron the controller keeps from the lane's last outputs) is not
//    updated at all after the first timestep: its update would change nothing;
//  - a max-pool layer costs one cycle per output value; flatten is free
//    (addressing only); the next image is loaded while this one runs.
// Memory accesses: weight memory, one read per lane per issued beat (K
// codes); activation buffers, one read per beat considered (K values) and one
// per pooled input, one write per output value; membrane memory, one read and
// one write per state word of each neuron update (models::Network::state_words;
// a sigma-delta max-pool: each input's sum and each output's maximum).
//
// Lanes are called directly (no signal-level SystemC on this path); the
// SystemC module in platform.hpp gives the controller its process and clock.
#pragma once

#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "neuroppa/base/progress.hpp"
#include "neuroppa/models/network.hpp"
#include "neuroppa/sim/lane_workers.hpp"
#include "neuroppa/sim/kernel_models.hpp"
#include "neuroppa/tech/power.hpp"
#include "neuroppa/tech/timed_activity.hpp"

namespace neuroppa::sim {

// rtl: lanes as Verilated RTL, no energy; gate: gate-level lanes priced from
// per-net toggles; macro: RTL lanes priced by each kernel's macro-model
// (macro_model.hpp) from features of every lane cycle.
enum class Level { rtl, gate, macro };
std::string_view to_string(Level level);

struct MacroModel;

struct DatapathConfig {
  unsigned lanes = 16;  // P, per neuron kind
  unsigned K = 16;      // synapses per beat
  Level level = Level::rtl;
  const tech::Library* library = nullptr;  // gate level: the cells the kernels are mapped to
  unsigned threads = 1;  // simulation threads sharing the lanes (results do not depend on it)
  // Gate level: how activity is counted (timed replays cycles with gate delays, see tech/timed_activity.hpp).
  tech::ActivityMode activity;
  // Macro level: the macro-model of a kernel (characterised or cached by the caller).
  std::function<std::shared_ptr<const MacroModel>(const models::KernelParams&)> macro_model;
};

struct MemoryCounts {
  std::uint64_t reads = 0, writes = 0;
  MemoryCounts& operator+=(const MemoryCounts& o) {
    reads += o.reads;
    writes += o.writes;
    return *this;
  }
};

struct LayerStats {
  std::uint64_t cycles = 0;         // platform cycles
  std::uint64_t beats = 0;          // beats issued to the lane array
  std::uint64_t skipped_beats = 0;  // spiking layers: beats without a spike, not issued
  std::uint64_t lane_beats = 0;     // sum over issued beats of the lanes that worked
  std::uint64_t outputs = 0;        // values written back
  std::uint64_t spikes = 0;         // spiking layers: spikes emitted (sigma-delta: nonzero spikes)
  models::GradedSpikeCounts graded; // sigma-delta layers: their spikes' counts (models/sigma_delta.hpp)
  std::uint64_t stall_cycles = 0;   // of `cycles`: the controller waited for operands (platform.hpp)
  std::uint64_t weight_fetch_bytes = 0;  // weights the DMA read from system memory for the layer
  MemoryCounts weights, activations, membrane;
  LayerStats& operator+=(const LayerStats& o);
};

// One layer's work for one image (per timestep for spiking layers), as the
// controller issued it: what the platform's timing walks (platform.hpp).
struct LayerPass {
  std::size_t layer = 0;
  bool pool = false;
  // Compute layers: beats per neuron, output groups of P lanes (the last
  // `last_group_lanes` wide), and per position the beats issued.
  unsigned beats = 0, groups = 0, last_group_lanes = 0;
  std::vector<unsigned> issued;
  std::vector<unsigned> issued_beats;  // the beat indices issued, all positions in turn
  // Per position and group, the lanes that work; 0: the group is skipped (sigma-delta: every
  // neuron of it quiet, no input event). Empty: every group, all its lanes.
  std::vector<unsigned> group_lanes;
  // Max-pool layers: output values and the inputs read for them; sigma-delta:
  // the state words read (and written) for the inputs with a spike and the
  // outputs whose window had one.
  std::uint64_t pool_outputs = 0, pool_reads = 0, pool_state_words = 0;
};

struct RunStats {
  std::uint64_t images = 0;
  std::uint64_t input_spikes = 0;
  std::vector<LayerStats> layers;  // one per network layer
  LayerStats total() const;
  RunStats& operator+=(const RunStats& o);
};

// Energy per access of each memory, J, and its leakage, W; 0 = counted, not priced.
struct MemoryEnergy {
  double weight_read = 0, weight_write = 0;
  double activation_read = 0, activation_write = 0;
  double membrane_read = 0, membrane_write = 0;
  double weight_leakage = 0, activation_leakage = 0, membrane_leakage = 0;
  bool priced() const;
  // Energy of the accesses a layer (or a run) counted, per memory, with the
  // leakage over `seconds`.
  double weights(const LayerStats& s, double seconds = 0) const {
    return double(s.weights.reads) * weight_read + double(s.weights.writes) * weight_write + weight_leakage * seconds;
  }
  double activations(const LayerStats& s, double seconds = 0) const {
    return double(s.activations.reads) * activation_read + double(s.activations.writes) * activation_write +
           activation_leakage * seconds;
  }
  double membrane(const LayerStats& s, double seconds = 0) const {
    return double(s.membrane.reads) * membrane_read + double(s.membrane.writes) * membrane_write +
           membrane_leakage * seconds;
  }
  double total(const LayerStats& s, double seconds = 0) const {
    return weights(s, seconds) + activations(s, seconds) + membrane(s, seconds);
  }
};

// Energies over a whole run, J (gate level).
struct EnergyParts {
  tech::PowerParts kernels;  // internal, switching, leakage of the lanes
  tech::PowerParts sequential, combinational, clock;  // the same, by cell group
  double memory = 0;
  double total() const { return kernels.total() + memory; }
  EnergyParts& operator+=(const EnergyParts& o);
};

struct EnergyReport {
  double frequency = 0;
  tech::ActivityMode activity;     // as counted (timed:F: the last fraction in force)
  // Macro level: the models that priced the lanes (macro_model.hpp), one per kind.
  std::vector<std::shared_ptr<const MacroModel>> macro_models;
  double kernel_half_width = 0;    // J, 95% interval of the lanes' energy (sampled timed activity)
  double zero_delay_kernels = 0;   // J, the lanes' energy from the same run's zero-delay activity
  std::vector<EnergyParts> layers;                       // per network layer
  std::vector<std::pair<std::string, double>> components;  // e.g. "mac lanes", "weight memory"
  EnergyParts total;
};


class Datapath {
 public:
  // Builds (or loads from the cache under cache_dir) one kernel model per
  // neuron kind of the network; at gate level synthesises it onto the
  // library first. Throws neuroppa::Error on bad parameters.
  Datapath(const models::Network& network, const DatapathConfig& config,
              const std::filesystem::path& cache_dir, const ProgressFn& progress = {});
  ~Datapath();
  Datapath(const Datapath&) = delete;
  Datapath& operator=(const Datapath&) = delete;

  // One inference. The result is what models::infer gives, read from the lanes.
  models::Inference run(const std::uint8_t* image);
  // The layer passes of the last run(), in the order they were issued.
  const std::vector<LayerPass>& last_schedule() const { return schedule_; }
  // Replaces the network's weights and parameters with another network's of
  // the same layer structure and kernels (what a job descriptor loads);
  // throws neuroppa::Error naming the first difference.
  void load(const models::Network& network);
  // The controller waited `cycles` for operands in layer `index` (platform timing).
  void add_stalls(std::size_t index, std::uint64_t cycles);
  // The DMA brought `bytes` of layer `index`'s weights into the weight
  // memory: counted as writes of one lane's K codes each.
  void add_weight_fetch(std::size_t index, std::uint64_t bytes);
  // Moves another datapath's counts into this one's (the platform's image
  // workers; rtl level: gate-level activity stays with its lanes).
  void absorb_stats(Datapath& other);
  const std::filesystem::path& cache_dir() const { return cache_dir_; }

  const RunStats& stats() const { return stats_; }
  const models::Network& network() const { return network_; }
  const DatapathConfig& config() const { return config_; }
  // Records the beats lane `lane` of `kind`'s array receives from now on into `sink` (nullptr: stop).
  void record_lane(std::vector<models::Beat>* sink, models::KernelKind kind, unsigned lane = 0);
  // Gate and macro level: energy of everything run so far at `frequency`.
  EnergyReport energy(double frequency, const MemoryEnergy& memory) const;
  // Timed activity: replay this fraction of the cycles from now on.
  void set_timed_fraction(double fraction);

 private:
  struct Lane;
  struct LaneArray;
  struct LayerPlan;

  LaneArray& array_of(models::KernelKind kind);
  void plan_layers();
  // `residual`: the output the layer's residual reads (empty without one).
  void compute_layer(std::size_t index, const std::vector<std::uint32_t>& in, const std::vector<std::uint32_t>& residual,
                     std::vector<std::uint32_t>& out, models::LayerState* state, unsigned timestep);
  void pool(std::size_t index, std::vector<std::uint32_t>& act, models::LayerState* state);

  models::Network network_;
  DatapathConfig config_;
  std::vector<std::unique_ptr<LaneArray>> arrays_;
  std::vector<LayerPlan> plans_;
  std::unique_ptr<LaneWorkers> workers_;
  RunStats stats_;
  std::vector<LayerPass> schedule_;
  std::filesystem::path cache_dir_;
  std::vector<models::Beat>* recording_ = nullptr;
  const LaneArray* recorded_array_ = nullptr;
  unsigned recorded_lane_ = 0;
  void record_beat(const models::Layer& layer, const LayerPlan& plan, unsigned pos, unsigned b, unsigned channel,
                   std::size_t i, std::size_t count, const models::LayerState* state, std::size_t neuron);
  EnergyReport macro_energy(double frequency, const MemoryEnergy& memory) const;
  void add_memory_energy(EnergyReport& report, const MemoryEnergy& memory, double frequency) const;
};

}  // namespace neuroppa::sim
