// requant_add: elementwise y = sat_WO((a * MA + b * MB + RND) >> S), RND = 2**(S-1) if S > 0 else 0.
// Residual add of two integer streams with different (dyadic) scales; >> is arithmetic (floor),
// so RND rounds half up; sat_WO clips to WO signed bits. Joins two AXI-Streams: a beat leaves
// only when both inputs have one; back-pressure reaches both. Fully pipelined, one beat per
// cycle at any P, latency 3 cycles (product, sum, saturate).
// Conventions: hls/README.md. Reference: hls/requant_add/reference.py.
module requant_add #(
    parameter int WA = 8,  // width of a (signed)
    parameter int WB = 8,  // width of b (signed)
    parameter int WO = 8,  // width of y (signed)
    parameter int MA = 1,  // multiplier of a (0 .. 2**30-1)
    parameter int MB = 1,  // multiplier of b (0 .. 2**30-1)
    parameter int S = 0,   // right shift (0 .. 30)
    parameter int P = 1    // elements per beat
) (
    input  logic            ap_clk,
    input  logic            ap_rst_n,
    input  logic [P*WA-1:0] s_axis_a_tdata,
    input  logic            s_axis_a_tvalid,
    output logic            s_axis_a_tready,
    input  logic [P*WB-1:0] s_axis_b_tdata,
    input  logic            s_axis_b_tvalid,
    output logic            s_axis_b_tready,
    output logic [P*WO-1:0] m_axis_tdata,
    output logic            m_axis_tvalid,
    input  logic            m_axis_tready
);
    if (WA < 2 || WB < 2 || WO < 2 || WA > 32 || WB > 32 || WO > 32) begin : g_bad_width
        $error("requant_add: WA, WB, WO must be 2..32");
    end
    if (MA < 0 || MB < 0 || MA > 1073741823 || MB > 1073741823) begin : g_bad_mult
        $error("requant_add: MA and MB must be 0..2**30-1");
    end
    if (S < 0 || S > 30) begin : g_bad_shift
        $error("requant_add: S must be 0..30");
    end
    if (P < 1) begin : g_bad_p
        $error("requant_add: P must be >= 1");
    end

    // signed width of a*MA + b*MB + RND and of the output range (reference.sum_width)
    localparam int BMA = (MA > 0) ? $clog2(MA + 1) : 1;
    localparam int BMB = (MB > 0) ? $clog2(MB + 1) : 1;
    localparam int W1 = (WA + BMA > WB + BMB) ? WA + BMA : WB + BMB;
    localparam int W2 = (S > WO) ? S : WO;
    localparam int WS = ((W1 > W2) ? W1 : W2) + 2;
    localparam int SR = (S > 0) ? S - 1 : 0;
    localparam logic signed [WS-1:0] MAC = WS'(MA);
    localparam logic signed [WS-1:0] MBC = WS'(MB);
    localparam logic signed [WS-1:0] RND = (S > 0) ? ({{(WS - 1){1'b0}}, 1'b1} << SR) : {WS{1'b0}};
    localparam logic signed [WS-1:0] YMAX = {{(WS - WO + 1){1'b0}}, {(WO - 1){1'b1}}};
    localparam logic signed [WS-1:0] YMIN = {{(WS - WO + 1){1'b1}}, {(WO - 1){1'b0}}};

    // three stages; a stage takes a new beat when it is empty or its content moves on
    logic [2:0] v;
    wire en2 = !v[2] || m_axis_tready;
    wire en1 = !v[1] || en2;
    wire en0 = !v[0] || en1;
    wire both = s_axis_a_tvalid && s_axis_b_tvalid;
    assign s_axis_a_tready = en0 && s_axis_b_tvalid;
    assign s_axis_b_tready = en0 && s_axis_a_tvalid;
    assign m_axis_tvalid = v[2];

    always_ff @(posedge ap_clk) begin
        if (!ap_rst_n) begin
            v <= '0;
        end else begin
            if (en0) v[0] <= both;
            if (en1) v[1] <= v[0];
            if (en2) v[2] <= v[1];
        end
    end

    for (genvar k = 0; k < P; k++) begin : g_lane
        wire signed [WA-1:0] a = s_axis_a_tdata[k*WA +: WA];
        wire signed [WB-1:0] b = s_axis_b_tdata[k*WB +: WB];
        logic signed [WS-1:0] pa, pb, sum;
        logic signed [WO-1:0] y;
        wire signed [WS-1:0] q = sum >>> S;
        always_ff @(posedge ap_clk) begin
            if (en0) begin
                pa <= a * MAC;
                pb <= b * MBC;
            end
            if (en1) sum <= pa + pb + RND;
            if (en2) y <= (q > YMAX) ? YMAX[WO-1:0] : (q < YMIN) ? YMIN[WO-1:0] : q[WO-1:0];
        end
        assign m_axis_tdata[k*WO +: WO] = y;
    end
endmodule
