// Multiply-accumulate neuron kernel (the baseline). K synapses per beat:
//   term_k = x_k * w_k   (x unsigned XW bits, w signed WW bits)
// The accumulator is AW-bit two's complement and wraps. Handshake: on a
// valid beat the accumulator restarts if first_i, and at last_i the output
// stage result is registered and valid_o pulses for one cycle.
module np_mac_kernel #(
  parameter int unsigned K  = 9,
  parameter int unsigned XW = 8,
  parameter int unsigned WW = 8,
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
  np_params_check #(
    .K(K), .XW(XW), .WW(WW), .MinWW(1), .AW(AW), .ARCH(ARCH), .MaxArch(np_pkg::ArchBoothCsa),
    .PIPELINE(PIPELINE)
  ) u_check ();

  logic [AW-1:0] beat_sum;
  logic [AW-1:0] acc_d;
  logic [XW-1:0] y_d, y_q;
  logic          capture;

  if (ARCH == np_pkg::ArchChain) begin : g_chain
    always_comb begin
      logic signed [XW:0]    x_s;
      logic signed [WW-1:0]  w_s;
      logic signed [XW+WW-1:0] product;  // |x*w| always fits XW+WW bits
      beat_sum = '0;
      for (int unsigned k = 0; k < K; k++) begin
        x_s      = $signed({1'b0, x_i[k*XW+:XW]});
        w_s      = $signed(w_i[k*WW+:WW]);
        product  = x_s * w_s;
        beat_sum = beat_sum + AW'(product);
      end
    end
  end else if (ARCH == np_pkg::ArchBoothCsa) begin : g_booth
    // Radix-4 Booth: the weight's digits d_j in {-2..2} (bits w[2j+1],
    // w[2j], w[2j-1]) select 0, x or 2x; a negative digit inverts the row,
    // and its +1 goes into one row of negation bits per synapse. All rows
    // are compressed together with the other synapses' (np_reduce, csa).
    localparam int unsigned TW = XW + WW;       // a product's width
    localparam int unsigned ND = (WW + 1) / 2;  // digits per weight
    localparam int unsigned NR = ND + 1;        // rows per synapse
    localparam int unsigned WE = 2 * ND;        // the weight sign-extended to whole digits
    logic [K*NR*TW-1:0] rows;
    for (genvar k = 0; k < K; k++) begin : g_synapse
      logic [XW-1:0] x;
      logic [WE:0]   w;  // with a 0 below bit 0
      logic [ND-1:0] negative;
      logic [TW-1:0] negations;
      assign x = x_i[k*XW+:XW];
      assign w = {WE'($signed(w_i[k*WW+:WW])), 1'b0};
      for (genvar j = 0; j < ND; j++) begin : g_digit
        logic [2:0]  b;
        logic        one, two;
        logic [XW:0] magnitude;  // |d_j| * x
        assign b           = w[2*j+:3];
        assign one         = b[0] ^ b[1];
        assign two         = (b[2] & ~b[1] & ~b[0]) | (~b[2] & b[1] & b[0]);
        assign negative[j] = b[2];
        assign magnitude   = two ? {x, 1'b0} : (one ? {1'b0, x} : '0);
        // d_j * x * 4^j = (magnitude ^ -negative) * 4^j + negative * 4^j
        assign rows[(k*NR+j)*TW+:TW] = (TW'(magnitude) ^ {TW{negative[j]}}) << (2 * j);
      end
      always_comb begin
        negations = '0;
        for (int j = 0; j < ND; j++) negations[2*j] = negative[j];
      end
      assign rows[(k*NR+ND)*TW+:TW] = negations;
    end
    np_reduce #(.K(K * NR), .TW(TW), .AW(AW), .ARCH(np_pkg::ArchCsa), .RANGE_K(K)) u_reduce (
      .terms_i(rows),
      .sum_o  (beat_sum)
    );
  end else begin : g_reduce
    localparam int unsigned TW = XW + WW;  // a product's width
    logic [K*TW-1:0] terms;
    for (genvar k = 0; k < K; k++) begin : g_term
      assign terms[k*TW+:TW] = TW'($signed({1'b0, x_i[k*XW+:XW]}) * $signed(w_i[k*WW+:WW]));
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
