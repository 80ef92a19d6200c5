// One sigma-delta synapse: a signed XW-bit graded spike times a signed WW-bit
// weight, as the built-in np_sigma_delta_kernel's terms.
module sigma_delta_synapse #(
  parameter int unsigned XW = 4,
  parameter int unsigned WW = 8,
  parameter int unsigned TW = 12
) (
  input  logic [XW-1:0] x_i,
  input  logic [WW-1:0] code_i,
  output logic [TW-1:0] term_o
);
  logic signed [TW-1:0] s, w;  // both sign-extended to the term's width
  assign s      = TW'($signed(x_i));
  assign w      = TW'($signed(code_i));
  assign term_o = s * w;
endmodule
