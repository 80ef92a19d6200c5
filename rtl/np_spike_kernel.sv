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
  parameter int unsigned AW = 32
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
  np_params_check #(.K(K), .XW(1), .WW(WW), .MinWW(1), .AW(AW)) u_check ();

  logic [AW-1:0] beat_sum;
  logic [AW-1:0] acc_d;
  logic [AW-1:0] v_integrated, v_d, v_q;
  logic          fire, spike_q, capture;

  always_comb begin
    beat_sum = '0;
    for (int unsigned k = 0; k < K; k++) begin
      if (x_i[k]) beat_sum = beat_sum + AW'($signed(w_i[k*WW+:WW]));
    end
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

  assign v_integrated = v_i + acc_d + bias_i;
  assign fire         = $signed(v_integrated) >= $signed(vth_i);
  assign v_d          = fire ? (v_integrated - vth_i) : v_integrated;

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      v_q     <= '0;
      spike_q <= 1'b0;
    end else if (capture) begin
      v_q     <= v_d;
      spike_q <= fire;
    end
  end

  assign spike_o = spike_q;
  assign v_o     = v_q;
endmodule
