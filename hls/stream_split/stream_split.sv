// stream_split: one token stream of rows of C = C0+..+C{K-1} channels into K streams of channel
// slices (output k carries channels [C0+..+C{k-1}, +Ck) of every row), e.g. Q/K/V or heads.
// P elements of W bits per beat; every slice is a whole number of beats, so each input beat goes
// to exactly one output. Rows are counted, not framed: any number of rows passes.
// Each output has a two-register skid buffer: tdata/tvalid come from flops, s_axis_tready
// depends on flops only, outputs may stall independently (the input waits for the output it
// feeds). Latency 1 cycle, 1 beat per cycle. Conventions: hls/README.md.
// Reference: hls/stream_split/reference.py.
module stream_split #(
    parameter int W = 8,   // element width (bits)
    parameter int P = 1,   // elements per beat
    parameter int K = 2,   // outputs used (2..4); ports m_axis_<k> for k >= K are idle
    parameter int C0 = 16, // channels of slice 0 (multiple of P)
    parameter int C1 = 16,
    parameter int C2 = 0,  // 0 when K < 3
    parameter int C3 = 0   // 0 when K < 4
) (
    input  logic           ap_clk,
    input  logic           ap_rst_n,
    input  logic [P*W-1:0] s_axis_tdata,
    input  logic           s_axis_tvalid,
    output logic           s_axis_tready,
    output logic [P*W-1:0] m_axis_0_tdata,
    output logic           m_axis_0_tvalid,
    input  logic           m_axis_0_tready,
    output logic [P*W-1:0] m_axis_1_tdata,
    output logic           m_axis_1_tvalid,
    input  logic           m_axis_1_tready,
    output logic [P*W-1:0] m_axis_2_tdata,
    output logic           m_axis_2_tvalid,
    input  logic           m_axis_2_tready,
    output logic [P*W-1:0] m_axis_3_tdata,
    output logic           m_axis_3_tvalid,
    input  logic           m_axis_3_tready
);
    localparam int B0 = C0 / P, B1 = C1 / P, B2 = C2 / P, B3 = C3 / P;  // beats per slice
    localparam int BMAX = (B0 > B1 ? B0 : B1) > (B2 > B3 ? B2 : B3) ? (B0 > B1 ? B0 : B1) : (B2 > B3 ? B2 : B3);
    localparam int BW = $clog2(BMAX + 1);

    if (W < 1 || P < 1) begin : g_bad_width
        $error("stream_split: W and P must be >= 1");
    end
    if (K < 2 || K > 4) begin : g_bad_k
        $error("stream_split: K must be 2, 3 or 4");
    end
    if (C0 % P != 0 || C1 % P != 0 || C2 % P != 0 || C3 % P != 0) begin : g_bad_p
        $error("stream_split: every slice size Ck must be a multiple of P");
    end
    if (C0 < 1 || C1 < 1 || (K > 2 && C2 < 1) || (K > 3 && C3 < 1)) begin : g_bad_used
        $error("stream_split: slices 0..K-1 need Ck >= 1");
    end
    if ((K < 3 && C2 != 0) || (K < 4 && C3 != 0)) begin : g_bad_unused
        $error("stream_split: slices k >= K must have Ck = 0");
    end

    logic [1:0] sel;      // output taking the current beat
    logic [BW-1:0] beat;  // beat within the current slice
    logic [BW-1:0] last_beat;
    always_comb begin
        case (sel)
            2'd0: last_beat = BW'(B0 - 1);
            2'd1: last_beat = BW'(B1 - 1);
            2'd2: last_beat = BW'(B2 - 1);
            default: last_beat = BW'(B3 - 1);
        endcase
    end

    /* verilator lint_off UNUSEDSIGNAL */  // bits of idle outputs
    logic [3:0] in_ready, in_valid;
    logic [P*W-1:0] out_data [4];
    logic [3:0] out_valid, out_ready;
    /* verilator lint_on UNUSEDSIGNAL */

    assign s_axis_tready = in_ready[sel];
    wire take = s_axis_tvalid && s_axis_tready;

    always_ff @(posedge ap_clk) begin
        if (!ap_rst_n) begin
            sel  <= '0;
            beat <= '0;
        end else if (take) begin
            if (beat == last_beat) begin
                beat <= '0;
                sel  <= (sel == 2'(K - 1)) ? '0 : sel + 2'd1;
            end else begin
                beat <= beat + 1'b1;
            end
        end
    end

    for (genvar k = 0; k < 4; k++) begin : g_out
        if (k < K) begin : g_used
            assign in_valid[k] = s_axis_tvalid && sel == 2'(k);
            stream_split_skid #(.DW(P * W)) u_skid (
                .clk(ap_clk), .rst_n(ap_rst_n),
                .in_data(s_axis_tdata), .in_valid(in_valid[k]), .in_ready(in_ready[k]),
                .out_data(out_data[k]), .out_valid(out_valid[k]), .out_ready(out_ready[k])
            );
        end else begin : g_idle
            assign in_valid[k]  = 1'b0;
            assign in_ready[k]  = 1'b0;
            assign out_data[k]  = '0;
            assign out_valid[k] = 1'b0;
        end
    end

    assign out_ready = {m_axis_3_tready, m_axis_2_tready, m_axis_1_tready, m_axis_0_tready};
    assign m_axis_0_tdata = out_data[0];
    assign m_axis_1_tdata = out_data[1];
    assign m_axis_2_tdata = out_data[2];
    assign m_axis_3_tdata = out_data[3];
    assign {m_axis_3_tvalid, m_axis_2_tvalid, m_axis_1_tvalid, m_axis_0_tvalid} = out_valid;
endmodule

// A register slice with a skid register: out_data/out_valid and in_ready come from flops; one
// beat per cycle; holds up to two beats while out_ready is low.
module stream_split_skid #(
    parameter int DW = 8
) (
    input  logic          clk,
    input  logic          rst_n,
    input  logic [DW-1:0] in_data,
    input  logic          in_valid,
    output logic          in_ready,
    output logic [DW-1:0] out_data,
    output logic          out_valid,
    input  logic          out_ready
);
    logic [DW-1:0] skid_data;
    logic skid_valid;
    assign in_ready = !skid_valid;
    wire push = in_valid && in_ready;
    wire load = !out_valid || out_ready;  // the output register is free at this edge

    always_ff @(posedge clk) begin
        if (!rst_n) begin
            out_valid  <= 1'b0;
            skid_valid <= 1'b0;
        end else if (load) begin
            out_valid  <= skid_valid || push;
            skid_valid <= 1'b0;
        end else if (push) begin
            skid_valid <= 1'b1;
        end
    end
    always_ff @(posedge clk) begin
        if (load) out_data <= skid_valid ? skid_data : in_data;
        if (!load && push) skid_data <= in_data;
    end
endmodule
