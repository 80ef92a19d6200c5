// The kernel neuroppa builds around a kernel package's synapse module
// (docs/kernel-packages.md, "The synapse module"). It is a template: for
// each package neuroppa writes a copy whose module name is np_<package>_kernel
// and whose np_synapse_top instance names the package's top module with the
// parameters its manifest lists (the line marked NP_SYNAPSE_INSTANCE).
//
// Everything but the synapse is shared with the built-in kernels, so every
// micro-architecture, the pipeline register, both reset styles and
// --by-block work unchanged:
//   term_k = synapse(x_k, code_k), TW-bit two's complement (the package's
//            term range, at most AW bits: wider terms wrap like the accumulator)
//   chain: a serial chain of AW-bit adders; tree, csa: np_reduce
//   then np_beat_stage, np_accumulator, np_output_stage and np_register.
module np_synapse_kernel #(
  parameter int unsigned K  = 9,
  parameter int unsigned XW = 8,   // activation bits (the output y_o has as many)
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
  output logic            valid_o,
  output logic [XW-1:0]   y_o
);
  np_params_check #(.K(K), .XW(XW), .WW(CW), .MinWW(1), .AW(AW), .ARCH(ARCH), .PIPELINE(PIPELINE)) u_check ();
  if (TW < 1 || TW > AW) begin : g_bad_tw
    $error("np synapse kernel: parameter TW out of range 1..AW");
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

  logic [XW-1:0] y_d, y_q;
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
