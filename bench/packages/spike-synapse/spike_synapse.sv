// One integrate-and-fire synapse: the WW-bit two's-complement weight when
// its input spikes, else 0, as the built-in np_spike_kernel's terms.
module spike_synapse #(
  parameter int unsigned WW = 8,
  parameter int unsigned TW = 8
) (
  input  logic [0:0]    x_i,
  input  logic [WW-1:0] code_i,
  output logic [TW-1:0] term_o
);
  assign term_o = x_i[0] ? TW'($signed(code_i)) : '0;
endmodule
