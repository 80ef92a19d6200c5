// The kernel catalogue: one traits entry per neuron kind, from which the
// model specs, the harness and accelerator ports, the synthesis requests and
// the command line's choices are derived. Every kind is a kernel package
// (kernels/package.hpp): what it computes is its golden model, how it is
// built its RTL (the package's, around neuroppa's shared blocks in rtl/).
#pragma once

#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "neuroppa/models/kernel.hpp"

namespace neuroppa::kernels {

struct KernelTraits {
  models::KernelKind kind;
  std::string_view name;         // as users type it: "mac"
  std::string_view description;  // one line, for --help and reports
  std::string_view top;          // the kernel's top module
  bool rtl_takes_XW;             // the module has an XW parameter
  bool rtl_takes_WW;             // the module has a WW parameter (threshold: implied XW + 1)
};

// Every registered kind, in the order reports list them (the built-ins, mac,
// the baseline, first; then the user's packages).
std::vector<KernelTraits> catalogue();
const KernelTraits& traits(models::KernelKind kind);
// The kind every saving is measured against: mac, the multiply-accumulate
// baseline (the first built-in package).
models::KernelKind baseline_kind();

// "mac, shift, threshold, spike"
std::string kind_names();
// Comma-separated kinds ("all" for every one) as `option` was given them;
// throws neuroppa::Error naming the option, the unknown kind and the choices.
std::vector<models::KernelKind> parse_kinds(std::string_view list, std::string_view option);
// The same for micro-architectures: "chain, tree, csa, booth-csa".
std::string arch_names();
// "default" gives no arch: each kind takes models::default_arch.
std::vector<models::KernelArch> parse_archs(std::string_view list, std::string_view option);
// Each kind's default arch: "mac csa, shift csa, threshold tree, spike tree".
std::string default_archs();
// The (kind, arch) pairs that exist (models::arch_exists), arch-major: an
// arch that exists for none of `kinds` is an error naming `option`, the arch
// and the kinds it exists for; one that exists for some is built for those
// (and with every arch, "all", each kind takes those it has). No arch: each
// kind's default.
std::vector<std::pair<models::KernelArch, models::KernelKind>> arch_kind_pairs(
    std::span<const models::KernelArch> archs, std::span<const models::KernelKind> kinds, std::string_view option);
// One reset style, "async" or "sync", as `option` gave it.
models::ResetStyle parse_reset(std::string_view name, std::string_view option);

// Top module of a kind, e.g. "np_mac_kernel".
std::string top_module(models::KernelKind kind);

struct RtlSource {
  std::string name;  // file name, e.g. "np_mac_kernel.sv"
  std::string text;
};
// The RTL a kind needs, in compilation order (the package first).
std::vector<RtlSource> rtl_sources(models::KernelKind kind);
// The text of one file of rtl/ (compiled into neuroppa); throws
// std::logic_error if there is no such file.
std::string_view rtl_text(std::string_view file);

// The module parameters for `params` (-G overrides), valid parameters only
// (models::validate); throws neuroppa::Error otherwise.
std::vector<std::pair<std::string, std::string>> rtl_parameters(const models::KernelParams& params);

struct KernelPort {
  std::string name;
  unsigned width = 1;
  bool output = false;
};
// The module's ports for `params`: the handshake, x_i/w_i, bias_i, and the
// output stage's shift_i/y_o, the membrane's v_i/vth_i/spike_o/v_o, or the
// sigma-delta's shift_i/vth_i, sigma_i/act_i/residue_i, spike_o (XW bits)
// and sigma_o/act_o/residue_o.
std::vector<KernelPort> ports(const models::KernelParams& params);

}  // namespace neuroppa::kernels
