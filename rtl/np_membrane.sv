// End of timestep of the spike kernel (DESIGN.md): the membrane integrates
// the beat's accumulator and the bias, fires at or above the threshold and
// resets by subtraction:
//   v' = v + acc + bias;  fire = v' >= vth;  v_o = fire ? v' - vth : v'
// all AW-bit two's complement, wrapping. With ISOLATE the operands are held
// at zero unless enable_i (operand isolation, as in np_output_stage).
module np_membrane #(
  parameter int unsigned AW = 32,
  parameter bit          ISOLATE = 1'b0
) (
  input  logic [AW-1:0] acc_i,
  input  logic [AW-1:0] bias_i,
  input  logic [AW-1:0] v_i,
  input  logic [AW-1:0] vth_i,
  input  logic          enable_i,
  output logic [AW-1:0] v_o,
  output logic          fire_o
);
  logic [AW-1:0] v, acc, bias, vth, integrated;

  if (ISOLATE) begin : g_isolate
    assign {v, acc, bias, vth} = enable_i ? {v_i, acc_i, bias_i, vth_i} : '0;
  end else begin : g_direct
    logic unused_enable;
    assign unused_enable = enable_i;
    assign {v, acc, bias, vth} = {v_i, acc_i, bias_i, vth_i};
  end

  assign integrated = v + acc + bias;
  assign fire_o     = $signed(integrated) >= $signed(vth);
  assign v_o        = fire_o ? (integrated - vth) : integrated;
endmodule
