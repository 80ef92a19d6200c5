// Power-of-two (bit-shift-and-accumulate) neuron kernel. Weight code per
// synapse: {sign, m} with m of WW-1 bits. m = 0 is weight 0 (pruned synapse);
// otherwise term_k = +/-(x_k << (m - 1)), taken modulo 2^AW.
// Handshake, accumulator and output stage as in np_mac_kernel.
module np_shift_kernel #(
  parameter int unsigned K  = 9,
  parameter int unsigned XW = 8,
  parameter int unsigned WW = 4,
  parameter int unsigned AW = 32,
  parameter int unsigned ARCH = np_pkg::ArchChain,  // how the K terms are added (np_pkg)
  parameter int unsigned SYNC_RESET = 0,  // reset style of every register (np_register)
  parameter int unsigned PIPELINE = 0     // 1: a register after the synapse datapath (np_beat_stage)
) (
  input  logic            clk_i,
  input  logic            rst_ni,
  input  logic            valid_i,
  input  logic            first_i,
  input  logic            last_i,
  input  logic [K*XW-1:0] x_i,
  input  logic [K*WW-1:0] w_i,
  input  logic [AW-1:0]   bias_i,
  input  logic [np_pkg::ShiftW-1:0] shift_i,
  output logic            valid_o,
  output logic [XW-1:0]   y_o
);
  np_params_check #(.K(K), .XW(XW), .WW(WW), .MinWW(2), .AW(AW), .ARCH(ARCH), .PIPELINE(PIPELINE)) u_check ();

  logic [AW-1:0] beat_sum;
  logic [AW-1:0] acc_d;
  logic [XW-1:0] y_d, y_q;
  logic          capture;

  if (ARCH == np_pkg::ArchChain) begin : g_chain
    always_comb begin
      logic          sign;
      logic [WW-2:0] m;
      logic [AW-1:0] magnitude;
      beat_sum = '0;
      for (int unsigned k = 0; k < K; k++) begin
        sign      = w_i[k*WW+WW-1];
        m         = w_i[k*WW+:WW-1];
        magnitude = (m == '0) ? '0 : (AW'(x_i[k*XW+:XW]) << (m - 1'b1));
        beat_sum  = sign ? (beat_sum - magnitude) : (beat_sum + magnitude);
      end
    end
  end else begin : g_reduce
    // A term is +-(x << (m - 1)): XW bits shifted by at most 2^(WW-1) - 2,
    // and a sign; wider than AW it wraps like the accumulator.
    localparam int unsigned Full = XW + (1 << (WW - 1)) - 2 + 1;
    localparam int unsigned TW = (Full < AW) ? Full : AW;
    logic [K*TW-1:0] terms;
    for (genvar k = 0; k < K; k++) begin : g_term
      logic          sign;
      logic [WW-2:0] m;
      logic [TW-1:0] magnitude;
      assign sign      = w_i[k*WW+WW-1];
      assign m         = w_i[k*WW+:WW-1];
      assign magnitude = (m == '0) ? '0 : (TW'(x_i[k*XW+:XW]) << (m - 1'b1));
      assign terms[k*TW+:TW] = sign ? -magnitude : magnitude;
    end
    np_reduce #(.K(K), .TW(TW), .AW(AW), .ARCH(ARCH)) u_reduce (.terms_i(terms), .sum_o(beat_sum));
  end

  // The beat as the accumulator sees it: now, or a cycle later (PIPELINE).
  logic          s_valid, s_first, s_last;
  logic [AW-1:0] s_sum;
  logic [AW-1:0] s_bias;
  logic [np_pkg::ShiftW-1:0] s_shift;
  np_beat_stage #(.AW(AW), .OW(AW + np_pkg::ShiftW), .PIPELINE(PIPELINE), .SYNC_RESET(SYNC_RESET)) u_stage (
    .clk_i,
    .rst_ni,
    .valid_i,
    .first_i,
    .last_i,
    .sum_i     (beat_sum),
    .operands_i({bias_i, shift_i}),
    .valid_o   (s_valid),
    .first_o   (s_first),
    .last_o    (s_last),
    .sum_o     (s_sum),
    .operands_o({s_bias, s_shift})
  );

  np_accumulator #(.AW(AW), .SYNC_RESET(SYNC_RESET)) u_acc (
    .clk_i,
    .rst_ni,
    .valid_i   (s_valid),
    .first_i   (s_first),
    .last_i    (s_last),
    .beat_sum_i(s_sum),
    .acc_o     (acc_d),
    .capture_o (capture),
    .valid_o
  );

  np_output_stage #(.XW(XW), .AW(AW), .ISOLATE(ARCH != np_pkg::ArchChain)) u_out (
    .acc_i   (acc_d),
    .bias_i  (s_bias),
    .shift_i (s_shift),
    .enable_i(capture),
    .y_o     (y_d)
  );

  np_register #(.W(XW), .SYNC_RESET(SYNC_RESET)) u_y_q (
    .clk_i, .rst_ni, .en_i(capture), .d_i(y_d), .q_o(y_q)
  );

  assign y_o = y_q;
endmodule
