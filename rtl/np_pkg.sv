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
endpackage
