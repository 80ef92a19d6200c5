#include "neuroppa/sim/kernel_regression.hpp"

#include <chrono>
#include <fmt/format.h>
#include <fmt/ranges.h>

namespace neuroppa::sim {

RegressionResult run_regression(KernelHarness& dut, models::KernelGolden& golden,
                                models::BeatStream& stream, std::uint64_t beats,
                                const CountProgressFn& progress) {
  constexpr std::uint64_t kProgressEvery = std::uint64_t{1} << 20;
  RegressionResult r;
  dut.reset();
  golden.reset();
  const auto start = std::chrono::steady_clock::now();
  while (r.beats < beats) {
    const models::Beat& beat = stream.next();
    const models::KernelOutputs& expected = golden.step(beat);
    const models::KernelOutputs& got = dut.step(beat);
    if (got != expected) {
      if (r.mismatches++ == 0) r.first = Mismatch{r.cycles, r.beats, stream.scenario(), beat, expected, got};
    }
    r.outputs += expected.valid;
    ++r.cycles;
    if (beat.valid && (++r.beats % kProgressEvery) == 0 && progress) progress(r.beats, beats);
  }
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return r;
}

namespace {

std::string outputs_text(const models::KernelOutputs& o, const models::KernelParams& p) {
  if (models::has_membrane(p.kind)) return fmt::format("valid={} spike={} v={}", o.valid, o.y, o.v);
  if (models::has_sigma_delta(p.kind))
    return fmt::format("valid={} spike={} sigma={} act={} residue={}", o.valid, o.y, o.sigma, o.act, o.residue);
  return fmt::format("valid={} y={}", o.valid, o.y);
}

}  // namespace

std::string describe(const Mismatch& m, const models::KernelParams& p) {
  const models::Beat& b = m.inputs;
  std::string text = fmt::format("first mismatch at cycle {} (beat {}, scenario {}):\n", m.cycle,
                                 m.beat, models::to_string(m.scenario));
  text += fmt::format("  inputs   valid={} first={} last={} bias={}", b.valid, b.first, b.last, b.bias);
  if (models::has_membrane(p.kind)) text += fmt::format(" v={} vth={}", b.v, b.vth);
  else if (models::has_sigma_delta(p.kind))
    text += fmt::format(" shift={} vth={} sigma={} act={} residue={}", b.shift, b.vth, b.sigma, b.act, b.residue);
  else text += fmt::format(" shift={}", b.shift);
  text += fmt::format("\n           x=[{}]\n           w=[{}]\n", fmt::join(b.x, " "), fmt::join(b.w, " "));
  text += fmt::format("  expected {}\n  got      {}", outputs_text(m.expected, p), outputs_text(m.got, p));
  return text;
}

}  // namespace neuroppa::sim
