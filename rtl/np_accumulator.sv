// Accumulator and handshake shared by every kernel (DESIGN.md): on a valid
// beat the AW-bit two's-complement accumulator restarts if first_i and adds
// the beat's sum, wrapping; acc_o is the running sum including this beat,
// the value the kernel's end-of-neuron logic sees. capture_o marks the beat
// (valid and last) whose result the kernel registers; valid_o pulses one
// cycle later, with that result.
module np_accumulator #(
  parameter int unsigned AW = 32,
  parameter int unsigned SYNC_RESET = 0  // np_register
) (
  input  logic          clk_i,
  input  logic          rst_ni,
  input  logic          valid_i,
  input  logic          first_i,
  input  logic          last_i,
  input  logic [AW-1:0] beat_sum_i,
  output logic [AW-1:0] acc_o,
  output logic          capture_o,
  output logic          valid_o
);
  logic [AW-1:0] acc_q;
  logic          valid_q;

  assign acc_o     = (first_i ? '0 : acc_q) + beat_sum_i;
  assign capture_o = valid_i && last_i;

  np_register #(.W(AW), .SYNC_RESET(SYNC_RESET)) u_acc_q (
    .clk_i, .rst_ni, .en_i(valid_i), .d_i(acc_o), .q_o(acc_q)
  );
  np_register #(.W(1), .SYNC_RESET(SYNC_RESET)) u_valid_q (
    .clk_i, .rst_ni, .en_i(1'b1), .d_i(capture_o), .q_o(valid_q)
  );

  assign valid_o = valid_q;
endmodule
