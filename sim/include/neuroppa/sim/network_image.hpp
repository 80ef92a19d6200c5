// The bytes a host places in system memory for the accelerator: a job
// descriptor, the network image (layer table, packed weight codes, biases)
// and the images; and the result record the accelerator writes back per
// image. All little-endian; the layouts are documented in docs/platform.md.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "neuroppa/models/network.hpp"

namespace neuroppa::sim {

inline constexpr std::uint32_t kJobMagic = 0x424A504Eu;      // "NPJB"
inline constexpr std::uint32_t kNetworkMagic = 0x574E504Eu;  // "NPNW"
inline constexpr std::uint32_t kImageFormatVersion = 4;  // 2: the sigma-delta input encoder (input shift, vth) in the header; 3: conv padding (u32 after the regions); 4: the residual layer (u32 after the padding)
inline constexpr std::size_t kJobDescriptorBytes = 64;
inline constexpr std::size_t kNetworkHeaderBytes = 48;
inline constexpr std::size_t kLayerRecordBytes = 96;
inline constexpr unsigned kMaxImageLayers = 256;

struct JobDescriptor {
  std::uint64_t network_address = 0, network_bytes = 0;
  std::uint64_t images_address = 0;
  std::uint32_t image_count = 0, image_bytes = 0;
  std::uint64_t results_address = 0;
  std::uint32_t result_stride = 0;
};

std::vector<std::uint8_t> encode_job(const JobDescriptor& job);
// Throws neuroppa::Error naming the field when the bytes are not a descriptor.
JobDescriptor decode_job(std::span<const std::uint8_t> bytes);

// Where each layer's packed codes and biases sit in a network image, so the
// DMA can fetch a layer's (or a group's) weights by address.
struct LayerRegion {
  std::uint64_t codes_offset = 0, codes_bytes = 0;  // bit-packed, code_bits each, LSB first
  std::uint64_t bias_offset = 0, bias_bytes = 0;    // int64 per output channel
};

std::vector<std::uint8_t> encode_network(const models::Network& network);
// Decodes and validates (models::validate); throws neuroppa::Error naming
// the layer and field of the first inconsistency.
models::Network decode_network(std::span<const std::uint8_t> bytes);
// The regions of every layer of an encoded network (empty for layers without weights).
std::vector<LayerRegion> network_regions(std::span<const std::uint8_t> bytes);
// Bytes of the header and layer table (what the accelerator reads first).
std::size_t table_bytes(std::span<const std::uint8_t> bytes);

// One image's result, written by the accelerator at results_address + i * stride.
std::size_t result_bytes(const models::Network& network);
std::vector<std::uint8_t> encode_result(const models::Inference& result, const models::Network& network);
models::Inference decode_result(std::span<const std::uint8_t> bytes, const models::Network& network);

}  // namespace neuroppa::sim
