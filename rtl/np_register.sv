// A W-bit register with enable, cleared by the active-low reset rst_ni;
// SYNC_RESET picks how (0: asynchronous, the default; 1: synchronous, for
// libraries whose flops have no reset pin, such as the ASAP7 subset, where
// the clear becomes logic in front of the D input).
module np_register #(
  parameter int unsigned W          = 1,
  parameter int unsigned SYNC_RESET = 0
) (
  input  logic         clk_i,
  input  logic         rst_ni,
  input  logic         en_i,
  input  logic [W-1:0] d_i,
  output logic [W-1:0] q_o
);
  if (SYNC_RESET != 0) begin : g_sync
    always_ff @(posedge clk_i) begin
      if (!rst_ni) begin
        q_o <= '0;
      end else if (en_i) begin
        q_o <= d_i;
      end
    end
  end else begin : g_async
    always_ff @(posedge clk_i or negedge rst_ni) begin
      if (!rst_ni) begin
        q_o <= '0;
      end else if (en_i) begin
        q_o <= d_i;
      end
    end
  end
endmodule
