/* neuroppa kernel package: the C ABI of a golden model, version 4
 * (version 3 without the sigma-delta state in np_beat and np_outputs,
 * version 2 also without np_corner_code, version 1 also without own_count
 * and own).
 *
 * A package's golden source (kernel.toml, [golden] source) includes this
 * header and defines the functions below with C linkage. neuroppa compiles it
 * when a command first needs it (cc for .c, c++ for .cc/.cpp; -O2 -fPIC
 * -shared), caches the shared object by content hash and loads it with dlopen.
 * docs/kernel-packages.md is the reference. */
#ifndef NEUROPPA_KERNEL_H
#define NEUROPPA_KERNEL_H

#include <stdint.h>

#define NP_KERNEL_ABI_VERSION 4u

/* The kernel being modelled: its parameters and the widths its manifest's
 * [widths] give for them. WW is 0 when the package has no WW parameter. */
typedef struct np_kernel_params {
  uint32_t K, XW, WW, AW;
  uint32_t activation_bits; /* bits of x */
  uint32_t code_bits;       /* bits of a weight code */
  uint32_t own_count;       /* how many parameters of its own the package has ([parameters] */
  uint32_t own[4];          /* besides XW and WW), and their values, in the manifest's order */
} np_kernel_params;

#ifdef __cplusplus
extern "C" {
#endif

/* Required: return NP_KERNEL_ABI_VERSION. */
uint32_t np_kernel_abi_version(void);

/* Required: the exact (unwrapped) term one synapse adds to the accumulator for
 * activation x (activation_bits wide, unsigned) and weight code `code`
 * (code_bits wide). A pure function: same arguments, same result. */
int64_t np_synapse_term(const np_kernel_params* p, uint32_t x, uint32_t code);

/* Optional: the least and greatest term over every x and code. Without it
 * neuroppa tries every pair, which it does only up to activation_bits +
 * code_bits = 24. */
void np_term_bounds(const np_kernel_params* p, int64_t* min_term, int64_t* max_term);

/* Optional (version 3): corner-case weight codes for neuroppa's stimulus.
 * Set *code and return 1 for a code the model names, return 0 for one it
 * leaves to neuroppa. Without the function, or for the first four when it
 * returns 0 for any of them, neuroppa derives them from the term (the code
 * with the largest and the most negative term at the largest x; the two codes
 * whose terms stay nearest zero); edge codes it cannot derive, and without
 * all four its stimulus uses extreme codes instead. */
enum np_corner {
  NP_CODE_MOST_POSITIVE = 0,      /* the largest term at the largest x */
  NP_CODE_MOST_NEGATIVE = 1,      /* the most negative term at the largest x */
  NP_CODE_ZERO = 2,               /* a term of zero for every x */
  NP_CODE_ZERO_OTHER = 3,         /* another such, with the sign bit set if codes have one */
  NP_CODE_EDGE_LOW_POSITIVE = 4,  /* a term that starts changing at the lowest x (a threshold of 0), */
  NP_CODE_EDGE_LOW_NEGATIVE = 5,  /*   positive and negative */
  NP_CODE_EDGE_HIGH_POSITIVE = 6, /* a term that changes only at the highest x (a threshold at the top), */
  NP_CODE_EDGE_HIGH_NEGATIVE = 7  /*   positive and negative */
};
int np_corner_code(const np_kernel_params* p, uint32_t which, uint32_t* code);

/* Optional (version 3), whole kernels only (rtl.shape = "kernel"): the
 * kernel's own cycle-level model, for designs whose behaviour is not the
 * term reduced, accumulated with wrap-around and handed to the back end (a
 * saturating accumulator, state of its own). Define all three or none. With
 * them, verify checks the RTL cycle by cycle against np_kernel_step (without
 * pipeline latency: neuroppa adds PIPELINE's cycle itself); np_synapse_term
 * still gives the accumulator width, the stimulus's corner codes and the
 * terms networks are built from. */
typedef struct np_beat {
  uint32_t valid, first, last; /* the handshake, 0 or 1 */
  uint32_t shift;              /* output-stage and sigma-delta back ends: shift_i */
  const uint32_t* x;           /* K activations, activation_bits each */
  const uint32_t* w;           /* K weight codes, code_bits each */
  int64_t bias;                /* bias_i, AW-bit two's complement */
  int64_t v, vth;              /* membrane back end: v_i and vth_i; sigma-delta: vth_i */
  int64_t sigma, act, residue; /* sigma-delta back end (version 4): sigma_i, act_i, residue_i */
} np_beat;
typedef struct np_outputs {
  uint32_t valid; /* valid_o after this clock edge */
  uint32_t y;     /* y_o, or the membrane's or the sigma-delta's spike_o */
  int64_t v;      /* the membrane's v_o (AW-bit two's complement); else 0 */
  int64_t sigma, act, residue; /* sigma-delta (version 4): sigma_o, act_o, residue_o; else 0 */
} np_outputs;
/* 64-bit words of state the kernel keeps (its registers). */
uint32_t np_kernel_state_words(const np_kernel_params* p);
/* The state after rst_ni. */
void np_kernel_reset(const np_kernel_params* p, uint64_t* state);
/* One rising clock edge: the registers' new values from `beat`, and the outputs they show. */
void np_kernel_step(const np_kernel_params* p, uint64_t* state, const np_beat* beat, np_outputs* out);

#ifdef __cplusplus
}
#endif

#endif
