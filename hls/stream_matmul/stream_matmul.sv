// stream_matmul: exact integer product of two activation matrices (attention's Q.K^T and A.V).
//   TRANSPOSE_B = 1: C = A . B^T, B is N x D (Q.K^T: A = Q, B = K, N = tokens, D = head size)
//   TRANSPOSE_B = 0: C = A . B,   B is D x N (A.V:   A = probabilities, B = V, D = tokens)
// A is M x D, C is M x N; every matrix streams row after row, P elements per beat.
// B arrives first, completely, on s_axis_b and is stored; then each row of A (s_axis_a) gives one
// row of C (m_axis). B is double-buffered: the next matrix's B loads while the current one is used;
// A rows are double-buffered too (the next row loads while the current one is used).
// P output elements are computed in parallel (P MACs): for each group of P output columns the row's
// D elements of A pass one per cycle, so a row takes N*D/P cycles and a matrix M*N*D/P.
// Outputs are the full-precision sums (WO >= WA + WB + clog2(D) bits, signed), no rounding.
// Pipeline: issue -> memory read -> element select -> multiply -> accumulate -> output queue.
// Conventions: hls/README.md. Reference: hls/stream_matmul/reference.py.
module stream_matmul #(
    parameter int WA = 8,           // A element width
    parameter int WB = 8,           // B element width (signed)
    parameter int D = 16,           // inner dimension (A row length)
    parameter int WO = WA + WB + $clog2(D),  // output element width (signed)
    parameter int P = 1,            // output elements per beat = MACs; divides D and N
    parameter int M = 16,           // rows of A (and of C) per matrix
    parameter int N = 16,           // row length of C
    parameter int TRANSPOSE_B = 1,  // 1: B is N x D (C = A.B^T); 0: B is D x N (C = A.B)
    parameter int A_SIGNED = 1      // 1: A is signed; 0: unsigned (softmax probabilities)
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
    localparam int DB = D / P;          // A beats per row
    localparam int NB = N / P;          // C beats per row (column groups)
    localparam int BSIZE = NB * D;      // B beats per matrix
    localparam int BDEPTH = TRANSPOSE_B != 0 ? 2 * NB * DB : 2 * BSIZE;  // words per B memory
    localparam int BHALF = BDEPTH / 2;
    localparam int BAW = $clog2(BDEPTH);
    localparam int AAW = $clog2(2 * DB) > 0 ? $clog2(2 * DB) : 1;
    localparam int PW = P > 1 ? $clog2(P) : 1;
    localparam int WP = WA + WB + 1;    // product width
    localparam int QD = 8;              // output queue depth (beats)
    localparam int QW = $clog2(QD);

    if (WA < 1 || WB < 1 || P < 1 || M < 1 || D < 1 || N < 1) begin : g_bad_size
        $error("stream_matmul: WA, WB, P, M, D, N must be >= 1");
    end
    if (D % P != 0 || N % P != 0) begin : g_bad_p
        $error("stream_matmul: P must divide D and N");
    end
    if (WO < WA + WB + $clog2(D)) begin : g_bad_wo
        $error("stream_matmul: WO must be >= WA + WB + clog2(D) (the exact sum)");
    end
    if (TRANSPOSE_B != 0 && TRANSPOSE_B != 1) begin : g_bad_tb
        $error("stream_matmul: TRANSPOSE_B must be 0 or 1");
    end
    if (A_SIGNED != 0 && A_SIGNED != 1) begin : g_bad_as
        $error("stream_matmul: A_SIGNED must be 0 or 1");
    end

    // ---------------------------------------------------------------- A rows (two buffers)
    logic [1:0] afull;
    logic awr;                            // buffer being written
    logic [$clog2(DB+1)-1:0] awc;         // beat within the row
    assign s_axis_a_tready = !afull[awr];
    wire a_wr = s_axis_a_tvalid && s_axis_a_tready;
    wire a_wr_last = a_wr && awc == ($clog2(DB+1))'(DB - 1);
    logic [P*WA-1:0] amem [2*DB];
    always_ff @(posedge ap_clk) begin
        if (!ap_rst_n) begin
            awr <= 1'b0;
            awc <= '0;
        end else if (a_wr) begin
            awc <= a_wr_last ? '0 : awc + 1'b1;
            if (a_wr_last) awr <= !awr;
        end
    end
    always_ff @(posedge ap_clk) begin
        if (a_wr) amem[awr ? AAW'(DB) + AAW'(awc) : AAW'(awc)] <= s_axis_a_tdata;
    end

    // ---------------------------------------------------------------- B matrices (two buffers)
    logic [1:0] bfull;
    logic bwr;
    logic [$clog2(BSIZE+1)-1:0] bcnt;     // beat within the matrix
    assign s_axis_b_tready = !bfull[bwr];
    wire b_wr = s_axis_b_tvalid && s_axis_b_tready;
    wire b_wr_last = b_wr && bcnt == ($clog2(BSIZE+1))'(BSIZE - 1);
    always_ff @(posedge ap_clk) begin
        if (!ap_rst_n) begin
            bwr <= 1'b0;
            bcnt <= '0;
        end else if (b_wr) begin
            bcnt <= b_wr_last ? '0 : bcnt + 1'b1;
            if (b_wr_last) bwr <= !bwr;
        end
    end

    // ---------------------------------------------------------------- issue: one A element per cycle
    logic [PW-1:0] dr;                    // d mod P
    logic [$clog2(DB+1)-1:0] dq;          // d / P
    logic [$clog2(NB+1)-1:0] g;           // column group
    logic [$clog2(M+1)-1:0] m;            // row of the matrix
    logic ard, brd;                       // buffers being read
    logic [BAW-1:0] boff;                 // B word within the buffer
    logic [QW:0] reserved;                // queue slots promised to groups in flight or beats held
    wire start = dr == '0 && dq == '0;
    wire issue = !start || (afull[ard] && bfull[brd] && reserved != (QW+1)'(QD));
    wire d_last = dr == PW'(P - 1) && dq == ($clog2(DB+1))'(DB - 1);
    wire g_last = g == ($clog2(NB+1))'(NB - 1);
    wire row_end = issue && d_last && g_last;
    wire mat_end = row_end && m == ($clog2(M+1))'(M - 1);

    always_ff @(posedge ap_clk) begin
        if (!ap_rst_n) begin
            dr <= '0;
            dq <= '0;
            g <= '0;
            m <= '0;
            ard <= 1'b0;
            brd <= 1'b0;
            boff <= '0;
        end else if (issue) begin
            if (dr != PW'(P - 1)) begin
                dr <= dr + 1'b1;
            end else begin
                dr <= '0;
                dq <= d_last ? '0 : dq + 1'b1;
            end
            if (d_last) begin
                g <= g_last ? '0 : g + 1'b1;
                if (g_last) begin
                    ard <= !ard;
                    m <= mat_end ? '0 : m + 1'b1;
                    if (mat_end) brd <= !brd;
                end
            end
            if (TRANSPOSE_B != 0) begin  // word g*DB + d/P of every memory
                if (row_end) boff <= '0;
                else if (dr == PW'(P - 1)) boff <= boff + 1'b1;
            end else begin          // word d*NB + g
                if (row_end) boff <= '0;
                else if (d_last) boff <= BAW'(g) + 1'b1;
                else boff <= boff + BAW'(NB);
            end
        end
    end

    always_ff @(posedge ap_clk) begin
        if (!ap_rst_n) begin
            afull <= '0;
            bfull <= '0;
        end else begin
            if (a_wr_last) afull[awr] <= 1'b1;
            if (row_end) afull[ard] <= 1'b0;
            if (b_wr_last) bfull[bwr] <= 1'b1;
            if (mat_end) bfull[brd] <= 1'b0;
        end
    end

    // ---------------------------------------------------------------- stage 1: memory reads
    wire [BAW-1:0] b_raddr = brd ? boff + BAW'(BHALF) : boff;
    logic [P*WA-1:0] a_word;
    logic v1, first1, last1;
    logic signed [WB-1:0] b_el [P];       // stage 2: the B elements of the P columns
    logic [PW-1:0] dr1;
    always_ff @(posedge ap_clk) begin
        a_word <= amem[ard ? AAW'(DB) + AAW'(dq) : AAW'(dq)];
        dr1 <= dr;
        first1 <= start;
        last1 <= d_last;
        if (!ap_rst_n) v1 <= 1'b0;
        else v1 <= issue;
    end

    if (TRANSPOSE_B != 0) begin : g_bt
        // Row n of B (D elements, DB beats) goes to memory n mod P, words (n/P)*DB + 0..DB-1.
        logic [PW-1:0] bnl;               // n mod P
        logic [$clog2(DB+1)-1:0] bdw;     // beat within the row
        logic [BAW-1:0] brow;             // word of the row's first beat
        always_ff @(posedge ap_clk) begin
            if (!ap_rst_n) begin
                bnl <= '0;
                bdw <= '0;
                brow <= '0;
            end else if (b_wr) begin
                if (bdw != ($clog2(DB+1))'(DB - 1)) begin
                    bdw <= bdw + 1'b1;
                end else begin
                    bdw <= '0;
                    bnl <= bnl == PW'(P - 1) ? '0 : bnl + 1'b1;
                    if (b_wr_last) brow <= bwr ? '0 : BAW'(BHALF);
                    else if (bnl == PW'(P - 1)) brow <= brow + BAW'(DB);
                end
            end
        end
        for (genvar j = 0; j < P; j++) begin : g_mem
            logic [P*WB-1:0] bmem [BDEPTH];
            always_ff @(posedge ap_clk) begin
                if (b_wr && bnl == PW'(j)) bmem[brow + BAW'(bdw)] <= s_axis_b_tdata;
            end
            logic [P*WB-1:0] b_word;
            always_ff @(posedge ap_clk) begin
                b_word <= bmem[b_raddr];
                b_el[j] <= b_word[dr1*WB +: WB];  // element d of row g*P + j
            end
        end
    end else begin : g_bn
        // Row d of B (N elements, NB beats) is words d*NB + 0..NB-1: one memory, read whole words.
        logic [P*WB-1:0] bmem [BDEPTH];
        logic [BAW-1:0] bwp;
        always_ff @(posedge ap_clk) begin
            if (!ap_rst_n) bwp <= '0;
            else if (b_wr) bwp <= (b_wr_last && bwr) ? '0 : bwp + 1'b1;
        end
        always_ff @(posedge ap_clk) begin
            if (b_wr) bmem[bwp] <= s_axis_b_tdata;
        end
        logic [P*WB-1:0] b_word;
        always_ff @(posedge ap_clk) begin
            b_word <= bmem[b_raddr];
            for (int j = 0; j < P; j++) b_el[j] <= b_word[j*WB +: WB];  // element g*P + j of row d
        end
    end

    // ---------------------------------------------------------------- stage 2: select the elements
    logic signed [WA:0] a_el;
    logic v2, first2, last2;
    always_ff @(posedge ap_clk) begin
        a_el <= {A_SIGNED != 0 && a_word[dr1*WA + WA - 1], a_word[dr1*WA +: WA]};
        first2 <= first1;
        last2 <= last1;
        if (!ap_rst_n) v2 <= 1'b0;
        else v2 <= v1;
    end

    // ---------------------------------------------------------------- stage 3: multiply
    logic signed [WP-1:0] prod [P];
    logic v3, first3, last3;
    always_ff @(posedge ap_clk) begin
        for (int j = 0; j < P; j++) prod[j] <= a_el * b_el[j];
        first3 <= first2;
        last3 <= last2;
        if (!ap_rst_n) v3 <= 1'b0;
        else v3 <= v2;
    end

    // ---------------------------------------------------------------- stage 4: accumulate
    logic signed [WO-1:0] acc [P];
    logic done4;
    always_ff @(posedge ap_clk) begin
        for (int j = 0; j < P; j++) begin
            if (v3) acc[j] <= (first3 ? WO'(0) : acc[j]) + WO'(prod[j]);
        end
        if (!ap_rst_n) done4 <= 1'b0;
        else done4 <= v3 && last3;
    end
    logic [P*WO-1:0] acc_beat;
    always_comb begin
        for (int j = 0; j < P; j++) acc_beat[j*WO +: WO] = acc[j];
    end

    // ---------------------------------------------------------------- output queue (fall-through)
    logic [P*WO-1:0] q [QD];
    logic [QW-1:0] qwr, qrd;
    logic [QW:0] qcount;
    assign m_axis_tvalid = qcount != '0;
    assign m_axis_tdata = q[qrd];
    wire pop = m_axis_tvalid && m_axis_tready;
    always_ff @(posedge ap_clk) begin
        if (!ap_rst_n) begin
            qwr <= '0;
            qrd <= '0;
            qcount <= '0;
            reserved <= '0;
        end else begin
            if (done4) qwr <= qwr + 1'b1;
            if (pop) qrd <= qrd + 1'b1;
            qcount <= qcount + (QW+1)'(done4) - (QW+1)'(pop);
            reserved <= reserved + (QW+1)'(issue && start) - (QW+1)'(pop);
        end
    end
    always_ff @(posedge ap_clk) begin
        if (done4) q[qwr] <= acc_beat;
    end
endmodule
