// Widths and limits shared by every kernel and mirrored by the C++ golden
// models (models/kernel.hpp; a unit test checks that both agree).
package np_pkg;
  // Bits of the output stage's shift operand (shift_i).
  localparam int unsigned ShiftW = 6;
  // Legal parameter ranges; kernels refuse anything else at elaboration.
  localparam int unsigned MaxK  = 1024;
  localparam int unsigned MaxXW = 16;
  localparam int unsigned MaxWW = 16;
  localparam int unsigned MaxAW = 64;
  // How a kernel adds its K terms (parameter ARCH): a serial chain of
  // AW-bit adders (the baseline), a balanced tree of minimal widths, or
  // carry-save compression and one carry-propagate adder. The tree and csa
  // kernels also isolate the output stage: its operands are held at zero
  // except on the beat whose result is kept.
  // (A kernel uses the archs it has: the others are unused there.)
  /* verilator lint_off UNUSEDPARAM */
  localparam int unsigned ArchChain = 0;
  localparam int unsigned ArchTree  = 1;
  localparam int unsigned ArchCsa   = 2;
  // mac only: radix-4 Booth partial products (ceil(WW/2) rows and one row
  // of negation bits per synapse) compressed with all others as in csa.
  localparam int unsigned ArchBoothCsa = 3;
  // sigma-delta only: each synapse adds the weight, shifted, once per set
  // bit of the graded spike's magnitude (sign and magnitude, so a small
  // spike of either sign leaves the upper rows at zero), the rows of all
  // synapses compressed as in csa.
  localparam int unsigned ArchShiftAdd = 4;
  /* verilator lint_on UNUSEDPARAM */
endpackage
