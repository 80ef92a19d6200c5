// The regression stimulus is reproducible and reaches the corner cases the
// issue names; a stimulus that never wraps or saturates would prove nothing.
#include <doctest/doctest.h>

#include <array>

#include "neuroppa/models/stimulus.hpp"

using namespace neuroppa::models;

TEST_CASE("Rng is deterministic per seed and covers its range") {
  Rng a(42), b(42), c(43);
  bool differs = false;
  for (int i = 0; i < 100; ++i) {
    const auto va = a.next();
    CHECK(va == b.next());
    differs |= va != c.next();
  }
  CHECK(differs);
  std::array<int, 10> hist{};
  for (int i = 0; i < 10000; ++i) ++hist[a.below(10)];
  for (int h : hist) CHECK(h > 800);
  CHECK(a.bits(0) == 0);
}

TEST_CASE("BeatStream is reproducible and well formed") {
  const KernelParams p{neuroppa::models::kind_named("mac"), 9, 8, 8, 20};
  BeatStream s1(p, 7), s2(p, 7);
  bool in_group = false;
  for (int i = 0; i < 20000; ++i) {
    const Beat& a = s1.next();
    const Beat& b = s2.next();
    REQUIRE(a.x == b.x);
    REQUIRE(a.w == b.w);
    REQUIRE(a.valid == b.valid);
    REQUIRE(a.x.size() == 9);
    for (auto x : a.x) REQUIRE(x < 256);
    for (auto w : a.w) REQUIRE(w < 256);
    if (!a.valid) {
      REQUIRE_FALSE(in_group);  // idle cycles fall only between groups
      continue;
    }
    REQUIRE(a.first == !in_group);
    in_group = !a.last;
  }
}

// Runs the golden model over a stream and counts the corner cases reached.
struct Coverage {
  int wraps = 0, saturated = 0, zero_outputs = 0, mid_outputs = 0, exact_vth = 0;
  int zero_codes = 0, theta_zero = 0, theta_max = 0, spikes_all_zero = 0, spikes_all_one = 0;
};

static Coverage cover(const KernelParams& p, std::uint64_t cycles) {
  Coverage c;
  BeatStream s(p, 1);
  KernelGolden g(p);
  __int128 exact = 0;  // the accumulator without wrapping
  const std::uint32_t x_max = (1u << p.activation_bits()) - 1;
  for (std::uint64_t i = 0; i < cycles; ++i) {
    const Beat& b = s.next();
    if (b.valid) {
      if (b.first) exact = 0;
      bool all_zero = true, all_one = true;
      for (unsigned k = 0; k < p.K; ++k) {
        exact += synapse_term(p, b.x[k], b.w[k]);
        all_zero &= b.x[k] == 0;
        all_one &= b.x[k] == 1;
        const std::uint32_t theta = b.w[k] & ((1u << p.XW) - 1);
        c.theta_zero += p.kind == neuroppa::models::kind_named("threshold") && theta == 0;
        c.theta_max += p.kind == neuroppa::models::kind_named("threshold") && theta == x_max;
        c.zero_codes += p.kind != neuroppa::models::kind_named("threshold") && synapse_term(p, 1, b.w[k]) == 0;
      }
      c.spikes_all_zero += all_zero;
      c.spikes_all_one += all_one;
    }
    const auto& out = g.step(b);
    if (b.valid && g.accumulator() != static_cast<std::int64_t>(exact)) {
      ++c.wraps;
      exact = g.accumulator();
    }
    if (!out.valid) continue;
    if (p.kind == neuroppa::models::kind_named("spike")) {
      c.exact_vth += out.y == 1 && out.v == 0;
    } else {
      c.saturated += out.y == x_max;
      c.zero_outputs += out.y == 0;
      c.mid_outputs += out.y != 0 && out.y != x_max;
    }
  }
  return c;
}

TEST_CASE("BeatStream reaches the corner cases within 100,000 cycles") {
  for (const KernelParams& p : {KernelParams{neuroppa::models::kind_named("mac"), 9, 8, 8, 20},
                                KernelParams{neuroppa::models::kind_named("shift"), 9, 8, 4, 18},
                                KernelParams{neuroppa::models::kind_named("threshold"), 9, 8, 0, 13}}) {
    CAPTURE(p.describe());
    const Coverage c = cover(p, 100000);
    CHECK(c.wraps > 0);
    CHECK(c.saturated > 100);
    CHECK(c.zero_outputs > 100);
    CHECK(c.mid_outputs > 100);
    if (p.kind == neuroppa::models::kind_named("threshold")) {
      CHECK(c.theta_zero > 1000);
      CHECK(c.theta_max > 1000);
    } else {
      CHECK(c.zero_codes > 1000);
    }
  }
  const Coverage c = cover(KernelParams{neuroppa::models::kind_named("spike"), 9, 0, 8, 13}, 100000);
  CHECK(c.wraps > 0);
  CHECK(c.exact_vth > 50);
  CHECK(c.spikes_all_zero > 100);
  CHECK(c.spikes_all_one > 100);
}
