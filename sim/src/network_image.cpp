#include "neuroppa/sim/network_image.hpp"

#include <fmt/format.h>

#include "neuroppa/base/error.hpp"

namespace neuroppa::sim {
namespace {

class Writer {
 public:
  explicit Writer(std::vector<std::uint8_t>& out) : out_(out) {}
  void u32(std::uint32_t v) { put(v, 4); }
  void u64(std::uint64_t v) { put(v, 8); }

 private:
  void put(std::uint64_t v, int bytes) {
    for (int i = 0; i < bytes; ++i) out_.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
  }
  std::vector<std::uint8_t>& out_;
};

// Reads fields at increasing offsets; every read is bounds-checked and names
// what it was reading.
class Reader {
 public:
  Reader(std::span<const std::uint8_t> bytes, std::size_t at, std::string where)
      : bytes_(bytes), at_(at), where_(std::move(where)) {}
  std::uint32_t u32(const char* field) { return static_cast<std::uint32_t>(get(field, 4)); }
  std::uint64_t u64(const char* field) { return get(field, 8); }

 private:
  std::uint64_t get(const char* field, std::size_t n) {
    if (at_ + n > bytes_.size())
      throw Error(fmt::format("{}: {} at byte {} lies beyond the {} bytes given", where_, field, at_, bytes_.size()));
    std::uint64_t v = 0;
    for (std::size_t i = 0; i < n; ++i) v |= std::uint64_t{bytes_[at_ + i]} << (8 * i);
    at_ += n;
    return v;
  }
  std::span<const std::uint8_t> bytes_;
  std::size_t at_;
  std::string where_;
};

// Offset of a layer record's region fields: 12 u32 and vth come first.
constexpr std::size_t kRegionField = 12 * 4 + 8;

std::uint64_t packed_bytes(std::uint64_t codes, unsigned bits) { return (codes * bits + 7) / 8; }

void check_header(Reader& r, std::uint32_t magic, const char* what) {
  if (r.u32("magic") != magic) throw Error(fmt::format("{}: wrong magic number", what));
  if (const std::uint32_t v = r.u32("version"); v != kImageFormatVersion)
    throw Error(fmt::format("{}: format version {} (this accelerator reads {})", what, v, kImageFormatVersion));
}

struct Header {
  unsigned layers = 0;
};

Header read_network_header(std::span<const std::uint8_t> bytes, models::Network* net) {
  Reader r(bytes, 0, "network image");
  check_header(r, kNetworkMagic, "network image");
  Header h;
  h.layers = r.u32("layer count");
  if (h.layers == 0 || h.layers > kMaxImageLayers)
    throw Error(fmt::format("network image: {} layers (1..{})", h.layers, kMaxImageLayers));
  if (kNetworkHeaderBytes + std::size_t{h.layers} * kLayerRecordBytes > bytes.size())
    throw Error(fmt::format("network image: a table of {} layers does not fit its {} bytes", h.layers, bytes.size()));
  if (net) {
    net->XW = r.u32("XW");
    net->AW = r.u32("AW");
    net->timesteps = r.u32("timesteps");
    net->input.channels = r.u32("input channels");
    net->input.height = r.u32("input height");
    net->input.width = r.u32("input width");
    net->input_shift = r.u32("input shift");
    net->input_vth = static_cast<std::int64_t>(r.u64("input vth"));
  }
  return h;
}

LayerRegion read_region(Reader& r) {
  LayerRegion region;
  region.codes_offset = r.u64("codes offset");
  region.codes_bytes = r.u64("codes bytes");
  region.bias_offset = r.u64("bias offset");
  region.bias_bytes = r.u64("bias bytes");
  return region;
}

void check_region(std::uint64_t offset, std::uint64_t size, std::size_t total, const std::string& what) {
  if (offset > total || size > total - offset)
    throw Error(fmt::format("{} [{}, +{}) lies outside the {}-byte image", what, offset, size, total));
}

}  // namespace

std::vector<std::uint8_t> encode_job(const JobDescriptor& job) {
  std::vector<std::uint8_t> out;
  Writer w(out);
  w.u32(kJobMagic);
  w.u32(kImageFormatVersion);
  w.u64(job.network_address);
  w.u64(job.network_bytes);
  w.u64(job.images_address);
  w.u32(job.image_count);
  w.u32(job.image_bytes);
  w.u64(job.results_address);
  w.u32(job.result_stride);
  out.resize(kJobDescriptorBytes, 0);
  return out;
}

JobDescriptor decode_job(std::span<const std::uint8_t> bytes) {
  Reader r(bytes, 0, "job descriptor");
  check_header(r, kJobMagic, "job descriptor");
  JobDescriptor job;
  job.network_address = r.u64("network address");
  job.network_bytes = r.u64("network bytes");
  job.images_address = r.u64("images address");
  job.image_count = r.u32("image count");
  job.image_bytes = r.u32("image bytes");
  job.results_address = r.u64("results address");
  job.result_stride = r.u32("result stride");
  if (job.image_count == 0) throw Error("job descriptor: image count 0");
  if (job.network_bytes < kNetworkHeaderBytes)
    throw Error(fmt::format("job descriptor: a network of {} bytes is shorter than its header", job.network_bytes));
  return job;
}

std::vector<std::uint8_t> encode_network(const models::Network& net) {
  models::validate(net, net.name.empty() ? "network" : net.name);
  std::vector<std::uint8_t> out;
  Writer w(out);
  w.u32(kNetworkMagic);
  w.u32(kImageFormatVersion);
  w.u32(static_cast<std::uint32_t>(net.layers.size()));
  w.u32(net.XW);
  w.u32(net.AW);
  w.u32(net.timesteps);
  w.u32(net.input.channels);
  w.u32(net.input.height);
  w.u32(net.input.width);
  w.u32(net.input_shift);
  w.u64(static_cast<std::uint64_t>(net.input_vth));
  out.resize(kNetworkHeaderBytes, 0);
  std::uint64_t data = kNetworkHeaderBytes + net.layers.size() * kLayerRecordBytes;
  std::vector<LayerRegion> regions;
  for (const models::Layer& l : net.layers) {
    LayerRegion region;
    if (l.computes()) {
      region.codes_offset = data;
      region.codes_bytes = packed_bytes(l.codes.size(), l.code_bits);
      region.bias_offset = (data + region.codes_bytes + 7) / 8 * 8;
      region.bias_bytes = 8 * l.bias.size();
      data = region.bias_offset + region.bias_bytes;
    }
    regions.push_back(region);
    const std::size_t start = out.size();
    w.u32(static_cast<std::uint32_t>(l.type));
    w.u32(static_cast<std::uint32_t>(l.kind));
    for (const models::Shape* s : {&l.in, &l.out}) {
      w.u32(s->channels);
      w.u32(s->height);
      w.u32(s->width);
    }
    w.u32(l.kernel);
    w.u32(l.stride);
    w.u32(l.code_bits);
    w.u32(l.shift);
    w.u64(static_cast<std::uint64_t>(l.vth));
    w.u64(region.codes_offset);
    w.u64(region.codes_bytes);
    w.u64(region.bias_offset);
    w.u64(region.bias_bytes);
    w.u32(l.pad);  // format 3
    w.u32(l.residual);  // format 4 (its shape follows from the layer it names)
    out.resize(start + kLayerRecordBytes, 0);
  }
  out.resize(data, 0);
  for (std::size_t i = 0; i < net.layers.size(); ++i) {
    const models::Layer& l = net.layers[i];
    if (!l.computes()) continue;
    std::uint8_t* codes = &out[regions[i].codes_offset];
    std::uint64_t bit = 0;
    for (const std::uint32_t c : l.codes)
      for (unsigned b = 0; b < l.code_bits; ++b, ++bit)
        if ((c >> b) & 1u) codes[bit / 8] |= static_cast<std::uint8_t>(1u << (bit % 8));
    for (std::size_t o = 0; o < l.bias.size(); ++o)
      for (int b = 0; b < 8; ++b)
        out[regions[i].bias_offset + 8 * o + b] = static_cast<std::uint8_t>(static_cast<std::uint64_t>(l.bias[o]) >> (8 * b));
  }
  return out;
}

std::vector<LayerRegion> network_regions(std::span<const std::uint8_t> bytes) {
  const Header h = read_network_header(bytes, nullptr);
  std::vector<LayerRegion> regions;
  for (unsigned i = 0; i < h.layers; ++i) {
    Reader r(bytes, kNetworkHeaderBytes + std::size_t{i} * kLayerRecordBytes + kRegionField, fmt::format("network image layer {}", i + 1));
    regions.push_back(read_region(r));
  }
  return regions;
}

std::size_t table_bytes(std::span<const std::uint8_t> bytes) {
  return kNetworkHeaderBytes + std::size_t{read_network_header(bytes, nullptr).layers} * kLayerRecordBytes;
}

models::Network decode_network(std::span<const std::uint8_t> bytes) {
  models::Network net;
  net.name = "network image";
  const Header h = read_network_header(bytes, &net);
  for (unsigned i = 0; i < h.layers; ++i) {
    const std::string where = fmt::format("network image layer {}", i + 1);
    Reader r(bytes, kNetworkHeaderBytes + std::size_t{i} * kLayerRecordBytes, where);
    models::Layer l;
    const std::uint32_t type = r.u32("type"), kind = r.u32("kind");
    if (type > static_cast<std::uint32_t>(models::LayerType::avgpool))
      throw Error(fmt::format("{}: layer type {} unknown", where, type));
    if (!models::is_kernel_kind(kind)) throw Error(fmt::format("{}: kernel kind {} unknown", where, kind));
    l.type = static_cast<models::LayerType>(type);
    l.kind = static_cast<models::KernelKind>(kind);
    for (models::Shape* s : {&l.in, &l.out}) {
      s->channels = r.u32("channels");
      s->height = r.u32("height");
      s->width = r.u32("width");
    }
    l.kernel = r.u32("kernel");
    l.stride = r.u32("stride");
    l.code_bits = r.u32("code bits");
    l.shift = r.u32("shift");
    l.vth = static_cast<std::int64_t>(r.u64("vth"));
    const LayerRegion region = read_region(r);
    l.pad = r.u32("pad");
    l.residual = r.u32("residual");
    if (l.residual > i)
      throw Error(fmt::format("{}: residual {}: it must name an earlier layer (1..{})", where, l.residual, i));
    if (l.residual) l.residual_in = net.layers[l.residual - 1].out;
    if (l.computes()) {
      if (l.code_bits == 0 || l.code_bits > 32) throw Error(fmt::format("{}: code bits {} (1..32)", where, l.code_bits));
      const std::uint64_t codes = std::uint64_t{l.out.channels} * l.fan_in();
      if (codes > 8 * std::uint64_t{bytes.size()})
        throw Error(fmt::format("{}: {} outputs x fan-in {} is more codes than the image holds", where, l.out.channels,
                                l.fan_in()));
      if (region.codes_bytes != packed_bytes(codes, l.code_bits))
        throw Error(fmt::format("{}: {} bytes of codes, {} outputs x fan-in {} x {} bits need {}", where,
                                region.codes_bytes, l.out.channels, l.fan_in(), l.code_bits,
                                packed_bytes(codes, l.code_bits)));
      if (region.bias_bytes != 8ull * l.out.channels)
        throw Error(fmt::format("{}: {} bytes of bias for {} outputs", where, region.bias_bytes, l.out.channels));
      check_region(region.codes_offset, region.codes_bytes, bytes.size(), where + ": codes");
      check_region(region.bias_offset, region.bias_bytes, bytes.size(), where + ": biases");
      l.codes.resize(codes);  // bounded: the packed bytes are inside the image
      const std::uint8_t* packed = &bytes[region.codes_offset];
      std::uint64_t bit = 0;
      for (std::uint32_t& c : l.codes)
        for (unsigned b = 0; b < l.code_bits; ++b, ++bit) c |= std::uint32_t{(packed[bit / 8] >> (bit % 8)) & 1u} << b;
      Reader biases(bytes, region.bias_offset, where + " biases");
      for (unsigned o = 0; o < l.out.channels; ++o) l.bias.push_back(static_cast<std::int64_t>(biases.u64("bias")));
    }
    net.layers.push_back(std::move(l));
  }
  models::validate(net, "network image");
  return net;
}

std::size_t result_bytes(const models::Network& net) {
  return 24 + 4 * net.classes() + (net.spiking() ? 8 * net.classes() : 0) + (net.sigma_delta() ? 32 : 0);
}

std::vector<std::uint8_t> encode_result(const models::Inference& result, const models::Network& net) {
  std::vector<std::uint8_t> out;
  Writer w(out);
  w.u32(result.predicted);
  w.u32(0);
  w.u64(result.spikes);
  w.u64(result.input_spikes);
  for (const std::uint32_t v : result.outputs) w.u32(v);
  if (net.spiking())
    for (const std::int64_t v : result.membrane) w.u64(static_cast<std::uint64_t>(v));
  if (net.sigma_delta())
    for (const std::uint64_t v : {result.graded.events, result.graded.activity_bits, result.graded.significant_bits,
                                  result.graded.activities})
      w.u64(v);
  return out;
}

models::Inference decode_result(std::span<const std::uint8_t> bytes, const models::Network& net) {
  Reader r(bytes, 0, "result record");
  models::Inference result;
  result.predicted = r.u32("predicted class");
  r.u32("reserved");
  result.spikes = r.u64("spikes");
  result.input_spikes = r.u64("input spikes");
  for (std::size_t c = 0; c < net.classes(); ++c) result.outputs.push_back(r.u32("output"));
  if (net.spiking())
    for (std::size_t c = 0; c < net.classes(); ++c) result.membrane.push_back(static_cast<std::int64_t>(r.u64("membrane")));
  if (net.sigma_delta()) {
    result.graded.events = r.u64("events");
    result.graded.activity_bits = r.u64("activity bits");
    result.graded.significant_bits = r.u64("significant bits");
    result.graded.activities = r.u64("activities");
  }
  return result;
}

}  // namespace neuroppa::sim
