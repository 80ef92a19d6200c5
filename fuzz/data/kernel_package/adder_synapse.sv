// One AdderNet synapse: term = -|x - w|, x an unsigned XW-bit activation,
// w an unsigned WW-bit weight code. Activations here are never negative, so
// a negative weight would only add a constant (-|x - w| = w - x for w <= 0),
// which the bias holds: unsigned codes spend every bit on weights that count.
// The term is at most 0 and at least -(2^max(XW, WW) - 1), TW bits two's
// complement (neuroppa gives TW).
module adder_synapse #(
  parameter int unsigned XW = 8,
  parameter int unsigned WW = 8,
  parameter int unsigned TW = 17
) (
  input  logic [XW-1:0] x_i,
  input  logic [WW-1:0] code_i,
  output logic [TW-1:0] term_o
);
  // x - w needs one bit more than the wider operand, for the sign.
  localparam int unsigned DW = ((XW > WW) ? XW : WW) + 1;
  logic signed [DW-1:0] x, w, difference;
  assign x = DW'($signed({1'b0, x_i}));
  assign w = DW'($signed({1'b0, code_i}));
  assign difference = x - w;
  // -|d|: d itself when negative, else its negation.
  logic signed [DW-1:0] negative_magnitude;
  assign negative_magnitude = difference[DW-1] ? difference : -difference;
  assign term_o = TW'(negative_magnitude);
endmodule
