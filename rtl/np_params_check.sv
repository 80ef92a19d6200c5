// Elaboration-time parameter checks shared by every kernel: an illegal
// value stops Verilator and yosys with a message instead of building
// hardware that silently computes something else. The C++ side validates
// the same ranges first (models::validate) with a friendlier message.
module np_params_check #(
  parameter int unsigned K     = 9,
  parameter int unsigned XW    = 8,
  parameter int unsigned WW    = 8,
  parameter int unsigned MinWW = 1,
  parameter int unsigned AW    = 32,
  parameter int unsigned ARCH  = np_pkg::ArchChain,
  parameter int unsigned MaxArch = np_pkg::ArchCsa,  // ArchBoothCsa (mac), ArchShiftAdd (sigma-delta)
  parameter int unsigned PIPELINE = 0
) ();
  if (K < 1 || K > np_pkg::MaxK) begin : g_bad_k
    $error("np kernel: parameter K out of range 1..MaxK");
  end
  if (XW < 1 || XW > np_pkg::MaxXW) begin : g_bad_xw
    $error("np kernel: parameter XW out of range 1..MaxXW");
  end
  if (WW < MinWW || WW > np_pkg::MaxWW) begin : g_bad_ww
    $error("np kernel: parameter WW out of range for this kernel kind");
  end
  if (AW < 2 || AW > np_pkg::MaxAW) begin : g_bad_aw
    $error("np kernel: parameter AW out of range 2..MaxAW");
  end
  if (ARCH > MaxArch || MaxArch > np_pkg::ArchShiftAdd) begin : g_bad_arch
    $error("np kernel: parameter ARCH out of range for this kernel kind (np_pkg::ArchChain .. ArchShiftAdd)");
  end
  if (PIPELINE > 1) begin : g_bad_pipeline
    $error("np kernel: parameter PIPELINE out of range 0..1");
  end
endmodule
