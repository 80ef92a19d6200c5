// Optional pipeline register between a kernel's synapse datapath and its
// accumulator (PIPELINE = 1): the beat's sum and handshake are registered,
// so the datapath and the accumulate/output path each get a whole clock
// period, at one cycle of latency (the golden model delays its outputs by
// the same cycle). The end-of-neuron operands (bias, shift; spike: v, vth,
// bias) are registered only on a last beat, when the neuron's result will
// be captured one cycle later. PIPELINE = 0: wires.
module np_beat_stage #(
  parameter int unsigned AW         = 32,  // beat sum bits
  parameter int unsigned OW         = 1,   // end-of-neuron operand bits
  parameter int unsigned PIPELINE   = 0,
  parameter int unsigned SYNC_RESET = 0    // np_register
) (
  input  logic          clk_i,
  input  logic          rst_ni,
  input  logic          valid_i,
  input  logic          first_i,
  input  logic          last_i,
  input  logic [AW-1:0] sum_i,
  input  logic [OW-1:0] operands_i,
  output logic          valid_o,
  output logic          first_o,
  output logic          last_o,
  output logic [AW-1:0] sum_o,
  output logic [OW-1:0] operands_o
);
  if (PIPELINE != 0) begin : g_register
    np_register #(.W(3), .SYNC_RESET(SYNC_RESET)) u_control_q (
      .clk_i, .rst_ni, .en_i(1'b1), .d_i({valid_i, first_i, last_i}), .q_o({valid_o, first_o, last_o})
    );
    np_register #(.W(AW), .SYNC_RESET(SYNC_RESET)) u_sum_q (
      .clk_i, .rst_ni, .en_i(valid_i), .d_i(sum_i), .q_o(sum_o)
    );
    np_register #(.W(OW), .SYNC_RESET(SYNC_RESET)) u_operands_q (
      .clk_i, .rst_ni, .en_i(valid_i && last_i), .d_i(operands_i), .q_o(operands_o)
    );
  end else begin : g_direct
    logic unused_clock;
    assign unused_clock = clk_i ^ rst_ni;
    assign {valid_o, first_o, last_o, sum_o, operands_o} = {valid_i, first_i, last_i, sum_i, operands_i};
  end
endmodule
