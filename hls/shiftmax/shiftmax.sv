// shiftmax: I-ViT's integer softmax over rows of N signed WI-bit elements (FI fraction bits);
// output unsigned WO bits, meaning y / 2**WO. P elements per beat, rows counted (no tlast).
//   m = max x;  e = shift_exp(x - m);  S = sum e;  R = floor(2**(WO+K) / S);  y = min((e*R) >> K, 2**WO-1)
// with K = FI + EB + ceil(log2 N). Reference: hls/shiftmax/reference.py; README.md there.
//
// Four stages work on different rows at once, handing rows over through banked buffers:
//   in   N/P beats into x buffer bank (2 banks), running max of the row
//   exp  reads the bank, e = shift_exp(x - m) into e buffer bank (4 banks), row sum S
//   div  R = floor(2**(WO+K) / S), restoring division, one quotient bit per cycle
//   out  reads the e bank, y = min((e*R) >> K, 2**WO-1), N/P beats (stalls on m_axis_tready)
// Cycles per row at steady state: max(N/P, WO + ceil(log2 N) + 2).
module shiftmax #(
    parameter int N = 16,   // row length
    parameter int P = 1,    // elements per beat (divides N)
    parameter int WI = 8,   // input width (signed)
    parameter int FI = 4,   // input fraction bits (>= 0)
    parameter int WO = 8,   // output width (unsigned, y / 2**WO)
    parameter int EB = 4    // extra fraction bits of the exponential
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
    localparam int NP = N / P;                        // beats per row
    localparam int L = $clog2(N);
    localparam int K = FI + EB + L;
    localparam int EW = FI + EB + 1;                  // e in [0, 2**(FI+EB)]
    localparam int SW = K + 1;                        // S in [2**(FI+EB), 2**K]
    localparam int QW = WO + L + 1;                   // R in [2**WO, 2**(WO+L)]
    localparam int DW = WI + 1;                       // d = x - m in [-(2**WI - 1), 0]
    localparam int PP = P > 1 ? 2 ** $clog2(P) : 1;  // lanes padded to a power of two (trees)
    localparam int TW = EW + $clog2(PP);              // lane sum width
    localparam int IW = NP > 1 ? $clog2(NP) : 1;      // beat index
    localparam int XAW = $clog2(2 * NP);              // x buffer address (2 banks)
    localparam int EAW = $clog2(4 * NP);              // e buffer address (4 banks)
    localparam int PW = EW + QW;                      // e * R
    localparam int CW = $clog2(QW + 1);               // division step counter

    if (N < 2 || N > 65536) begin : g_bad_n
        $error("shiftmax: N must be in 2..65536");
    end
    if (P < 1 || N % P != 0) begin : g_bad_p
        $error("shiftmax: P must be >= 1 and divide N");
    end
    if (WI < 2 || WI > 32 || FI < 0 || FI > 24 || EB < 0 || EB > 16 || FI + EB < 1) begin : g_bad_in
        $error("shiftmax: needs WI in 2..32, FI in 0..24, EB in 0..16, FI + EB >= 1");
    end
    if (WO < 1 || WO > 24 || WO + K > 62) begin : g_bad_wo
        $error("shiftmax: needs WO in 1..24 and WO + FI + EB + ceil(log2 N) <= 62");
    end

    localparam logic [1:0] E_FREE = 2'd0, E_BUSY = 2'd1, E_SUMMED = 2'd2, E_READY = 2'd3;

    // ------------------------------------------------------------------ in: x buffer, max
    logic [P*WI-1:0] xmem [2*NP];
    logic [1:0] xfull;                    // bank holds a whole row not yet read by exp
    logic signed [WI-1:0] mreg [2];       // row max of each bank
    logic win;                            // bank being written
    logic [IW-1:0] in_idx;
    logic in_take;
    logic [XAW-1:0] in_addr;

    assign s_axis_tready = !xfull[win];
    assign in_take = s_axis_tvalid && s_axis_tready;
    assign in_addr = (win ? XAW'(NP) : XAW'(0)) + XAW'(in_idx);

    always_ff @(posedge ap_clk) begin
        if (in_take) xmem[in_addr] <= s_axis_tdata;
    end

    // max over the beat's lanes (a tree), registered, then folded into the row's running max
    logic signed [WI-1:0] mt [2*PP];
    always_comb begin
        for (int i = 0; i < 2 * PP; i++) mt[i] = {1'b1, {(WI - 1){1'b0}}};
        for (int k = 0; k < P; k++) mt[PP + k] = s_axis_tdata[k*WI +: WI];
        for (int i = PP - 1; i >= 1; i--) mt[i] = (mt[2*i] > mt[2*i+1]) ? mt[2*i] : mt[2*i+1];
    end
    logic signed [WI-1:0] bm_val, runmax, fold;
    logic bm_v, bm_first, bm_last, bm_bank;
    assign fold = (bm_first || bm_val > runmax) ? bm_val : runmax;

    always_ff @(posedge ap_clk) begin
        bm_val <= mt[1];
        bm_first <= in_idx == '0;
        bm_last <= in_idx == IW'(NP - 1);
        bm_bank <= win;
        if (bm_v) runmax <= fold;
        for (int b = 0; b < 2; b++) if (bm_v && bm_last && bm_bank == 1'(b)) mreg[b] <= fold;
        if (!ap_rst_n) begin
            win <= 1'b0;
            in_idx <= '0;
            bm_v <= 1'b0;
        end else begin
            bm_v <= in_take;
            if (in_take) begin
                in_idx <= in_idx == IW'(NP - 1) ? '0 : in_idx + 1'b1;
                if (in_idx == IW'(NP - 1)) win <= !win;
            end
        end
    end

    // ------------------------------------------------------------------ exp: e buffer, sum
    logic [P*EW-1:0] emem [4*NP];
    logic [1:0] estate [4];               // per bank: E_FREE -> E_BUSY (exp) -> E_SUMMED -> E_READY (div) -> E_FREE (out)
    logic [SW-1:0] sums [4];              // row sum of each e bank
    logic [QW-1:0] rs [4];                // R of each e bank

    logic rb;                             // x bank being read
    logic [IW-1:0] ex_idx;
    logic [1:0] eb;                       // e bank being written
    logic [EAW-1:0] eb_base;
    logic ex_go;
    assign ex_go = xfull[rb] && (ex_idx != '0 || estate[eb] == E_FREE);

    logic [P*WI-1:0] xrd;                 // p1: x read
    logic p1_v, p1_first, p1_last, p1_bank;
    logic [1:0] p1_eb;
    logic [EAW-1:0] p1_ea;
    always_ff @(posedge ap_clk) begin
        if (ex_go) xrd <= xmem[(rb ? XAW'(NP) : XAW'(0)) + XAW'(ex_idx)];
        p1_first <= ex_idx == '0;
        p1_last <= ex_idx == IW'(NP - 1);
        p1_bank <= rb;
        p1_eb <= eb;
        p1_ea <= eb_base + EAW'(ex_idx);
    end

    // p2: d = x - m (registered), p3..p4: shift_exp (2 stages), p4: write e, p5: lane sum
    logic signed [DW-1:0] d [P];
    logic [P*EW-1:0] e_all;
    always_ff @(posedge ap_clk) begin
        for (int k = 0; k < P; k++) d[k] <= DW'($signed(xrd[k*WI +: WI])) - DW'(mreg[p1_bank]);
    end
    for (genvar k = 0; k < P; k++) begin : g_exp
        shift_exp #(.WV(DW), .FI(FI), .EB(EB)) u_exp (
            .ap_clk(ap_clk), .en(1'b1), .v(d[k]), .e(e_all[k*EW +: EW])
        );
    end

    logic [2:0] pv, pfirst, plast;        // tags of p2, p3, p4
    logic [5:0] peb;
    logic [3*EAW-1:0] pea;
    always_ff @(posedge ap_clk) begin
        pfirst <= {pfirst[1:0], p1_first};
        plast <= {plast[1:0], p1_last};
        peb <= {peb[3:0], p1_eb};
        pea <= {pea[2*EAW-1:0], p1_ea};
        if (pv[2]) emem[pea[2*EAW +: EAW]] <= e_all;
    end

    logic [TW-1:0] st [2*PP];
    always_comb begin
        for (int i = 0; i < 2 * PP; i++) st[i] = '0;
        for (int k = 0; k < P; k++) st[PP + k] = TW'(e_all[k*EW +: EW]);
        for (int i = PP - 1; i >= 1; i--) st[i] = st[2*i] + st[2*i+1];
    end
    logic [TW-1:0] p5_sum;
    logic p5_v, p5_first, p5_last;
    logic [1:0] p5_eb;
    logic [SW-1:0] acc, acc_next;
    assign acc_next = (p5_first ? SW'(0) : acc) + SW'(p5_sum);
    always_ff @(posedge ap_clk) begin
        p5_sum <= st[1];
        p5_first <= pfirst[2];
        p5_last <= plast[2];
        p5_eb <= peb[5:4];
        if (p5_v) acc <= acc_next;
        for (int b = 0; b < 4; b++) if (p5_v && p5_last && p5_eb == 2'(b)) sums[b] <= acc_next;
    end

    // ------------------------------------------------------------------ div: R = 2**(WO+K) / S
    logic [1:0] db;
    logic div_busy;
    logic [CW-1:0] div_cnt;
    logic [SW-1:0] den, rem;
    logic [QW-2:0] quo;                  // quotient bits so far (the last comes with qbit)
    logic [SW:0] rem2;
    logic [SW+1:0] diff;                  // rem2 - den with its borrow on top
    logic qbit;
    assign rem2 = {rem, 1'b0};
    assign diff = {1'b0, rem2} - {2'b0, den};
    assign qbit = !diff[SW+1];

    always_ff @(posedge ap_clk) begin
        if (!div_busy) begin
            den <= sums[db];
            rem <= SW'(1) << (FI + EB - 1);   // 2**(WO+K) >> QW: the dividend's bits above R
            quo <= '0;
            div_cnt <= CW'(QW);
        end else begin
            rem <= qbit ? SW'(diff) : SW'(rem2);
            quo <= {quo[QW-3:0], qbit};
            div_cnt <= div_cnt - 1'b1;
            for (int b = 0; b < 4; b++) if (div_cnt == 1 && db == 2'(b)) rs[b] <= {quo, qbit};
        end
    end

    // ------------------------------------------------------------------ out: y = (e*R) >> K
    logic [1:0] ob;
    logic [EAW-1:0] ob_base;
    logic [IW-1:0] o_idx;
    logic o_en, o_go;
    logic [P*EW-1:0] erd;                 // q1
    logic [QW-1:0] q1_r;
    logic q1_v, q2_v, q3_v;
    logic [PW-1:0] prod [P];              // q2
    logic [P*WO-1:0] y;                   // q3
    assign o_en = !q3_v || m_axis_tready;
    assign o_go = o_en && estate[ob] == E_READY;
    assign m_axis_tvalid = q3_v;
    assign m_axis_tdata = y;

    always_ff @(posedge ap_clk) begin
        if (o_en) begin
            erd <= emem[ob_base + EAW'(o_idx)];
            q1_r <= rs[ob];
            for (int k = 0; k < P; k++) prod[k] <= PW'(erd[k*EW +: EW]) * PW'(q1_r);
            for (int k = 0; k < P; k++) begin
                y[k*WO +: WO] <= (prod[k] >> K) > PW'((1 << WO) - 1) ? WO'((1 << WO) - 1) : WO'(prod[k] >> K);
            end
        end
    end

    // ------------------------------------------------------------------ control (with reset)
    always_ff @(posedge ap_clk) begin
        if (!ap_rst_n) begin
            xfull <= '0;
            for (int b = 0; b < 4; b++) estate[b] <= E_FREE;
            rb <= 1'b0;
            ex_idx <= '0;
            eb <= '0;
            eb_base <= '0;
            p1_v <= 1'b0;
            pv <= '0;
            p5_v <= 1'b0;
            db <= '0;
            div_busy <= 1'b0;
            ob <= '0;
            ob_base <= '0;
            o_idx <= '0;
            q1_v <= 1'b0;
            q2_v <= 1'b0;
            q3_v <= 1'b0;
        end else begin
            // in -> exp: a bank is full with its last beat (its max is folded a cycle later,
            // in time for exp's first use of it)
            if (in_take && in_idx == IW'(NP - 1)) xfull[win] <= 1'b1;
            // exp
            p1_v <= ex_go;
            pv <= {pv[1:0], p1_v};
            p5_v <= pv[2];
            if (ex_go) begin
                if (ex_idx == IW'(NP - 1)) begin
                    xfull[rb] <= 1'b0;
                    rb <= !rb;
                    ex_idx <= '0;
                    eb <= eb + 1'b1;
                    eb_base <= eb == 2'd3 ? '0 : eb_base + EAW'(NP);
                end else begin
                    ex_idx <= ex_idx + 1'b1;
                end
            end
            // div
            if (!div_busy) begin
                if (estate[db] == E_SUMMED) div_busy <= 1'b1;
            end else if (div_cnt == 1) begin
                div_busy <= 1'b0;
                db <= db + 1'b1;
            end
            // e bank states: each stage moves the one bank it works on
            for (int b = 0; b < 4; b++) begin
                if (ex_go && ex_idx == '0 && eb == 2'(b)) estate[b] <= E_BUSY;
                if (p5_v && p5_last && p5_eb == 2'(b)) estate[b] <= E_SUMMED;
                if (div_busy && div_cnt == 1 && db == 2'(b)) estate[b] <= E_READY;
                if (o_go && o_idx == IW'(NP - 1) && ob == 2'(b)) estate[b] <= E_FREE;
            end
            // out
            if (o_en) begin
                q1_v <= o_go;
                q2_v <= q1_v;
                q3_v <= q2_v;
            end
            if (o_go) begin
                if (o_idx == IW'(NP - 1)) begin
                    ob <= ob + 1'b1;
                    ob_base <= ob == 2'd3 ? '0 : ob_base + EAW'(NP);
                    o_idx <= '0;
                end else begin
                    o_idx <= o_idx + 1'b1;
                end
            end
        end
    end
endmodule
