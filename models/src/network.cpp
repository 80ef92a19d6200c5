#include "neuroppa/models/network.hpp"

#include <algorithm>
#include <fmt/format.h>
#include <fstream>
#include <limits>
#include <nlohmann/json.hpp>
#include <utility>
#include <zlib.h>

#include "neuroppa/base/error.hpp"
#include "neuroppa/base/sha256.hpp"
#include "neuroppa/base/file.hpp"

namespace neuroppa::models {

namespace {

// "mac, shift, threshold, spike" (and the packages registered, unless `builtin_only`).
std::string kind_list(bool builtin_only = false) {
  std::string out;
  for (const KernelKind k : builtin_only ? builtin_kernel_kinds() : all_kernel_kinds())
    out += fmt::format("{}{}", out.empty() ? "" : ", ", to_string(k));
  return out;
}

}  // namespace
namespace fs = std::filesystem;
using nlohmann::json;

std::string Shape::describe() const { return fmt::format("{}x{}x{}", channels, height, width); }

std::string_view to_string(LayerType type) {
  switch (type) {
    case LayerType::dense: return "dense";
    case LayerType::conv: return "conv";
    case LayerType::maxpool: return "maxpool";
    case LayerType::flatten: return "flatten";
    case LayerType::avgpool: return "avgpool";
  }
  return "?";
}

static std::optional<LayerType> parse_layer_type(std::string_view name) {
  for (LayerType t : {LayerType::dense, LayerType::conv, LayerType::maxpool, LayerType::flatten, LayerType::avgpool})
    if (to_string(t) == name) return t;
  return std::nullopt;
}

unsigned Layer::residual_fan_in() const {
  if (residual == 0) return 0;
  return type == LayerType::conv ? residual_in.channels : static_cast<unsigned>(residual_in.size());
}

unsigned Layer::fan_in() const {
  if (type == LayerType::conv) return in.channels * kernel * kernel + residual_fan_in();
  return static_cast<unsigned>(in.size()) + residual_fan_in();
}

std::string Layer::describe() const {
  const std::string plus = residual ? fmt::format(" + layer {}", residual) : "";
  switch (type) {
    case LayerType::dense:
      return fmt::format("dense {} {}{} -> {}", to_string(kind), in.size(), plus, out.size());
    case LayerType::conv:
      return fmt::format("conv {}x{}/{}{} {} {}{} -> {}", kernel, kernel, stride, pad ? fmt::format(" pad {}", pad) : "",
                         to_string(kind), in.describe(), plus, out.describe());
    case LayerType::maxpool: return fmt::format("maxpool {}x{} {} -> {}", kernel, kernel, in.describe(), out.describe());
    case LayerType::flatten: return fmt::format("flatten {} -> {}", in.describe(), out.size());
    case LayerType::avgpool: return fmt::format("avgpool {}x{} {} -> {}", kernel, kernel, in.describe(), out.describe());
  }
  return "?";
}

KernelParams Network::kernel_params(const Layer& layer, unsigned K) const {
  // A kind whose codes are WW bits is built with the layer's code width; any other at its package's
  // defaults (WW and its own parameters).
  const RegisteredKind& r = registered_kind(layer.kind);
  const unsigned WW = r.code_is_ww ? layer.code_bits : r.default_ww;
  return KernelParams{layer.kind, K, XW, WW, AW, default_arch(layer.kind)};
}

std::vector<KernelKind> Network::kinds() const {
  std::vector<KernelKind> kinds;
  for (KernelKind kind : all_kernel_kinds())
    if (std::any_of(layers.begin(), layers.end(), [&](const Layer& l) { return l.computes() && l.kind == kind; }))
      kinds.push_back(kind);
  return kinds;
}

// ---------------------------------------------------------------- shapes

static Shape output_shape(const Layer& layer, const std::string& where) {
  const Shape& in = layer.in;
  switch (layer.type) {
    case LayerType::conv:
      if (layer.kernel == 0 || layer.stride == 0)
        throw Error(fmt::format("{}: conv kernel and stride must be at least 1", where));
      if (layer.pad >= layer.kernel)
        throw Error(fmt::format("{}: padding {} with a {}x{} kernel: a window would see padding only", where,
                                layer.pad, layer.kernel, layer.kernel));
      if (in.height + 2 * layer.pad < layer.kernel || in.width + 2 * layer.pad < layer.kernel)
        throw Error(fmt::format("{}: a {}x{} kernel does not fit the {} input{}", where, layer.kernel, layer.kernel,
                                in.describe(), layer.pad ? fmt::format(" padded by {}", layer.pad) : ""));
      return {layer.out.channels, (in.height + 2 * layer.pad - layer.kernel) / layer.stride + 1,
              (in.width + 2 * layer.pad - layer.kernel) / layer.stride + 1};
    case LayerType::maxpool:
    case LayerType::avgpool:
      if (layer.kernel == 0) throw Error(fmt::format("{}: pooling window must be at least 1", where));
      if (in.height < layer.kernel || in.width < layer.kernel)
        throw Error(fmt::format("{}: a {}x{} pooling window does not fit the {} input", where, layer.kernel,
                                layer.kernel, in.describe()));
      return {in.channels, in.height / layer.kernel, in.width / layer.kernel};
    case LayerType::flatten: return {static_cast<unsigned>(in.size()), 1, 1};
    case LayerType::dense:
      if (in.height != 1 || in.width != 1)
        throw Error(fmt::format("{}: a dense layer needs a flat input, got {} (add a flatten layer)", where,
                                in.describe()));
      return {layer.out.channels, 1, 1};
  }
  return {};
}

bool Network::sigma_delta() const {
  return std::any_of(layers.begin(), layers.end(), [](const Layer& l) { return l.computes() && has_sigma_delta(l.kind); });
}

unsigned Network::activation_bits() const {
  return spiking() && !sigma_delta() ? 1 : XW;
}

unsigned Network::state_words(const Layer& layer) const {
  if (!spiking()) return 0;
  if (layer.computes()) return has_sigma_delta(layer.kind) ? 3 : 1;
  return 0;
}

std::uint64_t Network::state_words_total(const Layer& layer) const {
  if (layer.computes()) return std::uint64_t{state_words(layer)} * layer.out.size();
  if (layer.type == LayerType::maxpool && sigma_delta()) return std::uint64_t{layer.in.size()} + layer.out.size();
  return 0;
}

// The sigma-delta checks of a compute layer: B in the kind's range, and every
// quantity the update adds within sigma_delta_limit, one timestep's sum too.
static void validate_sigma_delta_layer(const Network& net, const Layer& layer, const KernelParams& params,
                                       const std::string& where) {
  const std::int64_t limit = sigma_delta_limit(net.AW);
  if (layer.shift >= (1u << kShiftBits))
    throw Error(fmt::format("{}: shift {} must be below {}", where, layer.shift, 1u << kShiftBits));
  if (layer.shift + 4 >= net.AW)
    throw Error(fmt::format("{}: shift {} leaves no room in AW={} bits (below {})", where, layer.shift, net.AW, net.AW - 4));
  if (layer.vth < 0 || layer.vth >= limit)
    throw Error(fmt::format("{}: vth {} must be in 0..{} (2^(AW-4) - 1)", where, layer.vth, limit - 1));
  for (std::size_t i = 0; i < layer.bias.size(); ++i)
    if (layer.bias[i] >= limit || layer.bias[i] <= -limit)
      throw Error(fmt::format("{}: bias {} = {} must be within ±{} (2^(AW-4)) for the state not to wrap", where, i,
                              layer.bias[i], limit - 1));
  const auto [lo, hi] = term_range(params);
  const double most = double(layer.fan_in()) * double(std::max(-lo, hi));
  if (most >= double(limit))
    throw Error(fmt::format("{}: one timestep's sum may reach {:.0f} ({} synapses x |term| {}), beyond ±2^{} "
                            "(AW={} less 4 bits of headroom): widen AW",
                            where, most, layer.fan_in(), std::max(-lo, hi), net.AW - 4, net.AW));
}

static void validate_layer(const Network& net, const Layer& layer, const std::string& where) {
  if (layer.type == LayerType::avgpool && net.spiking())
    throw Error(fmt::format("{}: average pooling in a spiking network (the mean of spikes is not a spike; "
                            "spike and sigma-delta networks max-pool)",
                            where));
  const Shape expected = output_shape(layer, where);
  if (!(expected == layer.out))
    throw Error(fmt::format("{}: output shape {} does not follow from input {} (expected {})", where,
                            layer.out.describe(), layer.in.describe(), expected.describe()));
  if (!layer.computes()) return;
  const bool stateful = has_membrane(layer.kind) || has_sigma_delta(layer.kind);
  if (net.spiking() != stateful)
    throw Error(fmt::format("{}: {} layer in a {} network (spiking networks are spike or sigma-delta layers only, "
                            "with timesteps >= 1)",
                            where, to_string(layer.kind), net.spiking() ? "spiking" : "non-spiking"));
  if (stateful && has_sigma_delta(layer.kind) != net.sigma_delta())
    throw Error(fmt::format("{}: {} layer in a sigma-delta network (its layers are all sigma-delta)", where,
                            to_string(layer.kind)));
  const KernelParams params = net.kernel_params(layer, 1);
  if (auto error = models::validate(params)) throw Error(fmt::format("{}: {}", where, *error));
  if (layer.code_bits != params.code_bits())
    throw Error(fmt::format("{}: code_bits {} but a {} layer has {}-bit codes", where, layer.code_bits,
                            to_string(layer.kind), params.code_bits()));
  const std::size_t expected_codes = std::size_t{layer.out.channels} * layer.fan_in();
  if (layer.codes.size() != expected_codes)
    throw Error(fmt::format("{}: {} weight codes, expected {} ({} outputs x fan-in {})", where, layer.codes.size(),
                            expected_codes, layer.out.channels, layer.fan_in()));
  for (std::size_t i = 0; i < layer.codes.size(); ++i)
    if (layer.codes[i] >> layer.code_bits)
      throw Error(fmt::format("{}: weight code {} = {} does not fit {} bits", where, i, layer.codes[i],
                              layer.code_bits));
  if (layer.bias.size() != layer.out.channels)
    throw Error(fmt::format("{}: {} biases for {} output channels", where, layer.bias.size(), layer.out.channels));
  const std::int64_t limit = net.AW >= 64 ? INT64_MAX : (std::int64_t{1} << (net.AW - 1)) - 1;
  for (std::size_t i = 0; i < layer.bias.size(); ++i)
    if (layer.bias[i] > limit || layer.bias[i] < -limit - 1)
      throw Error(fmt::format("{}: bias {} = {} does not fit AW={} bits", where, i, layer.bias[i], net.AW));
  if (has_sigma_delta(layer.kind)) {
    validate_sigma_delta_layer(net, layer, params, where);
  } else if (has_membrane(layer.kind)) {
    if (layer.vth < 1 || layer.vth > limit)
      throw Error(fmt::format("{}: vth {} must be in 1..{}", where, layer.vth, limit));
  } else if (layer.shift >= (1u << kShiftBits)) {
    throw Error(fmt::format("{}: shift {} must be below {}", where, layer.shift, 1u << kShiftBits));
  }
}

// A residual reads an earlier layer's output: its shape, and (conv) one value a channel at each output position.
static void validate_residual(const Network& net, std::size_t index, const std::string& where) {
  const Layer& layer = net.layers[index];
  if (layer.residual == 0) return;
  if (!layer.computes())
    throw Error(fmt::format("{}: a residual on a {} layer (only dense and conv layers add one)", where,
                            to_string(layer.type)));
  if (layer.residual > index)
    throw Error(fmt::format("{}: residual {}: it must name an earlier layer (1..{})", where, layer.residual, index));
  const Shape& source = net.layers[layer.residual - 1].out;
  if (!(layer.residual_in == source))
    throw Error(fmt::format("{}: residual shape {} but layer {} gives {}", where, layer.residual_in.describe(),
                            layer.residual, source.describe()));
  if (layer.type == LayerType::conv && (source.height != layer.out.height || source.width != layer.out.width))
    throw Error(fmt::format("{}: residual from layer {} is {}, and a conv adds one value a channel at each of its {} "
                            "output positions",
                            where, layer.residual, source.describe(), layer.out.describe()));
}

void validate(const Network& net, const std::string& where) {
  if (net.AW < 2 || net.AW > kMaxAW) throw Error(fmt::format("{}: AW={} must be in 2..{}", where, net.AW, kMaxAW));
  if (net.input.size() == 0) throw Error(fmt::format("{}: empty input shape", where));
  if (net.layers.empty()) throw Error(fmt::format("{}: no layers", where));
  if (net.timesteps > 10000) throw Error(fmt::format("{}: timesteps {} must be in 0..10000", where, net.timesteps));
  if (net.sigma_delta()) {
    // XW is B, checked against the kind's range with each layer (models::validate of its kernel).
    if (net.AW < 8) throw Error(fmt::format("{}: AW={} must be at least 8 in a sigma-delta network", where, net.AW));
    if (net.timesteps == 0)
      throw Error(fmt::format("{}: a sigma-delta network needs timesteps in 1..10000, got 0", where));
    if (net.input_shift >= (1u << kShiftBits))
      throw Error(fmt::format("{}: input_shift {} must be below {}", where, net.input_shift, 1u << kShiftBits));
    if (net.input_vth < 0 || net.input_vth >= sigma_delta_limit(net.AW))
      throw Error(fmt::format("{}: input_vth {} must be in 0..{}", where, net.input_vth, sigma_delta_limit(net.AW) - 1));
  } else if (net.XW != 8) {
    throw Error(fmt::format("{}: XW={} (8-bit activations, the pixels' width; only sigma-delta networks set XW, "
                            "to their spikes' bits)",
                            where, net.XW));
  }
  Shape shape = net.input;
  for (std::size_t i = 0; i < net.layers.size(); ++i) {
    const Layer& layer = net.layers[i];
    const std::string at = fmt::format("{}: layer {} ({})", where, i + 1, to_string(layer.type));
    if (!(layer.in == shape))
      throw Error(fmt::format("{}: input shape {} but the previous layer gives {}", at, layer.in.describe(),
                              shape.describe()));
    validate_residual(net, i, at);
    validate_layer(net, layer, at);
    shape = layer.out;
  }
  if (!net.layers.back().computes())
    throw Error(fmt::format("{}: the last layer must be dense or conv (it gives the class scores)", where));
  if (net.classes() < 2) throw Error(fmt::format("{}: the last layer has {} outputs; need at least 2", where, net.classes()));
}

void link_residuals(Network& net, const std::string& where) {
  for (std::size_t i = 0; i < net.layers.size(); ++i) {
    Layer& layer = net.layers[i];
    if (layer.residual == 0) continue;
    if (layer.residual > i)
      throw Error(fmt::format("{}: layer {} ({}): residual {}: it must name an earlier layer (1..{})", where, i + 1,
                              to_string(layer.type), layer.residual, i));
    layer.residual_in = net.layers[layer.residual - 1].out;
  }
}

std::vector<bool> residual_sources(const Network& net) {
  std::vector<bool> sources(net.layers.size(), false);
  for (const Layer& l : net.layers)
    if (l.residual) sources.at(l.residual - 1) = true;
  return sources;
}

// ---------------------------------------------------------------- architecture specs

std::vector<LayerSpec> parse_arch(const std::string& spec) {
  std::vector<LayerSpec> layers;
  std::size_t start = 0;
  while (start <= spec.size()) {
    const std::size_t comma = std::min(spec.find(',', start), spec.size());
    std::string item = spec.substr(start, comma - start);
    start = comma + 1;
    const auto bad = [&](const std::string& why) {
      return Error(fmt::format("--arch '{}': layer '{}': {} (layers: dN, cNkM[sS][pP], pN, aN, f; optional @kind)", spec,
                               item, why));
    };
    LayerSpec layer;
    layer.type = LayerType::dense;
    if (const auto at = item.find('@'); at != std::string::npos) {
      layer.kind = parse_kernel_kind(item.substr(at + 1));
      if (!layer.kind) throw bad("unknown kind '" + item.substr(at + 1) + "' (" + kind_list() + ")");
      item.resize(at);
    }
    std::size_t pos = 1;
    const auto number = [&](const char* what) {
      std::size_t end = pos;
      while (end < item.size() && std::isdigit(static_cast<unsigned char>(item[end]))) ++end;
      if (end == pos || end - pos > 6) throw bad(fmt::format("expected a number for the {}", what));
      const unsigned value = static_cast<unsigned>(std::stoul(item.substr(pos, end - pos)));
      if (value == 0) throw bad(fmt::format("the {} must be at least 1", what));
      pos = end;
      return value;
    };
    if (item.empty()) throw bad("empty");
    switch (item[0]) {
      case 'd': layer.type = LayerType::dense; layer.size = number("outputs"); break;
      case 'c':
        layer.type = LayerType::conv;
        layer.size = number("channels");
        if (pos >= item.size() || item[pos] != 'k') throw bad("expected k<size> after the channels");
        ++pos;
        layer.kernel = number("kernel size");
        if (pos < item.size() && item[pos] == 's') {
          ++pos;
          layer.stride = number("stride");
        }
        if (pos < item.size() && item[pos] == 'p') {
          ++pos;
          layer.pad = number("padding");
        }
        break;
      case 'p': layer.type = LayerType::maxpool; layer.kernel = number("window"); break;
      case 'a': layer.type = LayerType::avgpool; layer.kernel = number("window"); break;
      case 'f': layer.type = LayerType::flatten; break;
      default: throw bad("unknown layer type");
    }
    if (pos != item.size()) throw bad("unexpected '" + item.substr(pos) + "'");
    if (!(layer.type == LayerType::dense || layer.type == LayerType::conv) && layer.kind)
      throw bad("only dense and conv layers take a kind");
    layers.push_back(layer);
    if (comma == spec.size()) break;
  }
  return layers;
}

std::vector<Layer> layout(const std::vector<LayerSpec>& spec, const Shape& input, KernelKind kind, unsigned XW) {
  std::vector<Layer> layers;
  std::vector<std::size_t> number_of_spec;  // the layer number each spec became (flatten layers are inserted)
  Shape shape = input;
  for (const LayerSpec& s : spec) {
    if (s.type == LayerType::dense && (shape.height != 1 || shape.width != 1)) {
      Layer flatten;
      flatten.type = LayerType::flatten;
      flatten.in = shape;
      flatten.out = output_shape(flatten, "flatten");
      layers.push_back(flatten);
      shape = flatten.out;
    }
    Layer layer;
    layer.type = s.type;
    layer.kind = s.kind.value_or(kind);
    layer.in = shape;
    layer.kernel = s.kernel;
    layer.stride = s.stride;
    layer.pad = s.pad;
    layer.out.channels = s.size;
    const std::string where = fmt::format("--arch layer {} ({})", layers.size() + 1, to_string(s.type));
    if (s.residual) {
      if (s.residual > number_of_spec.size())
        throw Error(fmt::format("{}: residual {} is not an earlier layer", where, s.residual));
      layer.residual = unsigned(number_of_spec[s.residual - 1]);
      layer.residual_in = layers[layer.residual - 1].out;
    }
    layer.out = output_shape(layer, where);
    if (layer.computes()) {
      const KernelParams p{layer.kind, 1, XW, default_ww(layer.kind, XW), 32};
      layer.code_bits = p.code_bits();
    }
    layers.push_back(layer);
    number_of_spec.push_back(layers.size());
    shape = layer.out;
  }
  if (layers.empty() || !layers.back().computes())
    throw Error("--arch: the last layer must be dense or conv (it gives the class scores)");
  return layers;
}

// ---------------------------------------------------------------- files

static json shape_json(const Shape& s) { return json::array({s.channels, s.height, s.width}); }

static json layer_json(const Layer& layer) {
  json j;
  j["type"] = to_string(layer.type);
  j["in"] = shape_json(layer.in);
  j["out"] = shape_json(layer.out);
  if (layer.type == LayerType::conv || layer.type == LayerType::maxpool || layer.type == LayerType::avgpool)
    j["kernel"] = layer.kernel;
  if (layer.type == LayerType::conv) j["stride"] = layer.stride;
  if (layer.type == LayerType::conv && layer.pad) j["pad"] = layer.pad;
  if (!layer.computes()) return j;
  if (layer.residual) j["residual"] = layer.residual;
  j["kind"] = to_string(layer.kind);
  j["code_bits"] = layer.code_bits;
  if (has_membrane(layer.kind) || has_sigma_delta(layer.kind)) j["vth"] = layer.vth;
  if (!has_membrane(layer.kind)) j["shift"] = layer.shift;
  j["bias"] = layer.bias;
  j["codes"] = layer.codes;
  return j;
}

namespace {

json network_json(const Network& net) {
  json j;
  j["format"] = "neuroppa-model";
  const bool v2 = std::any_of(net.layers.begin(), net.layers.end(),
                              [](const Layer& l) { return l.pad > 0 || l.type == LayerType::avgpool || l.residual > 0; });
  j["version"] = v2 ? 2 : 1;
  j["name"] = net.name;
  j["input"] = shape_json(net.input);
  j["XW"] = net.XW;
  j["AW"] = net.AW;
  j["timesteps"] = net.timesteps;
  if (net.sigma_delta()) {
    j["input_shift"] = net.input_shift;
    j["input_vth"] = net.input_vth;
  }
  j["training"] = {{"arch", net.training.arch},
                   {"seed", net.training.seed},
                   {"epochs", net.training.epochs},
                   {"float_accuracy", net.training.float_accuracy},
                   {"quantised_accuracy", net.training.quantised_accuracy},
                   {"notes", net.training.notes}};
  for (const auto& [name, hash] : net.training.packages) j["training"]["kernel_packages"][name] = hash;
  // Only when recorded: a file without it keeps its content hash.
  if (net.training.test_images >= 0) j["training"]["test_images"] = net.training.test_images;
  j["layers"] = json::array();
  for (const Layer& layer : net.layers) j["layers"].push_back(layer_json(layer));
  return j;
}

}  // namespace

std::string network_hash(const Network& net) { return base::sha256_hex(network_json(net).dump()); }

void write_network(const Network& net, const fs::path& path) {
  validate(net, path.string());
  const std::string text = network_json(net).dump() + "\n";
  const fs::path tmp = path.string() + ".tmp";
  if (path.extension() == ".gz") {
    gzFile out = gzopen(tmp.c_str(), "wb9");
    const bool ok = out && gzwrite(out, text.data(), static_cast<unsigned>(text.size())) == int(text.size());
    if (!out || gzclose(out) != Z_OK || !ok) throw Error(fmt::format("{}: cannot write", tmp.string()));
  } else {
    std::ofstream out(tmp, std::ios::binary);
    out << text;
    if (!out.flush()) throw Error(fmt::format("{}: cannot write", tmp.string()));
  }
  fs::rename(tmp, path);
}

namespace {

// Typed access to a JSON document with errors that name the file and key.
struct Reader {
  std::string where;
  unsigned version = 1;  // of the file

  const json& at(const json& j, const char* key) const {
    if (!j.is_object() || !j.contains(key)) throw Error(fmt::format("{}: missing \"{}\"", where, key));
    return j.at(key);
  }
  template <class T>
  T get(const json& j, const char* key) const {
    const json& v = at(j, key);
    try {
      return v.get<T>();
    } catch (const json::exception&) {
      throw Error(fmt::format("{}: \"{}\" has the wrong type ({})", where, key, v.type_name()));
    }
  }
  // nlohmann converts any number to any arithmetic type, and converting a
  // float outside the target's range is undefined behaviour (found by
  // fuzz_model: 7.8e79 read as unsigned). Integers are read exactly instead.
  template <class T>
  T exact_integer(const json& v, const char* key, T lo = std::numeric_limits<T>::min(),
                  T hi = std::numeric_limits<T>::max()) const {
    const auto within = [&](auto n) { return std::cmp_greater_equal(n, lo) && std::cmp_less_equal(n, hi); };
    if (v.is_number_unsigned()) {
      if (within(v.get<std::uint64_t>())) return static_cast<T>(v.get<std::uint64_t>());
    } else if (v.is_number_integer() && within(v.get<std::int64_t>())) {
      return static_cast<T>(v.get<std::int64_t>());
    }
    throw Error(fmt::format("{}: \"{}\" must be an integer in {}..{}, got {}", where, key, lo, hi, v.dump()));
  }
  template <class T>
  T integer(const json& j, const char* key) const {
    return exact_integer<T>(at(j, key), key);
  }
  template <class T>
  std::vector<T> integers(const json& j, const char* key) const {
    const json& v = at(j, key);
    if (!v.is_array()) throw Error(fmt::format("{}: \"{}\" must be an array of integers", where, key));
    std::vector<T> out;
    out.reserve(v.size());
    for (const json& e : v) out.push_back(exact_integer<T>(e, key));
    return out;
  }
  unsigned count(const json& j, const char* key, unsigned max) const {
    return exact_integer<unsigned>(at(j, key), key, 0, max);
  }
  Shape shape(const json& j, const char* key) const {
    const json& v = at(j, key);
    if (!v.is_array() || v.size() != 3 || !std::all_of(v.begin(), v.end(), [](const json& e) {
          return e.is_number_unsigned() && e.get<std::uint64_t>() <= 100000;
        }))
      throw Error(fmt::format("{}: \"{}\" must be [channels, height, width], got {}", where, key, v.dump()));
    return {v[0].get<unsigned>(), v[1].get<unsigned>(), v[2].get<unsigned>()};
  }
};

Layer read_layer(const Reader& r, const json& j) {
  Layer layer;
  const auto type = parse_layer_type(r.get<std::string>(j, "type"));
  if (!type) throw Error(fmt::format("{}: unknown layer type \"{}\" (dense, conv, maxpool, avgpool, flatten)", r.where,
                                     r.get<std::string>(j, "type")));
  layer.type = *type;
  layer.in = r.shape(j, "in");
  layer.out = r.shape(j, "out");
  if (layer.type == LayerType::avgpool && r.version < 2)
    throw Error(fmt::format("{}: \"avgpool\" needs model format version 2 (the file says 1)", r.where));
  if (layer.type == LayerType::conv || layer.type == LayerType::maxpool || layer.type == LayerType::avgpool)
    layer.kernel = r.count(j, "kernel", 1024);
  if (layer.type == LayerType::conv) layer.stride = r.count(j, "stride", 1024);
  if (layer.type == LayerType::conv && j.contains("pad")) {
    if (r.version < 2) throw Error(fmt::format("{}: \"pad\" needs model format version 2 (the file says 1)", r.where));
    layer.pad = r.count(j, "pad", 1024);
  }
  if (!layer.computes()) return layer;
  if (j.contains("residual")) {
    if (r.version < 2) throw Error(fmt::format("{}: \"residual\" needs model format version 2 (the file says 1)", r.where));
    layer.residual = r.count(j, "residual", 1000000);  // its shape: read_network, once every layer is read
  }
  const std::string kind = r.get<std::string>(j, "kind");
  const auto parsed = parse_kernel_kind(kind);
  if (!parsed)
    throw Error(fmt::format("{}: unknown kind \"{}\": not built in ({}) and no kernel package of that name is on the "
                            "kernel path (--kernel-path DIR or NEUROPPA_KERNEL_PATH)",
                            r.where, kind, kind_list(true)));
  layer.kind = *parsed;
  layer.code_bits = r.count(j, "code_bits", kMaxWW + 1);
  if (has_membrane(layer.kind) || has_sigma_delta(layer.kind)) layer.vth = r.integer<std::int64_t>(j, "vth");
  if (!has_membrane(layer.kind)) layer.shift = r.count(j, "shift", 1000);
  layer.bias = r.integers<std::int64_t>(j, "bias");
  layer.codes = r.integers<std::uint32_t>(j, "codes");
  return layer;
}

}  // namespace

Network read_network(const fs::path& path) {
  const std::string text = base::read_file(path);
  Reader r{path.string()};
  json j;
  // A model nests four levels deep; a bound far above that keeps a
  // malformed file from exhausting the stack of whatever walks it.
  constexpr int kMaxDepth = 64;
  const auto bounded = [&](int depth, json::parse_event_t, json&) {
    if (depth > kMaxDepth)
      throw Error(fmt::format("{}: not a neuroppa model file: JSON nested more than {} deep", path.string(), kMaxDepth));
    return true;
  };
  try {
    j = json::parse(text, bounded);
  } catch (const json::parse_error& e) {
    throw Error(fmt::format("{}: not a neuroppa model file: malformed JSON at byte {}", path.string(), e.byte));
  } catch (const json::exception& e) {  // e.g. a number out of range (1e400)
    throw Error(fmt::format("{}: not a neuroppa model file: {}", path.string(), e.what()));
  }
  if (!j.is_object() || !j.contains("format") || j["format"] != "neuroppa-model")
    throw Error(fmt::format("{}: not a neuroppa model file (no \"format\": \"neuroppa-model\")", path.string()));
  const unsigned version = r.count(j, "version", 1000000);
  if (version < 1 || version > unsigned(kModelFormatVersion))
    throw Error(fmt::format("{}: model format version {}; this neuroppa reads versions 1 to {}", path.string(),
                            version, kModelFormatVersion));
  r.version = version;
  Network net;
  net.name = r.get<std::string>(j, "name");
  net.input = r.shape(j, "input");
  net.XW = r.count(j, "XW", kMaxXW);
  net.AW = r.count(j, "AW", kMaxAW);
  net.timesteps = r.count(j, "timesteps", 1000000);
  if (j.contains("input_shift")) net.input_shift = r.count(j, "input_shift", 1000);
  if (j.contains("input_vth")) net.input_vth = r.integer<std::int64_t>(j, "input_vth");
  if (j.contains("training")) {
    const json& t = j["training"];
    net.training.arch = r.get<std::string>(t, "arch");
    net.training.seed = r.integer<std::uint64_t>(t, "seed");
    net.training.epochs = r.integer<unsigned>(t, "epochs");
    net.training.float_accuracy = r.get<double>(t, "float_accuracy");
    net.training.quantised_accuracy = r.get<double>(t, "quantised_accuracy");
    net.training.notes = r.get<std::string>(t, "notes");
    if (t.contains("test_images")) net.training.test_images = r.integer<std::uint32_t>(t, "test_images");
    if (t.contains("kernel_packages")) {
      const json& packages = t["kernel_packages"];
      if (!packages.is_object())
        throw Error(fmt::format("{}: training.kernel_packages must be an object of package name: content hash",
                                path.string()));
      for (const auto& [name, hash] : packages.items()) {
        if (!hash.is_string())
          throw Error(fmt::format("{}: training.kernel_packages.{} must be a string (a content hash)", path.string(), name));
        net.training.packages.emplace_back(name, hash.get<std::string>());
      }
    }
  }
  const json& layers = r.at(j, "layers");
  if (!layers.is_array()) throw Error(fmt::format("{}: \"layers\" must be an array", path.string()));
  for (std::size_t i = 0; i < layers.size(); ++i) {
    Reader lr{fmt::format("{}: layer {}", path.string(), i + 1), r.version};
    net.layers.push_back(read_layer(lr, layers[i]));
  }
  link_residuals(net, path.string());
  validate(net, path.string());
  return net;
}

// ---------------------------------------------------------------- inference

SpikeEncoder::SpikeEncoder(const std::uint8_t* image, std::size_t size, unsigned XW)
    : image_(image), XW_(XW), charge_(size, 1u << (XW - 1)), spikes_(size) {}

const std::vector<std::uint32_t>& SpikeEncoder::next() {
  const std::uint32_t full = 1u << XW_;
  for (std::size_t i = 0; i < charge_.size(); ++i) {
    charge_[i] += image_[i];
    spikes_[i] = charge_[i] >= full;
    if (spikes_[i]) charge_[i] -= full;
  }
  return spikes_;
}

void gather_patch(const Layer& layer, const std::vector<std::uint32_t>& in, unsigned y, unsigned x,
                  std::uint32_t* patch) {
  const unsigned k = layer.kernel, H = layer.in.height, W = layer.in.width;
  if (layer.pad == 0) {
    for (unsigned c = 0; c < layer.in.channels; ++c)
      for (unsigned dy = 0; dy < k; ++dy) {
        const std::uint32_t* row = &in[(std::size_t{c} * H + y * layer.stride + dy) * W + x * layer.stride];
        std::copy(row, row + k, patch);
        patch += k;
      }
    return;
  }
  // Padded: positions outside the input read 0 (no activation, no spike).
  const int top = int(y * layer.stride) - int(layer.pad), left = int(x * layer.stride) - int(layer.pad);
  for (unsigned c = 0; c < layer.in.channels; ++c)
    for (unsigned dy = 0; dy < k; ++dy)
      for (unsigned dx = 0; dx < k; ++dx) {
        const int row = top + int(dy), col = left + int(dx);
        const bool inside = row >= 0 && row < int(H) && col >= 0 && col < int(W);
        *patch++ = inside ? in[(std::size_t{c} * H + unsigned(row)) * W + unsigned(col)] : 0;
      }
}

void gather_fan_in(const Layer& layer, const std::vector<std::uint32_t>& in, const std::vector<std::uint32_t>& residual,
                   unsigned y, unsigned x, std::uint32_t* fan) {
  if (layer.type == LayerType::conv) {
    gather_patch(layer, in, y, x, fan);
    fan += std::size_t{layer.in.channels} * layer.kernel * layer.kernel;
  } else {
    fan = std::copy(in.begin(), in.end(), fan);
  }
  if (layer.residual == 0) return;
  if (layer.type != LayerType::conv) {
    std::copy(residual.begin(), residual.end(), fan);
    return;
  }
  const std::size_t plane = std::size_t{layer.residual_in.height} * layer.residual_in.width;
  for (unsigned c = 0; c < layer.residual_in.channels; ++c) *fan++ = residual[c * plane + std::size_t{y} * layer.residual_in.width + x];
}

namespace {

// Each output of a pooling layer from its window's values: `reduce(acc, value)` over them from 0, then `finish(acc)`.
template <class Reduce, class Finish>
std::vector<std::uint32_t> pool_windows(const Layer& layer, const std::vector<std::uint32_t>& in, Reduce reduce,
                                        Finish finish) {
  std::vector<std::uint32_t> out(layer.out.size());
  const unsigned p = layer.kernel;
  for (unsigned c = 0; c < layer.out.channels; ++c)
    for (unsigned y = 0; y < layer.out.height; ++y)
      for (unsigned x = 0; x < layer.out.width; ++x) {
        std::uint64_t acc = 0;
        for (unsigned dy = 0; dy < p; ++dy)
          for (unsigned dx = 0; dx < p; ++dx)
            acc = reduce(acc, in[(std::size_t{c} * layer.in.height + y * p + dy) * layer.in.width + x * p + dx]);
        out[(std::size_t{c} * layer.out.height + y) * layer.out.width + x] = finish(acc);
      }
  return out;
}

}  // namespace

std::vector<std::uint32_t> maxpool(const Layer& layer, const std::vector<std::uint32_t>& in) {
  return pool_windows(
      layer, in, [](std::uint64_t m, std::uint32_t v) { return std::max<std::uint64_t>(m, v); },
      [](std::uint64_t m) { return std::uint32_t(m); });
}

std::vector<std::uint32_t> avgpool(const Layer& layer, const std::vector<std::uint32_t>& in) {
  const std::uint64_t area = std::uint64_t{layer.kernel} * layer.kernel;
  return pool_windows(
      layer, in, [](std::uint64_t sum, std::uint32_t v) { return sum + v; },
      [area](std::uint64_t sum) { return std::uint32_t((sum + area / 2) / area); });
}

namespace {

// Wrapped sum of the synapse terms of one neuron (every synapse: a
// package's term need not vanish at x = 0; AdderNet's -|x - w| does not).
// `table`: term_table(p), or nullptr.
std::int64_t neuron_sum(const KernelParams& p, const std::int64_t* table, const std::uint32_t* x,
                        const std::uint32_t* codes, unsigned n) {
  std::uint64_t sum = 0;
  if (table) {
    const unsigned bits = p.activation_bits();  // asked once: it is a registry lookup
    for (unsigned f = 0; f < n; ++f) sum += static_cast<std::uint64_t>(table[(std::size_t{codes[f]} << bits) | x[f]]);
  } else {
    for (unsigned f = 0; f < n; ++f) sum += static_cast<std::uint64_t>(synapse_term(p, x[f], codes[f]));
  }
  return wrap_signed(sum, p.AW);
}

// Calls fn(output index, output channel, fan-in vector) for each neuron of a compute layer.
template <class Fn>
void for_each_neuron(const Layer& layer, const std::vector<std::uint32_t>& in, const std::vector<std::uint32_t>& residual,
                     Fn&& fn) {
  if (layer.type == LayerType::dense && layer.residual == 0) {  // the input is the fan-in: no copy
    for (unsigned o = 0; o < layer.out.channels; ++o) fn(o, o, in.data());
    return;
  }
  std::vector<std::uint32_t> patch(layer.fan_in());
  if (layer.type == LayerType::dense) {
    gather_fan_in(layer, in, residual, 0, 0, patch.data());
    for (unsigned o = 0; o < layer.out.channels; ++o) fn(o, o, patch.data());
    return;
  }
  const std::size_t plane = std::size_t{layer.out.height} * layer.out.width;
  for (unsigned y = 0; y < layer.out.height; ++y)
    for (unsigned x = 0; x < layer.out.width; ++x) {
      gather_fan_in(layer, in, residual, y, x, patch.data());
      for (unsigned o = 0; o < layer.out.channels; ++o)
        fn(o * plane + std::size_t{y} * layer.out.width + x, o, patch.data());
    }
}

}  // namespace

unsigned predict(const std::vector<std::uint32_t>& outputs, const std::vector<std::int64_t>& membrane) {
  unsigned best = 0;
  for (unsigned i = 1; i < outputs.size(); ++i) {
    const bool higher = outputs[i] > outputs[best] ||
                        (outputs[i] == outputs[best] && !membrane.empty() && membrane[i] > membrane[best]);
    if (higher) best = i;
  }
  return best;
}

namespace {

// One timestep of a sigma-delta network's layers on `act` (the encoded input):
// every neuron updates its state; the graded spikes go on.
void sigma_delta_timestep(const Network& net, std::vector<LayerState>& state, std::vector<std::uint32_t>& act,
                          unsigned t, Inference& result, std::vector<std::vector<std::uint32_t>>* layer_inputs) {
  const std::vector<bool> sources = residual_sources(net);
  std::vector<std::vector<std::uint32_t>> kept(net.layers.size());  // the outputs a later layer's residual reads
  for (std::size_t l = 0; l < net.layers.size(); ++l) {
    const Layer& layer = net.layers[l];
    if (layer_inputs) layer_inputs->push_back(act);
    if (layer.type == LayerType::maxpool) act = sigma_delta_maxpool(layer, net.XW, act, state[l]);
    if (!layer.computes()) {
      if (sources[l]) kept[l] = act;
      continue;
    }
    const KernelParams p = net.kernel_params(layer, 1);
    const std::int64_t* table = term_table(p);
    std::vector<std::uint32_t> out(layer.out.size());
    const unsigned n = layer.fan_in();
    LayerState& s = state[l];
    const std::vector<std::uint32_t> none;
    for_each_neuron(layer, act, layer.residual ? kept[layer.residual - 1] : none, [&](std::size_t i, unsigned o, const std::uint32_t* x) {
      const std::int64_t acc = neuron_sum(p, table, x, &layer.codes[std::size_t{o} * n], n);
      const SigmaDeltaUpdate u =
          sigma_delta_update(p, acc, layer.bias[o], layer.shift, s.v[i], s.act[i], s.residue[i], layer.vth);
      check_sigma_delta_state(u, net.AW, l, layer, i, t);
      s.v[i] = u.sigma;
      s.act[i] = u.act;
      s.residue[i] = u.residue;
      out[i] = u.spike;
      result.graded.add(u.spike, net.XW);
    });
    act = std::move(out);
    if (sources[l]) kept[l] = act;
  }
}

Inference infer_sigma_delta(const Network& net, const std::uint8_t* image,
                            std::vector<std::vector<std::uint32_t>>* layer_inputs) {
  Inference result;
  std::vector<LayerState> state = initial_states(net);
  SigmaDeltaEncoder encoder(image, net);
  std::vector<std::uint32_t> act;
  for (unsigned t = 0; t < net.timesteps; ++t) {
    act = encoder.next();
    for (const std::uint32_t s : act) result.input_spikes += s != 0;
    sigma_delta_timestep(net, state, act, t, result, layer_inputs);
  }
  result.spikes = result.graded.events;
  read_sigma_delta_outputs(net, state.back(), result);
  return result;
}

}  // namespace

Inference infer(const Network& net, const std::uint8_t* image, std::vector<std::vector<std::uint32_t>>* layer_inputs) {
  Inference result;
  std::vector<std::uint32_t> act;
  std::vector<std::vector<std::int64_t>> v(net.layers.size());  // spiking: membranes
  const std::vector<bool> sources = residual_sources(net);
  std::vector<std::vector<std::uint32_t>> kept(net.layers.size());  // the outputs a later layer's residual reads
  const std::vector<std::uint32_t> none;
  // One pass through every layer on `act`.
  const auto all_layers = [&] {
    for (std::size_t l = 0; l < net.layers.size(); ++l) {
      const Layer& layer = net.layers[l];
      if (layer_inputs) layer_inputs->push_back(act);
      if (layer.type == LayerType::maxpool) act = maxpool(layer, act);
      if (layer.type == LayerType::avgpool) act = avgpool(layer, act);
      if (!layer.computes()) {
        if (sources[l]) kept[l] = act;
        continue;
      }
      const KernelParams p = net.kernel_params(layer, 1);
      const std::int64_t* table = term_table(p);
      std::vector<std::uint32_t> out(layer.out.size());
      const unsigned n = layer.fan_in();
      const std::vector<std::uint32_t>& residual = layer.residual ? kept[layer.residual - 1] : none;
      for_each_neuron(layer, act, residual, [&](std::size_t index, unsigned o, const std::uint32_t* x) {
        const std::int64_t acc = neuron_sum(p, table, x, &layer.codes[std::size_t{o} * n], n);
        if (!net.spiking()) {
          out[index] = output_stage(p, acc, layer.bias[o], layer.shift);
          return;
        }
        const SpikeUpdate update = spike_update(p, v[l][index], acc, layer.bias[o], layer.vth);
        v[l][index] = update.v;
        out[index] = update.spike;
        result.spikes += update.spike;
      });
      act = std::move(out);
      if (sources[l]) kept[l] = act;
    }
  };
  if (layer_inputs) layer_inputs->clear();
  if (net.sigma_delta()) return infer_sigma_delta(net, image, layer_inputs);
  if (!net.spiking()) {
    act.assign(image, image + net.input.size());
    all_layers();
    result.outputs = std::move(act);
    result.predicted = predict(result.outputs, {});
    return result;
  }
  for (std::size_t l = 0; l < net.layers.size(); ++l)
    if (net.layers[l].computes()) v[l].assign(net.layers[l].out.size(), 0);
  result.outputs.assign(net.classes(), 0);
  SpikeEncoder encoder(image, net.input.size(), net.XW);
  for (unsigned t = 0; t < net.timesteps; ++t) {
    act = encoder.next();
    for (const std::uint32_t s : act) result.input_spikes += s;
    all_layers();
    for (std::size_t i = 0; i < act.size(); ++i) result.outputs[i] += act[i];
  }
  result.membrane = v.back();
  result.predicted = predict(result.outputs, result.membrane);
  return result;
}

}  // namespace neuroppa::models
