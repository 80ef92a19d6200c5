// One multiply-accumulate synapse: an unsigned XW-bit activation times a
// WW-bit two's-complement weight, as the built-in np_mac_kernel's terms.
module mac_synapse #(
  parameter int unsigned XW = 8,
  parameter int unsigned WW = 8,
  parameter int unsigned TW = 16
) (
  input  logic [XW-1:0] x_i,
  input  logic [WW-1:0] code_i,
  output logic [TW-1:0] term_o
);
  logic signed [XW:0] x;
  logic signed [WW-1:0] w;
  logic signed [XW+WW:0] product;
  assign x = $signed({1'b0, x_i});
  assign w = $signed(code_i);
  assign product = x * w;
  assign term_o = TW'(product);
endmodule
