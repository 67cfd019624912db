// A first-word-fall-through AXI4-Stream FIFO between two layers of a stitched finn-plus design
// (written by hwcodesign.backends.finn.stitch): up to DEPTH beats of WIDTH bits, in order.
// A beat written at one edge can leave at the next; s_tready is low only while DEPTH beats are
// held, so a FIFO that never fills behaves the same at any depth (what FIFO sizing relies on).
//
// count is the occupancy after the last edge and max_count its maximum since reset: the gauges
// FIFO sizing reads (like finn-plus' fifo_gauge); unconnected in a bitstream, they are removed.
`timescale 1ns / 1ps
module hwcd_stream_fifo #(
    parameter WIDTH = 8,
    parameter DEPTH = 2
) (
    input  wire             clk,
    input  wire             rst_n,
    input  wire [WIDTH-1:0] s_tdata,
    input  wire             s_tvalid,
    output wire             s_tready,
    output wire [WIDTH-1:0] m_tdata,
    output wire             m_tvalid,
    input  wire             m_tready,
    output wire [31:0]      count,
    output wire [31:0]      max_count
);
    localparam AW = DEPTH > 1 ? $clog2(DEPTH) : 1;
    localparam CW = $clog2(DEPTH + 1);
    localparam [AW-1:0] LAST = DEPTH - 1;
    localparam [CW-1:0] FULL = DEPTH;
    reg [WIDTH-1:0] mem [0:DEPTH-1];
    reg [AW-1:0] wr_ptr, rd_ptr;
    reg [CW-1:0] n;
    reg [CW-1:0] peak;
    wire push = s_tvalid && s_tready;
    wire pop = m_tvalid && m_tready;
    wire [CW-1:0] n_next = n + {{(CW-1){1'b0}}, push} - {{(CW-1){1'b0}}, pop};

    assign s_tready = n != FULL;
    assign m_tvalid = n != 0;
    assign m_tdata = mem[rd_ptr];
    assign count = {{(32-CW){1'b0}}, n};
    assign max_count = {{(32-CW){1'b0}}, peak};

    always @(posedge clk) begin
        if (!rst_n) begin
            wr_ptr <= 0;
            rd_ptr <= 0;
            n <= 0;
            peak <= 0;
        end else begin
            if (push) begin
                mem[wr_ptr] <= s_tdata;
                wr_ptr <= wr_ptr == LAST ? {AW{1'b0}} : wr_ptr + 1'b1;
            end
            if (pop) rd_ptr <= rd_ptr == LAST ? {AW{1'b0}} : rd_ptr + 1'b1;
            n <= n_next;
            if (n_next > peak) peak <= n_next;
        end
    end

    initial begin
        if (DEPTH < 2) begin
            $display("hwcd_stream_fifo: DEPTH must be >= 2");
            $finish;
        end
    end
endmodule
