// Sigma-delta neuron kernel: graded spikes in and out. K synapses per beat:
//   term_k = s_k * w_k   (s a signed XW-bit graded spike, w signed WW bits)
// The beats first..last form one timestep of one neuron. At the last beat its
// state, taken in through sigma_i, act_i and residue_i, is updated
// (np_sigma_delta): sigma integrates the accumulator, act = max(0, sigma +
// bias), and the change of act since it was last sent, plus the residue, goes
// out as a graded spike of XW bits when it reaches vth; spike_o, sigma_o,
// act_o and residue_o are registered with valid_o. All arithmetic is AW-bit
// two's complement and wraps.
//
// ARCH: tree or csa add the K products of narrow multipliers; shift-add
// (np_pkg::ArchShiftAdd) adds the weight once per set bit of |s|, negated
// for a negative spike, so a spike with few significant bits switches few
// rows.
module np_sigma_delta_kernel #(
  parameter int unsigned K  = 9,
  parameter int unsigned XW = 4,   // B: bits of a graded spike
  parameter int unsigned WW = 8,
  parameter int unsigned AW = 32,
  parameter int unsigned ARCH = np_pkg::ArchTree,
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
  input  logic [AW-1:0]   vth_i,
  input  logic [AW-1:0]   sigma_i,
  input  logic [AW-1:0]   act_i,
  input  logic [AW-1:0]   residue_i,
  output logic            valid_o,
  output logic [XW-1:0]   spike_o,
  output logic [AW-1:0]   sigma_o,
  output logic [AW-1:0]   act_o,
  output logic [AW-1:0]   residue_o
);
  np_params_check #(
    .K(K), .XW(XW), .WW(WW), .MinWW(1), .AW(AW), .ARCH(ARCH), .MaxArch(np_pkg::ArchShiftAdd),
    .PIPELINE(PIPELINE)
  ) u_check ();
  if (XW < 2 || XW > 8) begin : g_bad_xw
    $error("np sigma-delta kernel: parameter XW (bits of a graded spike) out of range 2..8");
  end
  if (ARCH == np_pkg::ArchChain || ARCH == np_pkg::ArchBoothCsa) begin : g_bad_arch
    $error("np sigma-delta kernel: parameter ARCH out of range for sigma-delta (ArchTree, ArchCsa or ArchShiftAdd)");
  end

  localparam int unsigned TW = XW + WW;  // a product's width: |s*w| <= 2^(XW+WW-2)
  logic [AW-1:0] beat_sum;

  if (ARCH == np_pkg::ArchShiftAdd) begin : g_shift_add
    // Row j of synapse k: w << j if bit j of |s| is set, else 0. A negative
    // spike inverts each such row, and its +2^j goes into one row of
    // negation bits per synapse: -(w << j) = (~w << j) + 2^j.
    localparam int unsigned NR = XW + 1;  // rows per synapse
    logic [K*NR*TW-1:0] rows;
    for (genvar k = 0; k < K; k++) begin : g_synapse
      logic [XW-1:0] s, magnitude;
      logic          negative;
      logic [TW-1:0] weight, negations;
      assign s         = x_i[k*XW+:XW];
      assign negative  = s[XW-1];
      assign magnitude = negative ? -s : s;  // -2^(XW-1) gives 2^(XW-1), unsigned
      assign weight    = {{XW{w_i[k*WW+WW-1]}}, w_i[k*WW+:WW]} ^ {TW{negative}};
      for (genvar j = 0; j < XW; j++) begin : g_row
        assign rows[(k*NR+j)*TW+:TW] = magnitude[j] ? (weight << j) : '0;
      end
      always_comb begin
        negations = '0;
        for (int j = 0; j < XW; j++) negations[j] = magnitude[j] & negative;
      end
      assign rows[(k*NR+XW)*TW+:TW] = negations;
    end
    np_reduce #(.K(K * NR), .TW(TW), .AW(AW), .ARCH(np_pkg::ArchCsa), .RANGE_K(K)) u_reduce (
      .terms_i(rows),
      .sum_o  (beat_sum)
    );
  end else begin : g_multiply
    logic [K*TW-1:0] terms;
    for (genvar k = 0; k < K; k++) begin : g_term
      logic signed [TW-1:0] s, w;  // both sign-extended to the product's width
      assign s = {{WW{x_i[k*XW+XW-1]}}, x_i[k*XW+:XW]};
      assign w = {{XW{w_i[k*WW+WW-1]}}, w_i[k*WW+:WW]};
      assign terms[k*TW+:TW] = s * w;
    end
    np_reduce #(.K(K), .TW(TW), .AW(AW), .ARCH(ARCH)) u_reduce (.terms_i(terms), .sum_o(beat_sum));
  end

  // The beat as the accumulator sees it: now, or a cycle later (PIPELINE).
  localparam int unsigned OW = 5 * AW + np_pkg::ShiftW;  // the end-of-timestep operands
  logic          s_valid, s_first, s_last, capture;
  logic [AW-1:0] s_sum, acc_d;
  logic [AW-1:0] s_bias, s_vth, s_sigma, s_act, s_residue;
  logic [np_pkg::ShiftW-1:0] s_shift;
  np_beat_stage #(.AW(AW), .OW(OW), .PIPELINE(PIPELINE), .SYNC_RESET(SYNC_RESET)) u_stage (
    .clk_i,
    .rst_ni,
    .valid_i,
    .first_i,
    .last_i,
    .sum_i     (beat_sum),
    .operands_i({bias_i, vth_i, sigma_i, act_i, residue_i, shift_i}),
    .valid_o   (s_valid),
    .first_o   (s_first),
    .last_o    (s_last),
    .sum_o     (s_sum),
    .operands_o({s_bias, s_vth, s_sigma, s_act, s_residue, s_shift})
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

  logic [XW-1:0] spike_d;
  logic [AW-1:0] sigma_d, act_d, residue_d;
  np_sigma_delta #(.XW(XW), .AW(AW), .ISOLATE(1'b1)) u_sigma_delta (
    .acc_i    (acc_d),
    .bias_i   (s_bias),
    .shift_i  (s_shift),
    .vth_i    (s_vth),
    .sigma_i  (s_sigma),
    .act_i    (s_act),
    .residue_i(s_residue),
    .enable_i (capture),
    .spike_o  (spike_d),
    .sigma_o  (sigma_d),
    .act_o    (act_d),
    .residue_o(residue_d)
  );

  np_register #(.W(XW + 3 * AW), .SYNC_RESET(SYNC_RESET)) u_state_q (
    .clk_i, .rst_ni, .en_i(capture),
    .d_i({spike_d, sigma_d, act_d, residue_d}),
    .q_o({spike_o, sigma_o, act_o, residue_o})
  );
endmodule
