// One register-file bank of the accelerator's on-chip memories: D words of
// W bits, one write and one read port, the read data registered (a read
// issued in one cycle has its data the next: latency 1, like a synchronous
// SRAM). No reset: a memory's contents are undefined until written. Larger
// memories are tiles of this bank (sim/memory_cost.hpp).
module np_regfile #(
  parameter int unsigned W = 32,
  parameter int unsigned D = 32
) (
  input  logic                 clk_i,
  input  logic                 we_i,
  input  logic [$clog2(D)-1:0] waddr_i,
  input  logic [W-1:0]         wdata_i,
  input  logic                 re_i,
  input  logic [$clog2(D)-1:0] raddr_i,
  output logic [W-1:0]         rdata_o
);
  logic [W-1:0] mem_q [D];

  always_ff @(posedge clk_i) begin
    if (we_i) begin
      mem_q[waddr_i] <= wdata_i;
    end
  end

  always_ff @(posedge clk_i) begin
    if (re_i) begin
      rdata_o <= mem_q[raddr_i];
    end
  end
endmodule
