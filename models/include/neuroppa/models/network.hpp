// Quantised networks built from the neuron kernels, their model files
// (docs/model-format.md) and the bit-exact reference inference the
// platform is checked against.
//
// Every compute layer (dense or 2-D convolution) is a set of kernel neurons:
// one output value is one kernel run over the layer's fan-in, so its result
// is exactly models::output_stage (or spike_update) of the wrapped sum of
// models::synapse_term over the fan-in. Activations are XW-bit unsigned
// values; the input image is the first activation tensor (spiking networks
// rate-code it, see encode_spikes).
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "neuroppa/models/kernel.hpp"
#include "neuroppa/models/sigma_delta.hpp"

namespace neuroppa::models {

// 2: conv padding (`pad`), average pooling (`avgpool`), residual sums (`residual`). A file is written as version 1
// when it uses nothing of 2, so that older builds still read it; both are read.
inline constexpr int kModelFormatVersion = 2;

struct Shape {
  unsigned channels = 0, height = 0, width = 0;
  std::size_t size() const { return std::size_t{channels} * height * width; }
  std::string describe() const;  // "8x13x13"
  bool operator==(const Shape&) const = default;
};

// avgpool: model format 2 (after flatten, so that version 1's numbering stays).
enum class LayerType { dense, conv, maxpool, flatten, avgpool };
std::string_view to_string(LayerType type);

struct Layer {
  LayerType type = LayerType::dense;
  KernelKind kind{};  // mac unless set  // compute layers only
  Shape in, out;
  unsigned kernel = 0;  // conv: kernel height = width; maxpool, avgpool: window = stride
  unsigned stride = 1;  // conv
  unsigned pad = 0;     // conv: zero rows and columns added on every side of the input (format 2)
  // Residual (format 2, compute layers): the output of layer `residual` (numbered from 1, an earlier
  // layer) is read as more synapses after the layer's own fan-in, so that its weights add the shortcut
  // into the sum before the output stage: relu(conv(x) + skip) with identity weights. A conv reads that
  // tensor's channels at its output position (its height and width are the output's); a dense layer
  // reads all of it. 0: none. `residual_in` is that tensor's shape.
  unsigned residual = 0;
  Shape residual_in;
  unsigned code_bits = 0;  // bits of one weight code (models::KernelParams::code_bits)
  // codes[o * fan_in() + f]: output channel o, fan-in index f. Convolution
  // fan-in is ordered (input channel, row, column); dense fan-in is the
  // flattened (channel, row, column) input; then the residual's (channel; dense: every value).
  std::vector<std::uint32_t> codes;
  std::vector<std::int64_t> bias;  // one per output channel, AW-bit signed
  unsigned shift = 0;              // mac/shift/threshold output shift; sigma-delta: the spike unit 2^shift
  std::int64_t vth = 0;            // spike firing threshold; sigma-delta: the least |delta| sent

  bool computes() const { return type == LayerType::dense || type == LayerType::conv; }
  unsigned fan_in() const;  // the residual's synapses included
  // Of them, the residual's: its channels (conv) or all its values (dense); 0 without one.
  unsigned residual_fan_in() const;
  // Kernel runs (output values) per image, per timestep for spiking layers.
  std::size_t neurons() const { return out.size(); }
  std::string describe() const;  // "conv 3x3/1 mac 1x28x28 -> 8x26x26"
};

struct TrainingRecord {  // how a model file was made; informative only
  std::string arch;
  std::uint64_t seed = 0;
  unsigned epochs = 0;
  double float_accuracy = -1;      // the float network on the test set, -1 unknown
  double quantised_accuracy = -1;  // the integer network (reference inference)
  std::string notes;
  // The kernel packages whose kinds it was trained with: name and content hash
  // (a package kind's codes mean what its golden term says).
  std::vector<std::pair<std::string, std::string>> packages;
  std::int64_t test_images = -1;  // the test images the two accuracies are over; -1 not recorded (older files)
};

struct Network {
  std::string name;
  Shape input{1, 28, 28};
  unsigned XW = 8;   // activation bits: 8 (the image's pixel width); sigma-delta: B, the graded spikes' bits
  unsigned AW = 32;  // accumulator bits of every kernel
  unsigned timesteps = 0;  // spike and sigma-delta networks: timesteps per inference; 0 otherwise
  // Sigma-delta: the input encoder's spike unit 2^input_shift and least |delta|, in pixel levels.
  unsigned input_shift = 0;
  std::int64_t input_vth = 0;
  std::vector<Layer> layers;
  TrainingRecord training;

  // Runs over timesteps with state per neuron (spike or sigma-delta layers).
  bool spiking() const { return timesteps > 0; }
  // Its compute layers are sigma-delta neurons (graded spikes between layers).
  bool sigma_delta() const;
  // Bits of one value between layers: 1 (spikes), else XW.
  unsigned activation_bits() const;
  // AW-bit state words a layer keeps per neuron between timesteps: 1 for a
  // spike layer (v), 3 for a sigma-delta layer (sigma, act, residue); a
  // sigma-delta max-pool keeps one per input and one per output (state_words_total).
  unsigned state_words(const Layer& layer) const;
  // All of a layer's state words (what the state memory holds for it).
  std::uint64_t state_words_total(const Layer& layer) const;
  std::size_t classes() const { return layers.empty() ? 0 : layers.back().out.size(); }
  // Kernel parameters of a compute layer for a platform of K synapses a beat.
  KernelParams kernel_params(const Layer& layer, unsigned K) const;
  // The kinds of the compute layers, each once, in all_kernel_kinds() order.
  std::vector<KernelKind> kinds() const;
};

// Throws neuroppa::Error naming `where` (a file name) and the layer if the
// network is inconsistent: shapes that do not chain, sizes that disagree,
// codes or biases out of range, spiking and non-spiking layers mixed.
void validate(const Network& network, const std::string& where);

// Sets each residual layer's residual_in from the layer it names (readers store the number only);
// throws neuroppa::Error naming `where` and the layer if that is not an earlier layer.
void link_residuals(Network& network, const std::string& where);

// Model files: JSON, gzip-compressed when the name ends in .gz.
Network read_network(const std::filesystem::path& path);
void write_network(const Network& network, const std::filesystem::path& path);
// SHA-256 of the network as written (for content keys).
std::string network_hash(const Network& network);

// Deterministic rate coding of the input for spiking networks: each pixel
// is an integrate-and-fire neuron charged by its value every timestep,
// starting half full, firing at 2^XW (so a pixel p fires about p / 2^XW of
// the timesteps).
class SpikeEncoder {
 public:
  SpikeEncoder(const std::uint8_t* image, std::size_t size, unsigned XW);
  // The next timestep's input spikes (0/1), one per pixel.
  const std::vector<std::uint32_t>& next();

 private:
  const std::uint8_t* image_;
  unsigned XW_;
  std::vector<std::uint32_t> charge_, spikes_;
};

struct Inference {
  // Final layer: output activations, or spike counts over the timesteps;
  // sigma-delta: its act at the last timestep (saturated to 32 bits).
  std::vector<std::uint32_t> outputs;
  // spiking: the final layer's v at the end; sigma-delta: its sigma + bias.
  std::vector<std::int64_t> membrane;
  unsigned predicted = 0;              // argmax (ties: count, then v, then lowest index)
  std::uint64_t spikes = 0;            // spiking: spikes (sigma-delta: nonzero spikes) of all compute layers
  std::uint64_t input_spikes = 0;      // spiking: spikes (sigma-delta: nonzero spikes) of the encoded input
  GradedSpikeCounts graded;            // sigma-delta: the compute layers' spikes (sigma_delta.hpp)
  bool operator==(const Inference&) const = default;
};

// The predicted class from outputs (and membrane potentials, for ties).
unsigned predict(const std::vector<std::uint32_t>& outputs, const std::vector<std::int64_t>& membrane);

// Bit-exact integer inference of one image (input.size() pixels).
// `layer_inputs` (if given) receives the activation tensor each layer reads
// (for spiking networks, layer by layer for every timestep in turn).
Inference infer(const Network& network, const std::uint8_t* image,
                std::vector<std::vector<std::uint32_t>>* layer_inputs = nullptr);

// Layers of the non-compute kinds, applied by the controller.
std::vector<std::uint32_t> maxpool(const Layer& layer, const std::vector<std::uint32_t>& in);
// The mean of each window, rounded half up: (sum + k*k/2) / (k*k).
std::vector<std::uint32_t> avgpool(const Layer& layer, const std::vector<std::uint32_t>& in);

// The receptive field (fan-in) of output position (y, x) of a conv layer,
// in fan-in order; positions outside the input read 0 (padding).
void gather_patch(const Layer& layer, const std::vector<std::uint32_t>& in, unsigned y, unsigned x,
                  std::uint32_t* patch);
// A compute layer's whole fan-in at output position (y, x) (dense: 0, 0): the
// patch (dense: the input), then the residual's values (`residual`: the
// output of layer `layer.residual`; empty when it has none).
void gather_fan_in(const Layer& layer, const std::vector<std::uint32_t>& in, const std::vector<std::uint32_t>& residual,
                   unsigned y, unsigned x, std::uint32_t* fan);
// Which layers' outputs a later layer reads as its residual (index: layer number - 1).
std::vector<bool> residual_sources(const Network& network);

// Architecture specs, e.g. "d128,d10" or "c8k3,p2,c16k3,p2,d10@mac":
// dN dense of N outputs; cNkM[sS][pP] conv of N channels, MxM kernel, stride S,
// P zero rows and columns padded on every side;
// pN max-pool N x N; aN average-pool N x N (format 2); f flatten (inserted before a dense layer when the
// input is not flat). "@kind" overrides the network's kind for one layer.
struct LayerSpec {
  LayerType type = LayerType::dense;
  unsigned size = 0;  // outputs (dense), channels (conv), window (pool)
  unsigned kernel = 0, stride = 1, pad = 0;
  unsigned residual = 0;  // Layer::residual, numbering the specs from 1 (not in the arch grammar: import sets it)
  std::optional<KernelKind> kind;
};
std::vector<LayerSpec> parse_arch(const std::string& spec);
// Shapes of a spec on an input; throws neuroppa::Error if they do not fit.
std::vector<Layer> layout(const std::vector<LayerSpec>& spec, const Shape& input, KernelKind kind,
                          unsigned XW);

}  // namespace neuroppa::models
