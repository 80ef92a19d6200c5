// Integrate-and-fire neuron kernel of a converted SNN: accumulate only.
// Inputs are 1-bit spikes; term_k = spike_k ? w_k : 0 (w signed WW bits).
// The beats first..last form one timestep. At the last beat the membrane
// potential, taken in through v_i, is updated:
//   v = v_i + acc + bias;  if v >= vth: spike, v -= vth (reset by subtraction)
// and spike_o / v_o are registered with valid_o. All arithmetic is AW-bit
// two's complement and wraps; the comparison is signed.
module np_spike_kernel #(
  parameter int unsigned K  = 9,
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
  input  logic [K-1:0]    x_i,
  input  logic [K*WW-1:0] w_i,
  input  logic [AW-1:0]   bias_i,
  input  logic [AW-1:0]   v_i,
  input  logic [AW-1:0]   vth_i,
  output logic            valid_o,
  output logic            spike_o,
  output logic [AW-1:0]   v_o
);
  np_params_check #(.K(K), .XW(1), .WW(WW), .MinWW(1), .AW(AW), .ARCH(ARCH), .PIPELINE(PIPELINE)) u_check ();

  logic [AW-1:0] beat_sum;
  logic [AW-1:0] acc_d;
  logic [AW-1:0] v_d, v_q;
  logic          fire, spike_q, capture;

  if (ARCH == np_pkg::ArchChain) begin : g_chain
    always_comb begin
      beat_sum = '0;
      for (int unsigned k = 0; k < K; k++) begin
        if (x_i[k]) beat_sum = beat_sum + AW'($signed(w_i[k*WW+:WW]));
      end
    end
  end else begin : g_reduce
    logic [K*WW-1:0] terms;
    for (genvar k = 0; k < K; k++) begin : g_term
      assign terms[k*WW+:WW] = x_i[k] ? w_i[k*WW+:WW] : '0;
    end
    np_reduce #(.K(K), .TW(WW), .AW(AW), .ARCH(ARCH)) u_reduce (.terms_i(terms), .sum_o(beat_sum));
  end

  // The beat as the accumulator sees it: now, or a cycle later (PIPELINE).
  logic          s_valid, s_first, s_last;
  logic [AW-1:0] s_sum;
  logic [AW-1:0] s_v, s_vth, s_bias;
  np_beat_stage #(.AW(AW), .OW(3 * AW), .PIPELINE(PIPELINE), .SYNC_RESET(SYNC_RESET)) u_stage (
    .clk_i,
    .rst_ni,
    .valid_i,
    .first_i,
    .last_i,
    .sum_i     (beat_sum),
    .operands_i({v_i, vth_i, bias_i}),
    .valid_o   (s_valid),
    .first_o   (s_first),
    .last_o    (s_last),
    .sum_o     (s_sum),
    .operands_o({s_v, s_vth, s_bias})
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

  np_membrane #(.AW(AW), .ISOLATE(ARCH != np_pkg::ArchChain)) u_membrane (
    .acc_i   (acc_d),
    .bias_i  (s_bias),
    .v_i     (s_v),
    .vth_i   (s_vth),
    .enable_i(capture),
    .v_o     (v_d),
    .fire_o  (fire)
  );

  np_register #(.W(AW + 1), .SYNC_RESET(SYNC_RESET)) u_v_q (
    .clk_i, .rst_ni, .en_i(capture), .d_i({fire, v_d}), .q_o({spike_q, v_q})
  );

  assign spike_o = spike_q;
  assign v_o     = v_q;
endmodule
