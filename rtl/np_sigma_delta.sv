// End of timestep of a sigma-delta neuron (models::sigma_delta_update; Lava's
// SigmaDelta with a B-bit graded spike, B = XW). Every sum wraps at AW bits,
// comparisons are signed:
//   sigma_o = sigma_i + acc;  act_o = max(0, sigma_o + bias)
//   delta   = act_o - act_i + residue_i
//   s       = (delta >= vth or delta <= -vth) ? sat_XW((delta + half) >>> shift) : 0
//             half = 2^(shift-1), 0 for shift 0; sat_XW to [-2^(XW-1), 2^(XW-1)-1]
//   residue_o = delta - (s << shift)
// spike_o is s (0: nothing sent). A shift of AW or more leaves the sign after
// >>> and nothing after << (Verilog semantics, which the golden model
// mirrors). With ISOLATE the operands are held at zero unless enable_i.
module np_sigma_delta #(
  parameter int unsigned XW = 4,
  parameter int unsigned AW = 32,
  parameter bit          ISOLATE = 1'b0
) (
  input  logic [AW-1:0] acc_i,
  input  logic [AW-1:0] bias_i,
  input  logic [np_pkg::ShiftW-1:0] shift_i,
  input  logic [AW-1:0] vth_i,
  input  logic [AW-1:0] sigma_i,
  input  logic [AW-1:0] act_i,
  input  logic [AW-1:0] residue_i,
  input  logic          enable_i,
  output logic [XW-1:0] spike_o,
  output logic [AW-1:0] sigma_o,
  output logic [AW-1:0] act_o,
  output logic [AW-1:0] residue_o
);
  logic [AW-1:0] acc, bias, vth, sigma, act, residue;
  logic [np_pkg::ShiftW-1:0] shift;

  if (ISOLATE) begin : g_isolate
    assign {acc, bias, vth, sigma, act, residue} = enable_i ? {acc_i, bias_i, vth_i, sigma_i, act_i, residue_i} : '0;
    assign shift = enable_i ? shift_i : '0;
  end else begin : g_direct
    logic unused_enable;
    assign unused_enable = enable_i;
    assign {acc, bias, vth, sigma, act, residue} = {acc_i, bias_i, vth_i, sigma_i, act_i, residue_i};
    assign shift = shift_i;
  end

  // (Spelled out bit by bit where yosys 0.23 and Verilator could read signed
  // constants and casts differently.) What does not depend on the
  // accumulator is formed beside it: the state's part of delta, with and
  // without the rounding half, so that delta and the rounded delta are one
  // add after the activation each, side by side (the same sums mod 2^AW).
  logic [AW-1:0] integrated, biased, activation, offset, half, offset_half, delta, rounded, neg_vth, quantum,
                 spike_wide, sent;
  logic [AW-XW:0] upper;  // quantum's bits from XW-1 up: all equal (the sign) if it fits XW bits
  logic          send, fits;
  logic [XW-1:0] spike;

  always_comb begin
    half        = '0;
    if (shift != 0) half = AW'(1) << (shift - 6'd1);
    offset      = residue - act;
    offset_half = offset + half;
    neg_vth     = '0 - vth;
    integrated  = sigma + acc;
    biased      = integrated + bias;
    activation  = biased[AW-1] ? '0 : biased;  // max(0, .)
    delta       = activation + offset;         // act' - act + residue
    rounded     = activation + offset_half;    // delta + half
    send        = ($signed(delta) >= $signed(vth)) || ($signed(delta) <= $signed(neg_vth));
    quantum     = $signed(rounded) >>> shift;
    upper       = quantum[AW-1:XW-1];
    fits        = (upper == '0) || (upper == '1);
    if (!send) spike = '0;
    else if (fits) spike = quantum[XW-1:0];
    else spike = {quantum[AW-1], {(XW - 1){~quantum[AW-1]}}};  // saturate towards its sign
    spike_wide  = {{(AW - XW){spike[XW-1]}}, spike};
    sent        = spike_wide << shift;
  end

  assign spike_o   = spike;
  assign sigma_o   = integrated;
  assign act_o     = activation;
  assign residue_o = delta - sent;
endmodule
