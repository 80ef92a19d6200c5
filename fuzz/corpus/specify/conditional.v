`timescale 1ns/1ps
module MUX (A, B, S, Y);
input A, B, S; output Y;
specify
  specparam tA = 0.1:0.12:0.15, tB = 0.2;
  if (S == 1'b0) (A +=> Y) = (tA, 0.11);
  if (S) (B => Y) = tB;
  ifnone (A, B *> Y) = (0.3, 0.25, 0.4);
  (posedge S => (Y : A)) = (0.05:0.06:0.07, 0.08);
  $setup(A, posedge S, 0.1);
endspecify
endmodule
