// gelu: I-ViT's ShiftGELU, elementwise on P lanes of signed WI-bit x (FI fraction bits); output
// signed WO bits with FO fraction bits. Reference: hls/gelu/reference.py; README.md there.
//   z = x + (x>>>1) + (x>>>3) + (x>>>4);  a = shift_exp(min(z,0)), b = shift_exp(-max(z,0))
//   sig = floor(a * 2**SB / (a + b));      y = sat_WO((x * sig) >>> (SB + FI - FO))
// One shift_exp per lane (hls/shiftmax/shift_exp.sv) on v = -|z|: a = 1.0 and b = e when z >= 0,
// a = e and b = 1.0 otherwise. The division is a pipelined restoring divider, one quotient bit
// per stage. Fully pipelined: one beat per cycle, latency SB + 8 cycles; every stage holds while
// m_axis_tvalid && !m_axis_tready (s_axis_tready = !m_axis_tvalid || m_axis_tready).
module gelu #(
    parameter int P = 1,    // elements per beat
    parameter int WI = 8,   // input width (signed)
    parameter int FI = 4,   // input fraction bits (>= 0)
    parameter int WO = 8,   // output width (signed)
    parameter int FO = 4,   // output fraction bits
    parameter int EB = 4,   // extra fraction bits of the exponential
    parameter int SB = 8    // sigmoid bits: sig in units of 2**-SB
) (
    input  logic            ap_clk,
    input  logic            ap_rst_n,
    input  logic [P*WI-1:0] s_axis_tdata,
    input  logic            s_axis_tvalid,
    output logic            s_axis_tready,
    output logic [P*WO-1:0] m_axis_tdata,
    output logic            m_axis_tvalid,
    input  logic            m_axis_tready
);
    localparam int EW = FI + EB + 1;                 // e in [0, 2**(FI+EB)]
    localparam int DW = EW + 1;                      // a + b in [2**(FI+EB), 2**(FI+EB+1)]
    localparam int ZW = WI + 1;                      // z = 1.6875 x
    localparam int QW = SB + 1;                      // sig in [0, 2**SB]
    localparam int SH = SB + FI - FO;                // right shift of x * sig (left when < 0)
    localparam int MW = WI + QW + 1;                 // x * sig (signed)
    localparam int TW = SH < 0 ? MW - SH : MW;       // after the shift
    localparam int DEPTH = SB + 8;                   // pipeline stages (latency)
    localparam int NDIV = SB + 1;                    // divider stages

    if (P < 1 || WI < 2 || WI > 32 || FI < 0 || FI > 24 || EB < 0 || EB > 16 || FI + EB < 1) begin : g_bad_in
        $error("gelu: needs P >= 1, WI in 2..32, FI in 0..24, EB in 0..16, FI + EB >= 1");
    end
    if (SB < 1 || SB > 24 || WO < 2 || WO > 32 || FO < -32 || FO > 48 || TW > 63) begin : g_bad_out
        $error("gelu: needs SB in 1..24, WO in 2..32, FO in -32..48, WI + SB + 1 + max(0, FO - SB - FI) <= 62");
    end

    // valid of every stage; all stages advance together when the output is free
    logic [DEPTH-1:0] v;
    logic en;
    assign en = !v[DEPTH-1] || m_axis_tready;
    assign s_axis_tready = en;
    assign m_axis_tvalid = v[DEPTH-1];
    always_ff @(posedge ap_clk) begin
        if (!ap_rst_n) v <= '0;
        else if (en) v <= {v[DEPTH-2:0], s_axis_tvalid};
    end

    for (genvar k = 0; k < P; k++) begin : g_lane
        // x travels with its element to the multiplier (stage DEPTH-2)
        logic signed [WI-1:0] xs [DEPTH-2];
        logic signed [WI-1:0] x_in;
        assign x_in = s_axis_tdata[k*WI +: WI];
        always_ff @(posedge ap_clk) begin
            if (en) begin
                xs[0] <= x_in;
                for (int i = 1; i < DEPTH - 2; i++) xs[i] <= xs[i-1];
            end
        end

        // stage 1: z = 1.6875 x;  stage 2: v = -|z|, the sign of z
        logic signed [ZW-1:0] xz, z1, v2;
        logic pos2;
        assign xz = ZW'(x_in);
        always_ff @(posedge ap_clk) begin
            if (en) begin
                z1 <= (xz + (xz >>> 1)) + ((xz >>> 3) + (xz >>> 4));
                v2 <= z1[ZW-1] ? z1 : -z1;
                pos2 <= !z1[ZW-1];
            end
        end

        // stages 3-4: e = shift_exp(v)
        logic [EW-1:0] e4;
        logic [1:0] pos34;
        shift_exp #(.WV(ZW), .FI(FI), .EB(EB)) u_exp (.ap_clk(ap_clk), .en(en), .v(v2), .e(e4));
        always_ff @(posedge ap_clk) begin
            if (en) pos34 <= {pos34[0], pos2};
        end

        // stage 5: dividend a * 2**SB, divisor a + b; the remainder starts at a >> 1 (the dividend's
        // bits above 2**SB), a's bit 0 enters at the first step.  Stages 6 .. SB+6: one quotient bit
        // each (restoring division).
        logic [EW-1:0] rem [NDIV+1];
        logic [DW-1:0] den [NDIV+1];
        logic [QW-1:0] quo [NDIV+1];
        logic a_lsb;
        logic [EW-1:0] a5;
        logic [EW:0] r2 [NDIV];
        logic [EW+1:0] diff [NDIV];      // r2 - den with its borrow on top: take when no borrow
        logic [NDIV-1:0] take;
        assign a5 = pos34[1] ? EW'(1) << (FI + EB) : e4;
        always_comb begin
            for (int j = 0; j < NDIV; j++) begin
                r2[j] = {rem[j], j == 0 ? a_lsb : 1'b0};
                diff[j] = {1'b0, r2[j]} - {1'b0, den[j]};
                take[j] = !diff[j][EW+1];
            end
        end
        always_ff @(posedge ap_clk) begin
            if (en) begin
                rem[0] <= a5 >> 1;
                a_lsb <= a5[0];
                den[0] <= (DW'(1) << (FI + EB)) + DW'(e4);
                quo[0] <= '0;
                for (int j = 0; j < NDIV; j++) begin
                    rem[j+1] <= take[j] ? EW'(diff[j]) : EW'(r2[j]);
                    den[j+1] <= den[j];
                    quo[j+1] <= {quo[j][QW-2:0], take[j]};
                end
            end
        end

        // stage SB+7: x * sig;  stage SB+8: shift, saturate
        logic signed [MW-1:0] prod;
        logic signed [TW-1:0] t;
        logic signed [WO-1:0] y;
        always_ff @(posedge ap_clk) begin
            if (en) prod <= MW'(xs[DEPTH-3]) * $signed({1'b0, quo[NDIV]});
        end
        if (SH >= 0) begin : g_right
            assign t = prod >>> SH;
        end else begin : g_left
            assign t = TW'(prod) <<< (-SH);
        end
        if (WO >= TW) begin : g_fits
            always_ff @(posedge ap_clk) begin
                if (en) y <= WO'(t);
            end
        end else begin : g_sat
            localparam logic signed [TW-1:0] YMAX = {{(TW - WO + 1){1'b0}}, {(WO - 1){1'b1}}};
            localparam logic signed [TW-1:0] YMIN = {{(TW - WO + 1){1'b1}}, {(WO - 1){1'b0}}};
            always_ff @(posedge ap_clk) begin
                if (en) y <= t > YMAX ? WO'(YMAX) : t < YMIN ? WO'(YMIN) : WO'(t);
            end
        end
        assign m_axis_tdata[k*WO +: WO] = y;
    end
endmodule
