// The golden models against values worked out by hand from DESIGN.md.
#include <doctest/doctest.h>

#include "neuroppa/models/kernel.hpp"

using namespace neuroppa::models;

namespace {
KernelParams make(KernelKind kind, unsigned K, unsigned XW, unsigned WW, unsigned AW) {
  return KernelParams{kind, K, XW, WW, AW};
}
Beat beat(bool first, bool last, std::vector<std::uint32_t> x, std::vector<std::uint32_t> w,
          std::int64_t bias = 0, unsigned shift = 0) {
  Beat b;
  b.valid = true;
  b.first = first;
  b.last = last;
  b.x = std::move(x);
  b.w = std::move(w);
  b.bias = bias;
  b.shift = shift;
  return b;
}
}  // namespace

TEST_CASE("wrap_signed keeps the low bits as two's complement") {
  CHECK(wrap_signed(0x7fff, 16) == 32767);
  CHECK(wrap_signed(0x8000, 16) == -32768);
  CHECK(wrap_signed(0x1ffff, 16) == -1);
  CHECK(wrap_signed(0xffffffffffffffffULL, 64) == -1);
  CHECK(wrap_signed(2, 2) == -2);
}

TEST_CASE("synapse terms of the four kinds") {
  const auto mac = make(neuroppa::models::kind_named("mac"), 1, 8, 8, 16);
  CHECK(synapse_term(mac, 255, 0x80) == -32640);  // 255 * -128
  CHECK(synapse_term(mac, 255, 0x7f) == 32385);
  CHECK(synapse_term(mac, 3, 0xfe) == -6);
  CHECK(synapse_term(mac, 0, 0x80) == 0);

  const auto shift = make(neuroppa::models::kind_named("shift"), 1, 8, 4, 32);  // {sign, m of 3 bits}
  CHECK(synapse_term(shift, 5, 0b0011) == 20);              // 5 << 2
  CHECK(synapse_term(shift, 5, 0b1011) == -20);
  CHECK(synapse_term(shift, 5, 0b0001) == 5);               // m = 1: x << 0
  CHECK(synapse_term(shift, 255, 0b0111) == 255 << 6);
  CHECK(synapse_term(shift, 200, 0b0000) == 0);             // pruned
  CHECK(synapse_term(shift, 200, 0b1000) == 0);             // negative zero is still zero

  const auto thr = make(neuroppa::models::kind_named("threshold"), 1, 8, 0, 16);  // {s, theta of 8 bits}
  CHECK(thr.code_bits() == 9);
  CHECK(synapse_term(thr, 150, 100) == 50);
  CHECK(synapse_term(thr, 50, 100) == 0);
  CHECK(synapse_term(thr, 100, 100) == 0);
  CHECK(synapse_term(thr, 150, 0x100 | 100) == -50);   // inhibitory
  CHECK(synapse_term(thr, 255, 255) == 0);             // theta = max
  CHECK(synapse_term(thr, 255, 0) == 255);             // theta = 0
  CHECK(synapse_term(thr, 255, 0x100) == -255);

  const auto spike = make(neuroppa::models::kind_named("spike"), 1, 0, 4, 8);
  CHECK(spike.activation_bits() == 1);
  CHECK(synapse_term(spike, 1, 0b1101) == -3);
  CHECK(synapse_term(spike, 0, 0b1101) == 0);
  CHECK(synapse_term(spike, 1, 0b0111) == 7);
}

TEST_CASE("output stage: ReLU, shift, saturation, AW-bit wrap") {
  const auto p = make(neuroppa::models::kind_named("mac"), 1, 8, 8, 16);
  CHECK(output_stage(p, 1000, 24, 2) == 255);   // 1024 >> 2 = 256 saturates
  CHECK(output_stage(p, 1000, 19, 2) == 254);   // 1019 >> 2
  CHECK(output_stage(p, 1020, 0, 2) == 255);
  CHECK(output_stage(p, -5, 4, 0) == 0);        // ReLU
  CHECK(output_stage(p, 32767, 1, 0) == 0);     // wraps to -32768: negative
  CHECK(output_stage(p, -32768, -1, 8) == 127); // wraps to +32767, >> 8 = 127
  CHECK(output_stage(p, 32767, 0, 16) == 0);    // shift >= AW leaves nothing
  CHECK(output_stage(p, 32767, 0, 63) == 0);
}

TEST_CASE("spike update: reset by subtraction, exactly at vth fires") {
  const auto p = make(neuroppa::models::kind_named("spike"), 1, 0, 8, 16);
  auto u = spike_update(p, 5, 3, 2, 10);
  CHECK(u.spike);
  CHECK(u.v == 0);
  u = spike_update(p, 5, 3, 2, 11);
  CHECK_FALSE(u.spike);
  CHECK(u.v == 10);
  u = spike_update(p, 5, 30, 2, 10);
  CHECK(u.spike);
  CHECK(u.v == 27);
  u = spike_update(p, 32767, 1, 0, 100);  // wraps negative: no spike
  CHECK_FALSE(u.spike);
  CHECK(u.v == -32768);
}

TEST_CASE("accumulator widths and parameter validation") {
  CHECK(make(neuroppa::models::kind_named("mac"), 1, 8, 8, 0).required_accumulator_bits() == 16);
  CHECK(make(neuroppa::models::kind_named("mac"), 9, 8, 8, 0).required_accumulator_bits() == 20);  // 9 * 32640
  CHECK(make(neuroppa::models::kind_named("threshold"), 9, 8, 0, 0).required_accumulator_bits() == 13);  // 9 * 255
  CHECK(make(neuroppa::models::kind_named("spike"), 25, 0, 8, 0).required_accumulator_bits() == 13);  // 25 * 128
  CHECK(make(neuroppa::models::kind_named("shift"), 9, 8, 4, 0).required_accumulator_bits() == 19);   // 2295 << 6 = 146880

  CHECK_FALSE(validate(make(neuroppa::models::kind_named("mac"), 9, 8, 8, 20)));
  auto e = validate(make(neuroppa::models::kind_named("mac"), 0, 8, 8, 32));
  REQUIRE(e);
  CHECK(e->find("K=0") != std::string::npos);
  e = validate(make(neuroppa::models::kind_named("mac"), 9, 0, 8, 32));
  REQUIRE(e);
  CHECK(e->find("XW=0") != std::string::npos);
  e = validate(make(neuroppa::models::kind_named("mac"), 9, 8, 8, 19));
  REQUIRE(e);
  CHECK(e->find("AW=19") != std::string::npos);
  CHECK(e->find("AW >= 20") != std::string::npos);
  e = validate(make(neuroppa::models::kind_named("shift"), 9, 8, 8, 64));
  REQUIRE(e);
  CHECK(e->find("WW=8") != std::string::npos);
  e = validate(make(neuroppa::models::kind_named("mac"), 9, 8, 8, 65));
  REQUIRE(e);
  CHECK(e->find("AW=65") != std::string::npos);
  CHECK(validate(make(neuroppa::models::kind_named("mac"), 9, 8, 17, 64)));
  // Widths a kind does not use are not checked.
  CHECK_FALSE(validate(make(neuroppa::models::kind_named("threshold"), 9, 8, 0, 16)));
  CHECK_FALSE(validate(make(neuroppa::models::kind_named("spike"), 9, 0, 8, 16)));
  CHECK(parse_kernel_kind("threshold") == neuroppa::models::kind_named("threshold"));
  CHECK_FALSE(parse_kernel_kind("mult"));
}

TEST_CASE("cycle model: first/last handshake, one-cycle valid pulse, idle cycles ignored") {
  const auto p = make(neuroppa::models::kind_named("mac"), 2, 8, 8, 20);
  KernelGolden g(p);
  auto out = g.step(beat(true, false, {1, 2}, {3, 4}));  // acc = 11
  CHECK_FALSE(out.valid);
  CHECK(g.accumulator() == 11);
  Beat idle = beat(false, false, {100, 100}, {100, 100});
  idle.valid = false;
  idle.last = true;  // ignored without valid
  out = g.step(idle);
  CHECK_FALSE(out.valid);
  CHECK(g.accumulator() == 11);
  out = g.step(beat(false, true, {10, 0}, {2, 0}, 9, 1));  // acc = 31, (31 + 9) >> 1 = 20
  CHECK(out.valid);
  CHECK(out.y == 20);
  out = g.step(idle);
  CHECK_FALSE(out.valid);
  CHECK(out.y == 20);  // y holds its last value
  out = g.step(beat(true, true, {1, 1}, {0xff, 0xff}, 0, 0));  // first restarts: acc = -2
  CHECK(out.valid);
  CHECK(out.y == 0);
  CHECK(g.accumulator() == -2);
}

TEST_CASE("cycle model: spike membrane in, out") {
  const auto p = make(neuroppa::models::kind_named("spike"), 3, 0, 8, 16);
  KernelGolden g(p);
  Beat b = beat(true, true, {1, 0, 1}, {5, 100, 7});
  b.v = 20;
  b.vth = 32;
  b.bias = 0;
  auto out = g.step(b);  // 20 + 12 = 32 >= 32
  CHECK(out.valid);
  CHECK(out.y == 1);
  CHECK(out.v == 0);
  b.vth = 33;
  out = g.step(b);
  CHECK(out.y == 0);
  CHECK(out.v == 32);
}

TEST_CASE("sigma-delta update: ReLU, send at |delta| >= vth, round, saturate, residue carried") {
  const auto p = make(neuroppa::models::kind_named("sigma-delta"), 2, 4, 8, 16);
  const auto spike = [](std::uint32_t code) { return wrap_signed(code, 4); };
  // sigma 0 + 30, act 32 = 30 + 2; delta 32: (32 + 2) >> 2 = 8 saturates to 7; 28 sent, 4 owed.
  auto u = sigma_delta_update(p, 30, 2, 2, 0, 0, 0, 2);
  CHECK(u.sigma == 30);
  CHECK(u.act == 32);
  CHECK(spike(u.spike) == 7);
  CHECK(u.residue == 4);
  // The next timestep, nothing in: the 4 owed goes out as one quantum.
  u = sigma_delta_update(p, 0, 2, 2, 30, 32, 4, 2);
  CHECK(spike(u.spike) == 1);
  CHECK(u.residue == 0);
  // Below vth: nothing sent, the residue kept.
  u = sigma_delta_update(p, 0, 2, 2, 30, 32, 1, 2);
  CHECK(u.spike == 0);
  CHECK(u.residue == 1);
  // The activation falls to 0 (sigma + bias < 0): -20 goes out as floor((-20 + 2) / 4) = -5.
  u = sigma_delta_update(p, 0, 2, 2, -10, 20, 0, 2);
  CHECK(u.act == 0);
  CHECK(spike(u.spike) == -5);
  CHECK(u.spike == 11);  // the 4-bit code
  CHECK(u.residue == 0);
  // Exactly -vth is sent (shift 0: no rounding).
  u = sigma_delta_update(p, 0, 0, 0, 0, 3, 0, 3);
  CHECK(spike(u.spike) == -3);
  CHECK(u.residue == 0);
  // Saturation at -8: -40 rounds to -10, -32 sent, -8 owed.
  u = sigma_delta_update(p, 0, 0, 2, 0, 40, 0, 1);
  CHECK(spike(u.spike) == -8);
  CHECK(u.residue == -8);
  // A shift past AW: the quantum is 0 (an arithmetic shift leaves the sign), nothing sent.
  u = sigma_delta_update(p, 100, 0, 20, 0, 0, 0, 1);
  CHECK(u.spike == 0);
  CHECK(u.residue == 100);
  // sigma wraps at AW bits like the accumulator.
  u = sigma_delta_update(p, 1, 0, 0, 32767, 0, 0, 1);
  CHECK(u.sigma == -32768);
  CHECK(u.act == 0);
}

TEST_CASE("cycle model: sigma-delta state in, out, held between timesteps") {
  const auto p = make(neuroppa::models::kind_named("sigma-delta"), 2, 4, 8, 16);
  KernelGolden g(p);
  Beat b = beat(true, true, {3, 15}, {5, 4}, 1, 1);  // 3*5 + (-1)*4 = 11; act 12
  b.vth = 1;
  auto out = g.step(b);  // delta 12: (12 + 1) >> 1 = 6; 12 sent
  CHECK(out.valid);
  CHECK(out.sigma == 11);
  CHECK(out.act == 12);
  CHECK(wrap_signed(out.y, 4) == 6);
  CHECK(out.residue == 0);
  b.sigma = out.sigma;
  b.act = out.act;
  b.residue = out.residue;
  b.last = false;
  out = g.step(b);  // not the last beat: the registers hold
  CHECK_FALSE(out.valid);
  CHECK(out.sigma == 11);
  b.first = false;
  b.last = true;
  out = g.step(b);  // acc 22, sigma 33, act 34, delta 22: (22 + 1) >> 1 = 11 saturates to 7; 14 sent, 8 owed
  CHECK(out.sigma == 33);
  CHECK(wrap_signed(out.y, 4) == 7);
  CHECK(out.residue == 8);
}
