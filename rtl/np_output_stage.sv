// Output stage shared by the mac, shift and threshold kernels (DESIGN.md):
//   y = saturate_XW( max(0, acc + bias) >> shift )
// acc + bias wraps at AW bits like the accumulator itself; a shift of AW or
// more leaves nothing (Verilog >> semantics), which the golden model mirrors.
// With ISOLATE the operands are held at zero unless enable_i (operand
// isolation: the stage switches only on the beat whose result is kept, at
// the cost of an AND per operand bit and no added latency).
module np_output_stage #(
  parameter int unsigned XW = 8,
  parameter int unsigned AW = 32,
  parameter bit          ISOLATE = 1'b0
) (
  input  logic [AW-1:0] acc_i,
  input  logic [AW-1:0] bias_i,
  input  logic [np_pkg::ShiftW-1:0] shift_i,
  input  logic          enable_i,
  output logic [XW-1:0] y_o
);
  logic [AW-1:0] acc, bias;
  logic [np_pkg::ShiftW-1:0] shift;
  logic [AW-1:0] biased;
  logic [AW-1:0] shifted;

  if (ISOLATE) begin : g_isolate
    assign acc   = enable_i ? acc_i : '0;
    assign bias  = enable_i ? bias_i : '0;
    assign shift = enable_i ? shift_i : '0;
  end else begin : g_direct
    logic unused_enable;
    assign unused_enable = enable_i;
    assign acc   = acc_i;
    assign bias  = bias_i;
    assign shift = shift_i;
  end

  always_comb begin
    biased  = acc + bias;
    // max(0, .): a negative (sign bit set) sum becomes 0 before the shift.
    shifted = biased[AW-1] ? '0 : (biased >> shift);
    // Saturate to the largest XW-bit activation.
    if (shifted > AW'({XW{1'b1}})) begin
      y_o = '1;
    end else begin
      y_o = shifted[XW-1:0];
    end
  end
endmodule
