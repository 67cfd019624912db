// stream_fifo: a first-word-fall-through AXI-Stream FIFO (stream plumbing).
// Holds up to DEPTH beats of P elements of W bits; data leave in order, unchanged.
// Conventions: hls/README.md. Reference: hls/stream_fifo/reference.py.
module stream_fifo #(
    parameter int W = 8,      // element width (bits)
    parameter int P = 1,      // elements per beat
    parameter int DEPTH = 16  // beats held (>= 2)
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
    localparam int AW = $clog2(DEPTH);
    logic [P*W-1:0] mem [DEPTH];
    logic [AW-1:0] wr_ptr, rd_ptr;
    logic [AW:0] count;

    wire push = s_axis_tvalid && s_axis_tready;
    wire pop  = m_axis_tvalid && m_axis_tready;

    assign s_axis_tready = count != (AW+1)'(DEPTH);
    assign m_axis_tvalid = count != '0;
    assign m_axis_tdata  = mem[rd_ptr];

    always_ff @(posedge ap_clk) begin
        if (!ap_rst_n) begin
            wr_ptr <= '0;
            rd_ptr <= '0;
            count  <= '0;
        end else begin
            if (push) begin
                mem[wr_ptr] <= s_axis_tdata;
                wr_ptr <= (wr_ptr == AW'(DEPTH - 1)) ? '0 : wr_ptr + 1'b1;
            end
            if (pop) rd_ptr <= (rd_ptr == AW'(DEPTH - 1)) ? '0 : rd_ptr + 1'b1;
            count <= count + (AW+1)'(push) - (AW+1)'(pop);
        end
    end
endmodule
