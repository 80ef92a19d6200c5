// The sigma-delta kernel neuroppa builds around a kernel package's synapse
// module when its manifest says backend = "sigma-delta" (docs/kernel-packages.md,
// "The sigma-delta back end"). A template like np_synapse_kernel.sv: for each
// package neuroppa writes a copy named np_<package>_kernel whose
// np_synapse_top instance names the package's top module (the line marked
// NP_SYNAPSE_INSTANCE).
//
// Inputs are XW-bit graded spikes: term_k = synapse(s_k, code_k), TW-bit two's
// complement. The beats first..last form one timestep of one neuron; at the
// last beat its state, taken in through sigma_i, act_i and residue_i, is
// updated as the built-in sigma-delta kernel's (np_sigma_delta), and spike_o,
// sigma_o, act_o and residue_o are registered with valid_o. Every arch the
// package lists, the pipeline register, both reset styles and --by-block work
// as for np_sigma_delta_kernel.
module np_synapse_sigma_delta_kernel #(
  parameter int unsigned K  = 9,
  parameter int unsigned XW = 4,   // bits of a graded spike, in and out
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
  input  logic [K*XW-1:0] x_i,
  input  logic [K*CW-1:0] w_i,
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
  np_params_check #(.K(K), .XW(XW), .WW(CW), .MinWW(1), .AW(AW), .ARCH(ARCH), .PIPELINE(PIPELINE)) u_check ();
  if (TW < 1 || TW > AW) begin : g_bad_tw
    $error("np synapse sigma-delta kernel: parameter TW out of range 1..AW");
  end

  logic [K*TW-1:0] terms;
  for (genvar k = 0; k < K; k++) begin : g_synapse
    logic [XW-1:0] x;
    logic [CW-1:0] code;
    logic [TW-1:0] term;
    assign x    = x_i[k*XW+:XW];
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
  np_sigma_delta #(.XW(XW), .AW(AW), .ISOLATE(ARCH != np_pkg::ArchChain)) u_sigma_delta (
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
