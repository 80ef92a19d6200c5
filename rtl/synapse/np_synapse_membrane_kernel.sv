// The spiking kernel neuroppa builds around a kernel package's synapse
// module when its manifest says backend = "membrane" (docs/kernel-packages.md,
// "The synapse module"). A template like np_synapse_kernel.sv: for each
// package neuroppa writes a copy named np_<package>_kernel whose
// np_synapse_top instance names the package's top module (the line marked
// NP_SYNAPSE_INSTANCE).
//
// Inputs are 1-bit spikes: term_k = synapse(spike_k, code_k), TW-bit two's
// complement. The beats first..last form one timestep; at the last beat the
// membrane potential, taken in through v_i, is updated as the built-in spike
// kernel's (np_membrane):
//   v = v_i + acc + bias;  if v >= vth: spike, v -= vth (reset by subtraction)
// and spike_o / v_o are registered with valid_o. Every arch, the pipeline
// register, both reset styles and --by-block work as for np_spike_kernel.
module np_synapse_membrane_kernel #(
  parameter int unsigned K  = 9,
  parameter int unsigned WW = 8,   // the package's WW parameter, if it has one
  parameter int unsigned CW = 8,   // weight-code bits (the manifest's widths.code)
  parameter int unsigned TW = 16,  // term bits, from the golden model's term range
  parameter int unsigned AW = 32,
  parameter int unsigned ARCH = np_pkg::ArchChain,
  parameter int unsigned SYNC_RESET = 0,
  parameter int unsigned PIPELINE = 0
) (
  input  logic            clk_i,
  input  logic            rst_ni,
  input  logic            valid_i,
  input  logic            first_i,
  input  logic            last_i,
  input  logic [K-1:0]    x_i,
  input  logic [K*CW-1:0] w_i,
  input  logic [AW-1:0]   bias_i,
  input  logic [AW-1:0]   v_i,
  input  logic [AW-1:0]   vth_i,
  output logic            valid_o,
  output logic            spike_o,
  output logic [AW-1:0]   v_o
);
  np_params_check #(.K(K), .XW(1), .WW(CW), .MinWW(1), .AW(AW), .ARCH(ARCH), .PIPELINE(PIPELINE)) u_check ();
  if (TW < 1 || TW > AW) begin : g_bad_tw
    $error("np synapse membrane kernel: parameter TW out of range 1..AW");
  end

  logic [K*TW-1:0] terms;
  for (genvar k = 0; k < K; k++) begin : g_synapse
    logic [0:0]    x;
    logic [CW-1:0] code;
    logic [TW-1:0] term;
    assign x    = x_i[k];
    assign code = w_i[k*CW+:CW];
    np_synapse_top u_synapse (.x_i(x), .code_i(code), .term_o(term));  // NP_SYNAPSE_INSTANCE
    assign terms[k*TW+:TW] = term;
  end

  logic [AW-1:0] beat_sum;
  if (ARCH == np_pkg::ArchChain) begin : g_chain
    always_comb begin
      beat_sum = '0;
      for (int unsigned k = 0; k < K; k++) beat_sum = beat_sum + AW'($signed(terms[k*TW+:TW]));
    end
  end else begin : g_reduce
    np_reduce #(.K(K), .TW(TW), .AW(AW), .ARCH(ARCH)) u_reduce (.terms_i(terms), .sum_o(beat_sum));
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

  logic [AW-1:0] acc_d;
  logic          capture;
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

  logic [AW-1:0] v_d, v_q;
  logic          fire, spike_q;
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
