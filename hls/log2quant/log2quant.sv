// log2quant: log2 (MODE 0, FQ-ViT) or log-sqrt2 (MODE 1, RepQ-ViT) code of post-softmax values,
// elementwise on P lanes of unsigned WI-bit y (p = y / 2**WI); output unsigned WO-bit codes.
//   y == 0: q = 2**WO - 1;  k = leading-one position of y;  m = y << (WI-1-k) (mantissa, MSB set)
//   MODE 0: q = (WI - k) - [m > C2];  MODE 1: q = 2*(WI - k) - [m > C1] - [m > C3];  q = min(q, 2**WO-1)
// with Cj = floor(2**(WI-1) * 2**(j/4)), taken from 65-bit constants floor(2**(64 + j/4)).
// Reference: hls/log2quant/reference.py; README.md there. Fully pipelined: one beat per cycle,
// latency 3 (leading one; shift; compare); every stage holds while m_axis_tvalid && !m_axis_tready.
module log2quant #(
    parameter int P = 1,    // elements per beat
    parameter int WI = 8,   // input width (unsigned, y / 2**WI)
    parameter int WO = 4,   // code width
    parameter int MODE = 0  // 0: log2, 1: log-sqrt2
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
    localparam int KW = WI > 1 ? $clog2(WI) : 1;    // leading-one position
    localparam int CW0 = $clog2(2 * WI + 2);
    localparam int CW = (CW0 > WO ? CW0 : WO) + 1;   // unsaturated code (up to 2*WI) and 2**WO - 1
    localparam logic [64:0] R1 = 65'h1306fe0a31b7152de;  // floor(2**(64 + 1/4))
    localparam logic [64:0] R2 = 65'h16a09e667f3bcc908;  // floor(2**(64 + 2/4))
    localparam logic [64:0] R3 = 65'h1ae89f995ad3ad5e8;  // floor(2**(64 + 3/4))
    localparam logic [WI-1:0] C1 = WI'(R1 >> (65 - WI));
    localparam logic [WI-1:0] C2 = WI'(R2 >> (65 - WI));
    localparam logic [WI-1:0] C3 = WI'(R3 >> (65 - WI));
    localparam logic [CW-1:0] QMAX = CW'((1 << WO) - 1);

    if (P < 1 || WI < 1 || WI > 31 || WO < 1 || WO > 8 || (MODE != 0 && MODE != 1)) begin : g_bad_params
        $error("log2quant: needs P >= 1, WI in 1..31, WO in 1..8, MODE 0 or 1");
    end

    logic [2:0] v;
    logic en;
    assign en = !v[2] || m_axis_tready;
    assign s_axis_tready = en;
    assign m_axis_tvalid = v[2];
    always_ff @(posedge ap_clk) begin
        if (!ap_rst_n) v <= '0;
        else if (en) v <= {v[1:0], s_axis_tvalid};
    end

    for (genvar l = 0; l < P; l++) begin : g_lane
        // stage 1: leading one
        logic [WI-1:0] y_in, y1, m2;
        logic [KW-1:0] k_in, k1, k2;
        logic zero1, zero2;
        assign y_in = s_axis_tdata[l*WI +: WI];
        always_comb begin
            k_in = '0;
            for (int i = 0; i < WI; i++) if (y_in[i]) k_in = KW'(i);
        end
        // stage 2: normalise;  stage 3: compare, code, saturate
        logic [CW-1:0] base, q_raw;
        logic [WO-1:0] q3;
        assign base = MODE == 0 ? CW'(WI) - CW'(k2) : CW'(2 * WI) - (CW'(k2) << 1);
        assign q_raw = MODE == 0 ? base - CW'(m2 > C2) : base - CW'(m2 > C1) - CW'(m2 > C3);
        always_ff @(posedge ap_clk) begin
            if (en) begin
                y1 <= y_in;
                k1 <= k_in;
                zero1 <= y_in == '0;
                m2 <= y1 << (KW'(WI - 1) - k1);
                k2 <= k1;
                zero2 <= zero1;
                q3 <= zero2 || q_raw > QMAX ? WO'(QMAX) : WO'(q_raw);
            end
        end
        assign m_axis_tdata[l*WO +: WO] = q3;
    end
endmodule
