// stream_concat: K token streams of channel slices (rows of C0, .., C{K-1} channels) into one
// stream of rows of C = C0+..+C{K-1} channels: row t of the output is row t of input 0, then row
// t of input 1, ... (the inverse of stream_split). P elements of W bits per beat; every slice is a
// whole number of beats. Rows are counted, not framed: any number of rows passes.
// Inputs are read in turn (Ck/P beats from input k, then the next input): an input waits, not
// ready, while the others' slices of the row are read. The output is a two-register skid buffer
// (tdata/tvalid from flops; every s_axis_<k>_tready depends on flops only). Latency 1 cycle,
// 1 beat per cycle. Conventions: hls/README.md. Reference: hls/stream_concat/reference.py.
module stream_concat #(
    parameter int W = 8,   // element width (bits)
    parameter int P = 1,   // elements per beat
    parameter int K = 2,   // inputs used (2..4); ports s_axis_<k> for k >= K are never ready
    parameter int C0 = 16, // channels of slice 0 (multiple of P)
    parameter int C1 = 16,
    parameter int C2 = 0,  // 0 when K < 3
    parameter int C3 = 0   // 0 when K < 4
) (
    input  logic           ap_clk,
    input  logic           ap_rst_n,
    input  logic [P*W-1:0] s_axis_0_tdata,
    input  logic           s_axis_0_tvalid,
    output logic           s_axis_0_tready,
    input  logic [P*W-1:0] s_axis_1_tdata,
    input  logic           s_axis_1_tvalid,
    output logic           s_axis_1_tready,
    input  logic [P*W-1:0] s_axis_2_tdata,
    input  logic           s_axis_2_tvalid,
    output logic           s_axis_2_tready,
    input  logic [P*W-1:0] s_axis_3_tdata,
    input  logic           s_axis_3_tvalid,
    output logic           s_axis_3_tready,
    output logic [P*W-1:0] m_axis_tdata,
    output logic           m_axis_tvalid,
    input  logic           m_axis_tready
);
    localparam int B0 = C0 / P, B1 = C1 / P, B2 = C2 / P, B3 = C3 / P;  // beats per slice
    localparam int BMAX = (B0 > B1 ? B0 : B1) > (B2 > B3 ? B2 : B3) ? (B0 > B1 ? B0 : B1) : (B2 > B3 ? B2 : B3);
    localparam int BW = $clog2(BMAX + 1);

    if (W < 1 || P < 1) begin : g_bad_width
        $error("stream_concat: W and P must be >= 1");
    end
    if (K < 2 || K > 4) begin : g_bad_k
        $error("stream_concat: K must be 2, 3 or 4");
    end
    if (C0 % P != 0 || C1 % P != 0 || C2 % P != 0 || C3 % P != 0) begin : g_bad_p
        $error("stream_concat: every slice size Ck must be a multiple of P");
    end
    if (C0 < 1 || C1 < 1 || (K > 2 && C2 < 1) || (K > 3 && C3 < 1)) begin : g_bad_used
        $error("stream_concat: slices 0..K-1 need Ck >= 1");
    end
    if ((K < 3 && C2 != 0) || (K < 4 && C3 != 0)) begin : g_bad_unused
        $error("stream_concat: slices k >= K must have Ck = 0");
    end

    logic [1:0] sel;      // input being read
    logic [BW-1:0] beat;  // beat within its slice
    logic [BW-1:0] last_beat;
    logic [P*W-1:0] in_data;
    logic in_valid, in_ready;
    always_comb begin
        case (sel)
            2'd0: begin last_beat = BW'(B0 - 1); in_data = s_axis_0_tdata; in_valid = s_axis_0_tvalid; end
            2'd1: begin last_beat = BW'(B1 - 1); in_data = s_axis_1_tdata; in_valid = s_axis_1_tvalid; end
            2'd2: begin last_beat = BW'(B2 - 1); in_data = s_axis_2_tdata; in_valid = s_axis_2_tvalid; end
            default: begin last_beat = BW'(B3 - 1); in_data = s_axis_3_tdata; in_valid = s_axis_3_tvalid; end
        endcase
    end
    assign s_axis_0_tready = in_ready && sel == 2'd0;
    assign s_axis_1_tready = in_ready && sel == 2'd1;
    assign s_axis_2_tready = in_ready && sel == 2'd2;
    assign s_axis_3_tready = in_ready && sel == 2'd3;
    wire take = in_valid && in_ready;

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

    stream_concat_skid #(.DW(P * W)) u_skid (
        .clk(ap_clk), .rst_n(ap_rst_n),
        .in_data(in_data), .in_valid(in_valid), .in_ready(in_ready),
        .out_data(m_axis_tdata), .out_valid(m_axis_tvalid), .out_ready(m_axis_tready)
    );
endmodule

// A register slice with a skid register: out_data/out_valid and in_ready come from flops; one
// beat per cycle; holds up to two beats while out_ready is low.
module stream_concat_skid #(
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
