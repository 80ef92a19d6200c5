// Sum of K signed TW-bit terms as an AW-bit two's-complement value (wrapping
// like the accumulator), for the tree and csa kernels (np_pkg::ArchTree,
// ArchCsa). Widths are minimal: a sum of n terms needs TW + clog2(n) bits
// (at most AW), so the terms are sign-extended into the accumulator once,
// at the end.
//   tree: pairs added level by level, each level one bit wider;
//   csa:  rows compressed three to two (a full adder on every bit) until two
//         are left, then one carry-propagate adder.
module np_reduce #(
  parameter int unsigned K    = 9,
  parameter int unsigned TW   = 16,
  parameter int unsigned AW   = 32,
  parameter int unsigned ARCH = np_pkg::ArchTree,
  // The sum is bounded like a sum of RANGE_K terms: fewer than K where
  // several rows make up one product (Booth partial products, csa only).
  // Carry-save rows wrap at the sum's width, so only the sum must fit.
  parameter int unsigned RANGE_K = K
) (
  input  logic [K*TW-1:0] terms_i,
  output logic [AW-1:0]   sum_o
);
  localparam int unsigned Levels = (K > 1) ? $clog2(K) : 0;

  // (Functions in plain Verilog style: yosys 0.23 takes no `return`.)
  // Width of a sum of 2^l terms (of the whole sum at l = Levels).
  function automatic int unsigned width(input int unsigned l);
    width = (TW + l < AW) ? TW + l : AW;
  endfunction
  localparam int unsigned OW = width((RANGE_K > 1) ? $clog2(RANGE_K) : 0);

  // tree: nodes at level l.
  function automatic int unsigned count(input int unsigned l);
    count = K;
    for (int i = 0; i < 64; i++) if (i < l) count = (count + 1) / 2;
  endfunction

  // csa: rows after s stages, and the stages that leave at most two.
  function automatic int unsigned rows(input int unsigned s);
    rows = K;
    for (int i = 0; i < 64; i++) if (i < s) rows = 2 * (rows / 3) + rows % 3;
  endfunction
  function automatic int unsigned stages(input int unsigned unused);
    stages = 0;
    for (int i = 0; i < 64; i++) if (rows(i) > 2) stages = i + 1;
  endfunction
  localparam int unsigned S = stages(0);

  if (ARCH == np_pkg::ArchTree) begin : g_tree
    for (genvar l = 0; l <= Levels; l++) begin : g_level
      localparam int unsigned W = width(l), N = count(l);
      logic [N*W-1:0] node;  // N nodes of W bits
      if (l == 0) begin : g_leaves
        assign node = terms_i;
      end else begin : g_sums
        localparam int unsigned PW = width(l - 1), PN = count(l - 1);
        for (genvar i = 0; i < N; i++) begin : g_node
          if (2 * i + 1 < PN) begin : g_add
            assign node[i*W+:W] = W'($signed(g_level[l-1].node[2*i*PW+:PW])) +
                                  W'($signed(g_level[l-1].node[(2*i+1)*PW+:PW]));
          end else begin : g_pass
            assign node[i*W+:W] = W'($signed(g_level[l-1].node[2*i*PW+:PW]));
          end
        end
      end
    end
    assign sum_o = AW'($signed(g_level[Levels].node[OW-1:0]));
  end else begin : g_csa
    for (genvar s = 0; s <= S; s++) begin : g_stage
      localparam int unsigned N = rows(s);
      logic [N*OW-1:0] row;  // N rows of OW bits
      if (s == 0) begin : g_terms
        for (genvar k = 0; k < K; k++) begin : g_term
          assign row[k*OW+:OW] = OW'($signed(terms_i[k*TW+:TW]));
        end
      end else begin : g_compress
        localparam int unsigned R = rows(s - 1), Groups = R / 3;
        for (genvar g = 0; g < Groups; g++) begin : g_fa
          logic [OW-1:0] a, b, c;
          logic [OW-2:0] carry;  // the top bit's carry leaves the sum's width
          assign a = g_stage[s-1].row[3*g*OW+:OW];
          assign b = g_stage[s-1].row[(3*g+1)*OW+:OW];
          assign c = g_stage[s-1].row[(3*g+2)*OW+:OW];
          assign carry = (a[OW-2:0] & b[OW-2:0]) | (a[OW-2:0] & c[OW-2:0]) | (b[OW-2:0] & c[OW-2:0]);
          assign row[2*g*OW+:OW]     = a ^ b ^ c;
          assign row[(2*g+1)*OW+:OW] = {carry, 1'b0};  // weight 2
        end
        for (genvar r = 3 * Groups; r < R; r++) begin : g_keep
          assign row[(2*Groups+r-3*Groups)*OW+:OW] = g_stage[s-1].row[r*OW+:OW];
        end
      end
    end
    logic [OW-1:0] total;
    if (rows(S) > 1) begin : g_cpa
      assign total = g_stage[S].row[OW-1:0] + g_stage[S].row[2*OW-1:OW];
    end else begin : g_single
      assign total = g_stage[S].row[OW-1:0];
    end
    assign sum_o = AW'($signed(total));
  end
endmodule
