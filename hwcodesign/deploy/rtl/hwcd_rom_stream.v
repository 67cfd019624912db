// A constant stream: DEPTH words of WIDTH bits from INIT_FILE ($readmemh), sent in order and
// again from the start, forever (the weights of a finn-plus MVAU with decoupled memory: the
// layer consumes the whole set once per input vector). Stands in for finn-rtllib's memstream
// where no Vivado block design adds one.
`timescale 1ns / 1ps
module hwcd_rom_stream #(
    parameter WIDTH = 32,
    parameter DEPTH = 16,
    parameter INIT_FILE = "weights.mem"
) (
    input  wire             clk,
    input  wire             rst_n,
    output wire [WIDTH-1:0] m_tdata,
    output wire             m_tvalid,
    input  wire             m_tready
);
    localparam AW = DEPTH > 1 ? $clog2(DEPTH) : 1;
    reg [WIDTH-1:0] rom [0:DEPTH-1];
    initial $readmemh(INIT_FILE, rom);
    reg [AW-1:0] addr;
    assign m_tdata = rom[addr];
    assign m_tvalid = rst_n;
    always @(posedge clk) begin
        if (!rst_n) addr <= 0;
        else if (m_tready) addr <= (addr == DEPTH - 1) ? 0 : addr + 1'b1;
    end
endmodule
