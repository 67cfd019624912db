// layernorm: I-LayerNorm, integer statistics and an exact integer square root per row of C
// signed WI-bit elements, then y = sat_WO(((x - mu) * R) >> (K-G-FO)) [* gamma >> FG + beta].
// Formula, rounding and parameters: hls/layernorm/reference.py (the specification) and README.md.
//
// Structure (one row flows left to right, the units work on different rows at once):
//   input  -> row FIFO (DEPTH beats) --------------------------------------------> output
//     \-> S = sum x, Q = sum x^2 -> [A: mu, V, var] -> [B: isqrt] -> [C: 2**K/sigma] -/
// V = Q - mu * (2 S - C mu) is the exact sum of (x - mu)^2, so the row is read only once.
// Divisions and the square root are sequential, one result bit per cycle; C a power of two
// replaces the divisions by C with shifts. Conventions: hls/README.md.
module layernorm #(
    parameter int C = 64,      // channels (row length)
    parameter int P = 1,       // elements per beat (divides C)
    parameter int WI = 8,      // input width (signed)
    parameter int WO = 8,      // output width (signed)
    parameter int FO = 6,      // output fraction bits
    parameter int G = 4,       // guard bits of sigma
    parameter int K = 18,      // reciprocal bits (K >= G + FO)
    parameter int AFFINE = 0,  // 1: y = sat(((n * gamma) >> FG) + beta)
    parameter int WG = 8,      // gamma width (signed), FG fraction bits
    parameter int FG = 6,
    parameter int WB = 8,      // beta width (signed), FO fraction bits
    parameter GAMMA_FILE = "gamma.hex",  // $readmemh files, C lines of two's complement hex
    parameter BETA_FILE = "beta.hex"     // (read only when AFFINE = 1)
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
    if (C < 2 || P < 1 || C % P != 0) begin : g_bad_c
        $error("layernorm: needs C >= 2 and P dividing C");
    end
    if (WI < 3 || WI > 24 || WO < FO + 2 || WO > 32 || G < 0 || FO < 0) begin : g_bad_width
        $error("layernorm: needs WI 3..24, WO FO+2..32, G >= 0, FO >= 0");
    end
    if (K < G + FO || K < 1 || K > 40) begin : g_bad_k
        $error("layernorm: needs G + FO <= K <= 40, K >= 1");
    end
    if (AFFINE != 0 && (WG < 2 || WG > 18 || FG < 0 || WB < 2 || WB > 32)) begin : g_bad_affine
        $error("layernorm: needs WG 2..18, FG >= 0, WB 2..32");
    end

    localparam int CB = C / P;                   // beats per row
    localparam int LOGC = $clog2(C);
    localparam int CPO2 = ((1 << LOGC) == C) ? 1 : 0;
    localparam int M = WI + G - 1;               // sigma bits
    localparam int WS = WI + LOGC + 1;           // S (signed)
    localparam int WQ = 2 * WI + LOGC;           // Q (unsigned)
    localparam int WT = WI + LOGC + 3;           // t = 2 S - C mu (signed)
    localparam int WP = WI + WT;                 // mu * t (signed)
    localparam int WVW = ((WQ + 1 > WP) ? WQ + 1 : WP) + 1;  // Q - mu t (signed)
    localparam int WV = 2 * WI + LOGC;           // V (unsigned, < C * 2**(2 WI - 2))
    localparam int WVG = WV + 2 * G;             // V * 2**(2G)
    localparam int SH = K - G - FO;
    localparam int WD = WI + 1;                  // d = x - mu (signed)
    localparam int WR = K + 2;                   // R as a signed number
    localparam int WPR = WD + WR;                // d * R
    localparam int WN = WI + G + FO + 3;         // n (signed, |n| < 2**(WI + G + FO))
    localparam int WZ0 = (AFFINE != 0) ? ((WN + WG > WB) ? WN + WG : WB) + 1 : WN;
    localparam int WZ = (WZ0 > WO + 1) ? WZ0 : WO + 1;  // before saturation
    // cycles from a row's last input beat to its first output read, at most (sizes the FIFO)
    localparam int LAT = 12 + ((CPO2 != 0) ? 8 : WI + 2 * M + 12) + (M + 4) + (K + 5);
    localparam int DEPTH = CB + LAT;
    localparam int AW = $clog2(DEPTH);
    localparam int BW = $clog2(CB + 1);

    // ------------------------------------------------------------------ input, row FIFO, sums
    logic [P*WI-1:0] xmem [0:DEPTH-1];
    logic [AW-1:0] wr_ptr, rd_ptr;
    logic [AW:0] count;
    logic [BW-1:0] ibeat;
    logic sq_valid;                       // a finished row's S, Q wait for unit A
    logic signed [WS-1:0] sq_s, s_acc;
    logic [WQ-1:0] sq_q, q_acc;
    logic [3:1] iv, il;                   // input pipeline: valid, last beat of a row
    logic [P*WI-1:0] x1, x2;
    logic [P*2*WI-1:0] sq2;
    logic signed [WS-1:0] sb3, sb_c;
    logic [WQ-1:0] qb3, qb_c;
    logic issue;                          // the output side reads a beat

    wire in_last = ibeat == BW'(CB - 1);
    // a row's last beat enters only when its S, Q will find the slot to unit A free
    assign s_axis_tready = (count != (AW+1)'(DEPTH)) && !(in_last && (sq_valid || il != 3'b000));
    wire acc = s_axis_tvalid && s_axis_tready;
    wire sq_take;

    always_comb begin
        sb_c = '0;
        qb_c = '0;
        for (int k = 0; k < P; k++) begin
            sb_c = sb_c + {{(WS - WI){x2[k*WI+WI-1]}}, x2[k*WI +: WI]};
            qb_c = qb_c + {{(WQ - 2 * WI){1'b0}}, sq2[k*2*WI +: 2*WI]};
        end
    end

    always_ff @(posedge ap_clk) begin
        if (acc) xmem[wr_ptr] <= s_axis_tdata;
        x1 <= s_axis_tdata;
        x2 <= x1;
        for (int k = 0; k < P; k++) begin
            sq2[k*2*WI +: 2*WI] <= $signed(x1[k*WI +: WI]) * $signed(x1[k*WI +: WI]);
        end
        sb3 <= sb_c;
        qb3 <= qb_c;
        if (!ap_rst_n) begin
            wr_ptr <= '0;
            count <= '0;
            ibeat <= '0;
            iv <= '0;
            il <= '0;
            sq_valid <= 1'b0;
            s_acc <= '0;
            q_acc <= '0;
        end else begin
            if (acc) begin
                wr_ptr <= (wr_ptr == AW'(DEPTH - 1)) ? '0 : wr_ptr + 1'b1;
                ibeat <= in_last ? '0 : ibeat + 1'b1;
            end
            count <= count + (AW+1)'(acc) - (AW+1)'(issue);
            iv <= {iv[2:1], acc};
            il <= {il[2:1], acc && in_last};
            if (sq_take) sq_valid <= 1'b0;
            if (iv[3]) begin
                if (il[3]) begin
                    sq_s <= s_acc + sb3;
                    sq_q <= q_acc + qb3;
                    sq_valid <= 1'b1;
                    s_acc <= '0;
                    q_acc <= '0;
                end else begin
                    s_acc <= s_acc + sb3;
                    q_acc <= q_acc + qb3;
                end
            end
        end
    end

    // ------------------------------------------------------------------ unit A: mu, V, var
    localparam logic [3:0] A_IDLE = 4'd0, A_MU = 4'd1, A_MUW = 4'd2, A_T = 4'd3, A_P = 4'd4, A_V = 4'd5,
                           A_VAR = 4'd6, A_VARW = 4'd7, A_OUT = 4'd8;
    logic [3:0] a_st;
    logic signed [WS-1:0] a_s;
    logic [WQ-1:0] a_q;
    logic signed [WI-1:0] a_mu;
    logic signed [WT-1:0] a_t;
    logic signed [WP-1:0] a_p;
    logic [WV-1:0] a_v;
    logic [2*M-1:0] a_var;
    logic ab_valid;                       // unit A's result waits for unit B
    logic signed [WI-1:0] ab_mu;
    logic [2*M-1:0] ab_var;
    wire ab_take;
    assign sq_take = (a_st == A_IDLE) && sq_valid;

    localparam logic signed [WT-1:0] CT = WT'(C);
    localparam logic [WS-1:0] SOFF = WS'(C) << (WI - 1);  // C * 2**(WI-1): makes S + SOFF >= 0
    wire signed [WS-1:0] s_shr = a_s >>> LOGC;
    wire signed [WT-1:0] s_t = a_s;
    wire signed [WT-1:0] mu_t = a_mu;
    wire signed [WVW-1:0] q_w = {1'b0, a_q};
    wire signed [WVW-1:0] v_w = q_w - a_p;
    wire [WVG-1:0] v_sh = WVG'(a_v) << (2 * G);
    wire [WVG-1:0] v_div_c = v_sh >> LOGC;
    logic mu_done, var_done;
    logic [WI-1:0] mu_quo;
    logic [2*M-1:0] var_quo;

    if (CPO2 == 0) begin : g_div_c
        layernorm_div #(.WN(WS), .WD(LOGC + 1), .WQ(WI)) u_mu (
            .clk(ap_clk), .rst_n(ap_rst_n), .start(a_st == A_MU), .num(a_s + SOFF),
            .den((LOGC + 1)'(C)), .done(mu_done), .quo(mu_quo)
        );
        layernorm_div #(.WN(WVG), .WD(LOGC + 1), .WQ(2 * M)) u_var (
            .clk(ap_clk), .rst_n(ap_rst_n), .start(a_st == A_VAR), .num(v_sh),
            .den((LOGC + 1)'(C)), .done(var_done), .quo(var_quo)
        );
    end else begin : g_shift_c
        assign mu_done = 1'b1;
        assign var_done = 1'b1;
        assign mu_quo = '0;
        assign var_quo = '0;
    end

    always_ff @(posedge ap_clk) begin
        if (!ap_rst_n) begin
            a_st <= A_IDLE;
            ab_valid <= 1'b0;
        end else begin
            if (ab_take) ab_valid <= 1'b0;
            case (a_st)
                A_IDLE: if (sq_valid) begin
                    a_s <= sq_s;
                    a_q <= sq_q;
                    a_st <= A_MU;
                end
                A_MU: if (CPO2 != 0) begin
                    a_mu <= s_shr[WI-1:0];
                    a_st <= A_T;
                end else begin
                    a_st <= A_MUW;
                end
                A_MUW: if (mu_done) begin
                    a_mu <= {~mu_quo[WI-1], mu_quo[WI-2:0]};  // quotient - 2**(WI-1)
                    a_st <= A_T;
                end
                A_T: begin
                    a_t <= (s_t <<< 1) - CT * mu_t;
                    a_st <= A_P;
                end
                A_P: begin
                    a_p <= a_mu * a_t;
                    a_st <= A_V;
                end
                A_V: begin
                    a_v <= v_w[WV-1:0];
                    a_st <= A_VAR;
                end
                A_VAR: if (CPO2 != 0) begin
                    a_var <= v_div_c[2*M-1:0];
                    a_st <= A_OUT;
                end else begin
                    a_st <= A_VARW;
                end
                A_VARW: if (var_done) begin
                    a_var <= var_quo;
                    a_st <= A_OUT;
                end
                A_OUT: if (!ab_valid) begin
                    ab_mu <= a_mu;
                    ab_var <= a_var;
                    ab_valid <= 1'b1;
                    a_st <= A_IDLE;
                end
                default: a_st <= A_IDLE;
            endcase
        end
    end

    // ------------------------------------------------------------------ unit B: sigma = isqrt(var)
    localparam logic [1:0] B_IDLE = 2'd0, B_RUN = 2'd1, B_OUT = 2'd2;
    logic [1:0] b_st;
    logic signed [WI-1:0] b_mu;
    logic [M-1:0] root;
    logic root_done;
    logic bc_valid;
    logic signed [WI-1:0] bc_mu;
    logic [M-1:0] bc_sigma;
    wire bc_take;
    assign ab_take = (b_st == B_IDLE) && ab_valid;

    layernorm_isqrt #(.M(M)) u_sqrt (
        .clk(ap_clk), .rst_n(ap_rst_n), .start(ab_take), .num(ab_var), .done(root_done), .root(root)
    );

    always_ff @(posedge ap_clk) begin
        if (!ap_rst_n) begin
            b_st <= B_IDLE;
            bc_valid <= 1'b0;
        end else begin
            if (bc_take) bc_valid <= 1'b0;
            case (b_st)
                B_IDLE: if (ab_valid) begin
                    b_mu <= ab_mu;
                    b_st <= B_RUN;
                end
                B_RUN: if (root_done) b_st <= B_OUT;
                B_OUT: if (!bc_valid) begin
                    bc_mu <= b_mu;
                    bc_sigma <= root;
                    bc_valid <= 1'b1;
                    b_st <= B_IDLE;
                end
                default: b_st <= B_IDLE;
            endcase
        end
    end

    // ------------------------------------------------------------------ unit C: R = 2**K / sigma
    localparam logic [1:0] C_IDLE = 2'd0, C_RUN = 2'd1, C_OUT = 2'd2;
    logic [1:0] c_st;
    logic signed [WI-1:0] c_mu;
    logic c_zero;                         // sigma == 0: R = 0
    logic [K:0] rc_quo;
    logic rc_done;
    logic res_valid;                      // a row's (mu, R) wait for the output side
    logic signed [WI-1:0] res_mu;
    logic [K:0] res_r;
    wire res_take;
    assign bc_take = (c_st == C_IDLE) && bc_valid;

    layernorm_div #(.WN(K + 1), .WD(M), .WQ(K + 1)) u_recip (
        .clk(ap_clk), .rst_n(ap_rst_n), .start(bc_take), .num((K + 1)'(1) << K), .den(bc_sigma),
        .done(rc_done), .quo(rc_quo)
    );

    always_ff @(posedge ap_clk) begin
        if (!ap_rst_n) begin
            c_st <= C_IDLE;
            res_valid <= 1'b0;
        end else begin
            if (res_take) res_valid <= 1'b0;
            case (c_st)
                C_IDLE: if (bc_valid) begin
                    c_mu <= bc_mu;
                    c_zero <= bc_sigma == '0;
                    c_st <= (bc_sigma == '0) ? C_OUT : C_RUN;
                end
                C_RUN: if (rc_done) c_st <= C_OUT;
                C_OUT: if (!res_valid) begin
                    res_mu <= c_mu;
                    res_r <= c_zero ? '0 : rc_quo;
                    res_valid <= 1'b1;
                    c_st <= C_IDLE;
                end
                default: c_st <= C_IDLE;
            endcase
        end
    end

    // ------------------------------------------------------------------ output: normalise P per cycle
    // five stages (FIFO read, d, d*R, n*gamma, +beta and saturate); a stage takes a new beat
    // when it is empty or its content moves on
    logic cur_valid;
    logic signed [WI-1:0] cur_mu;
    logic [K:0] cur_r;
    logic [BW-1:0] obeat;
    logic [4:0] ov;
    wire en4 = !ov[4] || m_axis_tready;
    wire en3 = !ov[3] || en4;
    wire en2 = !ov[2] || en3;
    wire en1 = !ov[1] || en2;
    wire en0 = !ov[0] || en1;
    assign issue = cur_valid && en0;
    wire last_issue = issue && (obeat == BW'(CB - 1));
    assign res_take = res_valid && (!cur_valid || last_issue);
    assign m_axis_tvalid = ov[4];

    logic [P*WI-1:0] xr;
    logic signed [WI-1:0] mu0;
    logic [K:0] r0, r1;
    logic [BW-1:0] beat0, beat1;

    always_ff @(posedge ap_clk) begin
        if (en0) begin
            xr <= xmem[rd_ptr];
            mu0 <= cur_mu;
            r0 <= cur_r;
            beat0 <= obeat;
        end
        if (en1) begin
            r1 <= r0;
            beat1 <= beat0;
        end
        if (res_take) begin
            cur_mu <= res_mu;
            cur_r <= res_r;
        end
        if (!ap_rst_n) begin
            rd_ptr <= '0;
            cur_valid <= 1'b0;
            obeat <= '0;
            ov <= '0;
        end else begin
            if (issue) begin
                rd_ptr <= (rd_ptr == AW'(DEPTH - 1)) ? '0 : rd_ptr + 1'b1;
                obeat <= last_issue ? '0 : obeat + 1'b1;
            end
            if (res_take) cur_valid <= 1'b1;
            else if (last_issue) cur_valid <= 1'b0;
            if (en0) ov[0] <= issue;
            if (en1) ov[1] <= ov[0];
            if (en2) ov[2] <= ov[1];
            if (en3) ov[3] <= ov[2];
            if (en4) ov[4] <= ov[3];
        end
    end

    // per-channel gamma and beta (ROMs, one read port per lane)
    logic [WG-1:0] gmem [0:C-1];
    logic [WB-1:0] bmem [0:C-1];
    if (AFFINE != 0) begin : g_init
        initial begin
            $readmemh(GAMMA_FILE, gmem);
            $readmemh(BETA_FILE, bmem);
        end
    end

    localparam logic signed [WZ-1:0] YMAX = {{(WZ - WO + 1){1'b0}}, {(WO - 1){1'b1}}};
    localparam logic signed [WZ-1:0] YMIN = {{(WZ - WO + 1){1'b1}}, {(WO - 1){1'b0}}};

    for (genvar k = 0; k < P; k++) begin : g_lane
        wire signed [WI-1:0] x = xr[k*WI +: WI];
        logic signed [WD-1:0] d1;
        logic signed [WPR-1:0] prod2;
        logic signed [WG-1:0] g2;
        logic signed [WB-1:0] b2, b3;
        logic signed [WZ-1:0] m3;
        logic signed [WO-1:0] y4;
        wire signed [WR-1:0] r_s = {1'b0, r1};
        wire signed [WPR-1:0] n_full = prod2 >>> SH;
        wire signed [WN-1:0] n = n_full[WN-1:0];
        wire signed [WZ-1:0] z = (AFFINE != 0) ? (m3 >>> FG) + b3 : m3;
        always_ff @(posedge ap_clk) begin
            if (en1) d1 <= x - mu0;
            if (en2) begin
                prod2 <= d1 * r_s;
                if (AFFINE != 0) begin
                    g2 <= gmem[beat1 * P + k];
                    b2 <= bmem[beat1 * P + k];
                end
            end
            if (en3) begin
                m3 <= (AFFINE != 0) ? n * g2 : n;
                b3 <= b2;
            end
            if (en4) y4 <= (z > YMAX) ? YMAX[WO-1:0] : (z < YMIN) ? YMIN[WO-1:0] : z[WO-1:0];
        end
        assign m_axis_tdata[k*WO +: WO] = y4;
    end
endmodule

// Sequential unsigned division quo = floor(num / den), one quotient bit per cycle: start loads,
// done pulses WQ + 1 cycles later and quo holds until the next start. Needs num < den * 2**WQ
// (the quotient fits WQ bits), so the remainder starts as num >> WQ (< den).
module layernorm_div #(
    parameter int WN = 8,  // numerator bits
    parameter int WD = 8,  // denominator bits
    parameter int WQ = 8   // quotient bits (>= 2)
) (
    input  logic          clk,
    input  logic          rst_n,
    input  logic          start,
    input  logic [WN-1:0] num,
    input  logic [WD-1:0] den,
    output logic          done,
    output logic [WQ-1:0] quo
);
    localparam int CW = $clog2(WQ + 1);
    logic [WD-1:0] rem, dr;
    logic [WQ-1:0] nq;  // numerator bits still to bring down, then quotient bits
    logic [CW-1:0] cnt;
    logic busy;
    logic [WD-1:0] hi;
    if (WN > WQ) begin : g_hi
        assign hi = WD'(num[WN-1:WQ]);
    end else begin : g_no_hi
        assign hi = '0;
    end
    wire [WD:0] r2 = {rem, nq[WQ-1]};
    wire ge = r2 >= {1'b0, dr};
    wire [WD:0] diff = r2 - {1'b0, dr};
    always_ff @(posedge clk) begin
        done <= 1'b0;
        if (!rst_n) begin
            busy <= 1'b0;
        end else if (start) begin
            rem <= hi;
            nq <= WQ'(num);
            dr <= den;
            cnt <= CW'(WQ);
            busy <= 1'b1;
        end else if (busy) begin
            rem <= ge ? diff[WD-1:0] : r2[WD-1:0];
            nq <= {nq[WQ-2:0], ge};
            cnt <= cnt - 1'b1;
            if (cnt == CW'(1)) begin
                busy <= 1'b0;
                done <= 1'b1;
            end
        end
    end
    assign quo = nq;
endmodule

// Sequential exact integer square root root = floor(sqrt(num)), one root bit per cycle (digit by
// digit, as reference.isqrt): start loads, done pulses M + 1 cycles later, root holds until the
// next start.
module layernorm_isqrt #(
    parameter int M = 8  // root bits (>= 2); num has 2*M bits
) (
    input  logic           clk,
    input  logic           rst_n,
    input  logic           start,
    input  logic [2*M-1:0] num,
    output logic           done,
    output logic [M-1:0]   root
);
    localparam int CW = $clog2(M + 1);
    logic [2*M-1:0] n;
    logic [M:0] rem;  // num's leading digits - root**2 <= 2 root
    logic [M-1:0] q;
    logic [CW-1:0] cnt;
    logic busy;
    wire [M+2:0] r4 = {rem, n[2*M-1 -: 2]};
    wire [M+2:0] trial = {1'b0, q, 2'b01};
    wire ge = r4 >= trial;
    wire [M+2:0] diff = r4 - trial;
    always_ff @(posedge clk) begin
        done <= 1'b0;
        if (!rst_n) begin
            busy <= 1'b0;
        end else if (start) begin
            n <= num;
            rem <= '0;
            q <= '0;
            cnt <= CW'(M);
            busy <= 1'b1;
        end else if (busy) begin
            rem <= ge ? diff[M:0] : r4[M:0];
            q <= {q[M-2:0], ge};
            n <= n << 2;
            cnt <= cnt - 1'b1;
            if (cnt == CW'(1)) begin
                busy <= 1'b0;
                done <= 1'b1;
            end
        end
    end
    assign root = q;
endmodule
