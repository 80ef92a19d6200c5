// What the accelerator's on-chip memories cost. The default model: a
// register-file bank written in RTL (rtl/np_regfile.sv), synthesised onto the
// kernels' library and characterised by gate-level simulation with gate
// delays (energy of a read cycle, of a write cycle and of an idle clocked
// cycle, leakage, area); a memory is tiled from such banks to its capacity
// and width. Storage flops are taken as clocked only when their word is
// written, idle banks as clock-gated (they only leak); the
// wiring between banks is not modelled, which understates large memories —
// for those an SRAM macro's Liberty model is the better source.
#pragma once

#include <filesystem>
#include <string>

#include "neuroppa/base/progress.hpp"
#include "neuroppa/sim/datapath.hpp"
#include "neuroppa/sim/memories.hpp"
#include "neuroppa/tech/liberty.hpp"

namespace neuroppa::sim {

struct BankCost {
  std::string kind = "register-file banks";  // or "SRAM macros CELL"
  std::string library;
  std::string caveat;  // what the numbers do not say (e.g. a macro's uncalibrated Liberty)
  unsigned width = 32, depth = 32;  // bits a word, words
  double area = 0;                  // µm², from the netlist and the Liberty cell areas
  double yosys_area = 0;            // µm², yosys `stat -liberty` of the same netlist (a cross-check)
  long cells = 0;
  double leakage = 0;               // W
  // J per access with per-word clock gating (memory_cost.cpp says how),
  // and J per idle cycle as synthesised (every flop clocked).
  double read_energy = 0, write_energy = 0, idle_energy = 0;
  std::uint64_t cycles = 0;         // simulated per kind of cycle
  std::string describe() const;
};

// Synthesis and models are cached under cache_dir like the kernels'.
BankCost characterise_regfile(const tech::Library& library, unsigned width, unsigned depth, double frequency,
                              const std::filesystem::path& cache_dir, const ProgressFn& progress = {},
                              std::uint64_t cycles = 2000);

// An SRAM macro's Liberty model as a bank (the library's first cell with a
// clock pin and data buses, OpenRAM's naming: dout0, addr0, csb0, web0):
// word width and depth from its buses, area and leakage from the cell, the
// energy of a read, a write and a deselected cycle from the clock pin's
// internal_power groups, chosen by their `when` conditions. Throws
// neuroppa::Error naming the library and what it lacks.
BankCost sram_macro_bank(const tech::Library& library);

// One memory as tiles of a bank: how many, their area and leakage.
struct MemoryCost {
  std::string name;
  std::uint64_t capacity_bytes = 0, tiles = 0;
  double area = 0, leakage = 0;  // µm², W
};

struct MemoriesCost {
  std::string model;     // e.g. "register-file banks 32x32 on osu018"
  MemoryEnergy energy;   // per access and leakage, for Datapath::energy
  MemoryCost weights, activations, membrane;
};

// Prices the memories a network needs on the platform: capacities from the
// configuration (or the sizes the network needs where it says 0), every
// access at the tiles it touches.
MemoriesCost price_memories(const BankCost& bank, const models::Network& network, const MemoryConfig& config,
                            unsigned lanes, unsigned K);

// The memories priced from a user's table (JSON; README "Networks on the
// platform" shows the format): per memory, read and write energy per access
// and per bit, leakage and area. Throws neuroppa::Error naming the file and
// the key of the first fault.
MemoriesCost price_memories_from_table(const std::filesystem::path& table, const models::Network& network,
                                       const MemoryConfig& config, unsigned lanes, unsigned K);

}  // namespace neuroppa::sim
