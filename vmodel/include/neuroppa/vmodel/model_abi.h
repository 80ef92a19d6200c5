/* The C interface between neuroppa and a model it built at run time (a
 * Verilated RTL kernel or gate-level netlist compiled into a shared object).
 * This header is compiled into both sides: into neuroppa, and, as text
 * embedded in neuroppa, into every generated model wrapper. Bump
 * NP_MODEL_ABI_VERSION on any change; cached models carry it in their hash. */
#ifndef NEUROPPA_MODEL_ABI_H
#define NEUROPPA_MODEL_ABI_H

#include <stddef.h>
#include <stdint.h>

#define NP_MODEL_ABI_VERSION 1u

enum np_port_dir { NP_PORT_INPUT = 0, NP_PORT_OUTPUT = 1 };

/* One top-level port. `data` points at the Verilated model's own storage:
 * uint8_t for widths 1..8, uint16_t for 9..16, uint32_t for 17..32,
 * uint64_t for 33..64, and an array of ceil(width/32) uint32_t words, least
 * significant word first, above 64. */
struct np_port {
  const char* name;
  uint32_t width;
  uint32_t dir;
  void* data;
};

struct np_model_api {
  uint32_t abi_version;
  const char* top;                  /* top module name */
  void* (*create)(void);            /* a new instance, registers at X-initial values */
  void (*destroy)(void* instance);
  void (*eval)(void* instance);     /* settle combinational logic */
  void (*tick)(void* instance);     /* one clock cycle: clock high, eval, low, eval */
  size_t (*port_count)(void* instance);
  const struct np_port* (*ports)(void* instance);
};

/* Every model shared object exports this one symbol. */
#define NP_MODEL_ENTRY "neuroppa_model_api"
typedef const struct np_model_api* (*np_model_entry_fn)(void);

#endif
