// stream_transpose: a T x C matrix in, row after row (P consecutive channels of one row per beat),
// its C x T transpose out, row after row (P consecutive rows of one channel per beat).
// Buffers whole matrices, ping-pong: two banks of T*C elements; matrix i+1 is written into one
// bank while matrix i is read from the other, so a stream of matrices moves at one beat per cycle
// in and out. The first beat of a matrix leaves 3 cycles after its last beat came in.
// Storage: P memories of W bits x 2*T*C/P words. Element (t, c) lies in memory (t + c) mod P at
// word t*C/P + c/P of its bank: the P elements of an input beat (one t, P consecutive c) and of an
// output beat (one c, P consecutive t) lie in P different memories, so each beat is one write or
// one read of every memory (plus a rotation of the P lanes).
// Conventions: hls/README.md. Reference: hls/stream_transpose/reference.py.
module stream_transpose #(
    parameter int W = 8,   // element width (bits)
    parameter int P = 1,   // elements per beat (divides T and C)
    parameter int T = 16,  // rows of the input matrix (tokens)
    parameter int C = 32   // columns of the input matrix (channels)
) (
    input  logic           ap_clk,
    input  logic           ap_rst_n,
    input  logic [P*W-1:0] s_axis_tdata,
    input  logic           s_axis_tvalid,
    output logic           s_axis_tready,
    output logic [P*W-1:0] m_axis_tdata,
    output logic           m_axis_tvalid,
    input  logic           m_axis_tready
);
    localparam int CB = C / P;        // input beats per row
    localparam int TB = T / P;        // output beats per row
    localparam int SIZE = T * CB;     // words per bank of one memory
    localparam int DEPTH = 2 * SIZE;  // two banks
    localparam int AW = $clog2(DEPTH);
    localparam int PW = P > 1 ? $clog2(P) : 1;
    localparam int QD = 4;            // output queue depth (beats)
    localparam int QW = $clog2(QD);

    if (W < 1 || P < 1 || T < 1 || C < 1) begin : g_bad_size
        $error("stream_transpose: W, P, T, C must be >= 1");
    end
    if (T % P != 0 || C % P != 0) begin : g_bad_p
        $error("stream_transpose: P must divide T and C");
    end

    logic [1:0] full;  // bank holds a whole matrix not yet read out

    // ---- write side: a running word pointer over both banks; rotation t mod P
    logic [AW-1:0] wptr;
    logic wbank;
    logic [$clog2(CB+1)-1:0] wc;  // beat within the row
    logic [PW-1:0] wrot;           // t mod P
    assign s_axis_tready = !full[wbank];
    wire wr = s_axis_tvalid && s_axis_tready;
    wire wr_last = wr && wptr == AW'(wbank ? DEPTH - 1 : SIZE - 1);

    always_ff @(posedge ap_clk) begin
        if (!ap_rst_n) begin
            wptr <= '0;
            wbank <= 1'b0;
            wc <= '0;
            wrot <= '0;
        end else if (wr) begin
            wptr <= wr_last && wbank ? '0 : wptr + 1'b1;
            if (wr_last) wbank <= !wbank;
            if (wc == ($clog2(CB+1))'(CB - 1)) begin
                wc <= '0;
                wrot <= (wrot == PW'(P - 1) || wr_last) ? '0 : wrot + 1'b1;
            end else begin
                wc <= wc + 1'b1;
            end
        end
    end

    // ---- read side: channel c (outer), row block tb (inner)
    logic rbank;
    logic [AW-1:0] rcbase;  // bank base + c/P
    logic [AW-1:0] rbase;   // rcbase + tb*P*CB (word of row tb*P, channel c)
    logic [PW-1:0] rrot;    // c mod P
    logic [$clog2(TB+1)-1:0] rtb;
    logic [QW:0] reserved;  // queue slots promised to reads in flight or beats held
    wire rd = full[rbank] && reserved != (QW+1)'(QD);
    wire rd_tb_last = rtb == ($clog2(TB+1))'(TB - 1);
    wire rd_c_last = rrot == PW'(P - 1);  // last channel of this c/P word column
    wire rd_last = rd && rd_tb_last && rd_c_last && rcbase == AW'(rbank ? SIZE + CB - 1 : CB - 1);

    always_ff @(posedge ap_clk) begin
        if (!ap_rst_n) begin
            rbank <= 1'b0;
            rcbase <= '0;
            rbase <= '0;
            rrot <= '0;
            rtb <= '0;
        end else if (rd) begin
            if (!rd_tb_last) begin
                rtb <= rtb + 1'b1;
                rbase <= rbase + AW'(P * CB);
            end else begin
                rtb <= '0;
                if (rd_last) begin
                    rbank <= !rbank;
                    rrot <= '0;
                    rcbase <= rbank ? '0 : AW'(SIZE);
                    rbase <= rbank ? '0 : AW'(SIZE);
                end else if (rd_c_last) begin
                    rrot <= '0;
                    rcbase <= rcbase + 1'b1;
                    rbase <= rcbase + 1'b1;
                end else begin
                    rrot <= rrot + 1'b1;
                    rbase <= rcbase;
                end
            end
        end
    end

    always_ff @(posedge ap_clk) begin
        if (!ap_rst_n) begin
            full <= '0;
        end else begin
            if (wr_last) full[wbank] <= 1'b1;
            if (rd_last) full[rbank] <= 1'b0;
        end
    end

    // ---- P memories. Write: memory b takes lane (b - t) mod P. Read: memory b holds lane
    // i = (b - c) mod P of the output beat, row tb*P + i, at word rbase + i*CB.
    logic [W-1:0] rdata [P];
    for (genvar b = 0; b < P; b++) begin : g_mem
        logic [W-1:0] mem [DEPTH];
        logic [PW-1:0] wlane, rlane;
        assign wlane = PW'(b >= wrot ? b - wrot : b + P - wrot);
        assign rlane = PW'(b >= rrot ? b - rrot : b + P - rrot);
        always_ff @(posedge ap_clk) begin
            if (wr) mem[wptr] <= s_axis_tdata[wlane*W +: W];
        end
        always_ff @(posedge ap_clk) begin
            rdata[b] <= mem[rbase + AW'(rlane * CB)];
        end
    end

    // ---- one cycle later: rotate the lanes (output lane i from memory (c + i) mod P) into the queue
    logic rvalid;
    logic [PW-1:0] rrot_d;
    always_ff @(posedge ap_clk) begin
        if (!ap_rst_n) rvalid <= 1'b0;
        else rvalid <= rd;
        rrot_d <= rrot;
    end
    logic [P*W-1:0] rbeat;
    always_comb begin
        for (int i = 0; i < P; i++) rbeat[i*W +: W] = rdata[i + rrot_d < P ? i + rrot_d : i + rrot_d - P];
    end

    // ---- output queue (first-word-fall-through); slots are reserved when a read is issued
    logic [P*W-1:0] q [QD];
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
            if (rvalid) qwr <= qwr + 1'b1;
            if (pop) qrd <= qrd + 1'b1;
            qcount <= qcount + (QW+1)'(rvalid) - (QW+1)'(pop);
            reserved <= reserved + (QW+1)'(rd) - (QW+1)'(pop);
        end
    end
    always_ff @(posedge ap_clk) begin
        if (rvalid) q[qwr] <= rbeat;
    end
endmodule
