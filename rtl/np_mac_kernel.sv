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
  parameter int unsigned ARCH = np_pkg::ArchChain  // how the K terms are added (np_pkg)
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
  np_params_check #(.K(K), .XW(XW), .WW(WW), .MinWW(1), .AW(AW), .ARCH(ARCH)) u_check ();

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
  end else begin : g_reduce
    localparam int unsigned TW = XW + WW;  // a product's width
    logic [K*TW-1:0] terms;
    for (genvar k = 0; k < K; k++) begin : g_term
      assign terms[k*TW+:TW] = TW'($signed({1'b0, x_i[k*XW+:XW]}) * $signed(w_i[k*WW+:WW]));
    end
    np_reduce #(.K(K), .TW(TW), .AW(AW), .ARCH(ARCH)) u_reduce (.terms_i(terms), .sum_o(beat_sum));
  end

  np_accumulator #(.AW(AW)) u_acc (
    .clk_i,
    .rst_ni,
    .valid_i,
    .first_i,
    .last_i,
    .beat_sum_i(beat_sum),
    .acc_o     (acc_d),
    .capture_o (capture),
    .valid_o
  );

  np_output_stage #(.XW(XW), .AW(AW), .ISOLATE(ARCH != np_pkg::ArchChain)) u_out (
    .acc_i   (acc_d),
    .bias_i  (bias_i),
    .shift_i (shift_i),
    .enable_i(capture),
    .y_o     (y_d)
  );

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      y_q <= '0;
    end else if (capture) begin
      y_q <= y_d;
    end
  end

  assign y_o = y_q;
endmodule
