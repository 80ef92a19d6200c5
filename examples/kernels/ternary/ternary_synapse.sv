// One ternary synapse. Code {sign, nonzero}: nonzero = 0 is weight 0 (the
// term is 0 whatever the sign), else the term is +x (sign 0) or -x (sign 1).
module ternary_synapse #(
  parameter int unsigned XW = 8,
  parameter int unsigned TW = 9
) (
  input  logic [XW-1:0] x_i,
  input  logic [1:0]    code_i,
  output logic [TW-1:0] term_o
);
  logic [TW-1:0] x;
  assign x = TW'(x_i);
  assign term_o = !code_i[0] ? '0 : code_i[1] ? -x : x;
endmodule
