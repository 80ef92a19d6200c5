// Output stage shared by the mac, shift and threshold kernels (DESIGN.md):
//   y = saturate_XW( max(0, acc + bias) >> shift )
// acc + bias wraps at AW bits like the accumulator itself; a shift of AW or
// more leaves nothing (Verilog >> semantics), which the golden model mirrors.
module np_output_stage #(
  parameter int unsigned XW = 8,
  parameter int unsigned AW = 32
) (
  input  logic [AW-1:0] acc_i,
  input  logic [AW-1:0] bias_i,
  input  logic [np_pkg::ShiftW-1:0] shift_i,
  output logic [XW-1:0] y_o
);
  logic [AW-1:0] biased;
  logic [AW-1:0] shifted;

  always_comb begin
    biased  = acc_i + bias_i;
    // max(0, .): a negative (sign bit set) sum becomes 0 before the shift.
    shifted = biased[AW-1] ? '0 : (biased >> shift_i);
    // Saturate to the largest XW-bit activation.
    if (shifted > AW'({XW{1'b1}})) begin
      y_o = '1;
    end else begin
      y_o = shifted[XW-1:0];
    end
  end
endmodule
