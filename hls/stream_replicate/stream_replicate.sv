// stream_replicate: one AXI-Stream into K identical streams (K = 2..4), each with its own
// handshake (a residual branch, Q/K/V from one token stream, ...). Beats of P elements of W bits
// pass unchanged. Each output has a two-register skid buffer: an input beat is taken when every
// used output has room for it (all skid registers empty), then held by each output until that
// output takes it, so outputs stall independently without losing or duplicating beats; an output
// can run up to two beats ahead of the slowest one. tdata/tvalid and s_axis_tready come from
// flops. Latency 1 cycle, 1 beat per cycle. Conventions: hls/README.md.
// Reference: hls/stream_replicate/reference.py.
module stream_replicate #(
    parameter int W = 8,  // element width (bits)
    parameter int P = 1,  // elements per beat
    parameter int K = 2   // outputs used (2..4); ports m_axis_<k> for k >= K are idle
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
    if (W < 1 || P < 1) begin : g_bad_width
        $error("stream_replicate: W and P must be >= 1");
    end
    if (K < 2 || K > 4) begin : g_bad_k
        $error("stream_replicate: K must be 2, 3 or 4");
    end

    logic [3:0] room;  // output k can take a beat (idle outputs always can)
    logic [P*W-1:0] out_data [4];
    /* verilator lint_off UNUSEDSIGNAL */  // bits of idle outputs
    logic [3:0] out_valid, out_ready;
    /* verilator lint_on UNUSEDSIGNAL */

    assign s_axis_tready = &room;
    wire take = s_axis_tvalid && s_axis_tready;

    for (genvar k = 0; k < 4; k++) begin : g_out
        if (k < K) begin : g_used
            stream_replicate_skid #(.DW(P * W)) u_skid (
                .clk(ap_clk), .rst_n(ap_rst_n),
                .in_data(s_axis_tdata), .in_valid(take), .in_ready(room[k]),
                .out_data(out_data[k]), .out_valid(out_valid[k]), .out_ready(out_ready[k])
            );
        end else begin : g_idle
            assign room[k]      = 1'b1;
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
module stream_replicate_skid #(
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
