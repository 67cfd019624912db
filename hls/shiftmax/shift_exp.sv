// shift_exp: I-ViT's shift exponential for one lane, 2**(v * log2 e) for v <= 0 (FI fraction
// bits), in units of 2**-(FI+EB). Shared by hls/shiftmax and hls/gelu.
//   u = -(v + (v >>> 1) - (v >>> 4));  q = min(u >> FI, FI+EB+1);  f = u mod 2**FI
//   e = ((2**FI - (f >> 1)) << EB) >> q                      (e in [0, 2**(FI+EB)])
// Pipelined: 2 register stages, all advancing when `en` is high (no reset: data only).
// Reference: shift_exp() in hls/shiftmax/reference.py.
module shift_exp #(
    parameter int WV = 9,  // width of v (signed, v <= 0)
    parameter int FI = 4,  // fraction bits of v (>= 0)
    parameter int EB = 4   // extra fraction bits of the result (FI + EB >= 1)
) (
    input  logic                 ap_clk,
    input  logic                 en,
    input  logic signed [WV-1:0] v,
    output logic [FI+EB:0]       e      // FI+EB+1 bits: 2**(FI+EB) is 1.0
);
    localparam int EW = FI + EB + 1;
    localparam int CAP = FI + EB + 1;          // shifts beyond this give 0
    localparam int QW = $clog2(CAP + 1);        // bits of the capped shift
    localparam int UW = WV + 1;                 // u <= 1.4375 * 2**(WV-1) < 2**WV, one spare bit

    if (WV < 2 || FI < 0 || EB < 0 || FI + EB < 1) begin : g_bad_params
        $error("shift_exp: needs WV >= 2, FI >= 0, EB >= 0, FI + EB >= 1");
    end

    // stage 1: u = -(v * 1.4375) with shifts (floor shifts of the signed v)
    logic signed [WV+1:0] vx;
    logic signed [WV+1:0] t;
    logic [UW-1:0] u;
    assign vx = (WV + 2)'(v);
    assign t = vx + (vx >>> 1) - (vx >>> 4);
    always_ff @(posedge ap_clk) begin
        if (en) u <= UW'(-t);
    end

    // stage 2: 2**-u ~ (1 - f/2) >> q
    logic [UW-1:0] q_full;
    logic [QW-1:0] q;
    logic [UW-1:0] f;
    logic [EW-1:0] mant;
    assign q_full = u >> FI;
    assign q = (q_full > UW'(CAP)) ? QW'(CAP) : QW'(q_full);
    assign f = u & ((UW'(1) << FI) - UW'(1));
    assign mant = (EW'(1) << (FI + EB)) - (EW'(f >> 1) << EB);
    always_ff @(posedge ap_clk) begin
        if (en) e <= mant >> q;
    end
endmodule
