// hwcodesign finn-plus RTL layers: helpers shared by the generated wrappers.

// P elements of WF bits (finn-plus packing, element k in bits [k*WF +: WF]) widened to WK bits
// each, sign-extended (SIGNED = 1) or zero-extended: a kernel that wants signed inputs takes an
// unsigned finn-plus type with one bit more.
module hwcd_lanes #(
    parameter int P = 1,
    parameter int WF = 8,
    parameter int WK = 8,
    parameter int SIGNED = 1
) (
    input  logic [P*WF-1:0] din,
    output logic [P*WK-1:0] dout
);
    if (WK < WF || WF < 1 || P < 1) begin : g_bad
        $error("hwcd_lanes: needs WK >= WF >= 1 and P >= 1");
    end
    for (genvar k = 0; k < P; k++) begin : g_lane
        wire [WF-1:0] x = din[k*WF +: WF];
        if (WK == WF) begin : g_same
            assign dout[k*WK +: WK] = x;
        end else if (SIGNED != 0) begin : g_signed
            assign dout[k*WK +: WK] = {{(WK - WF){x[WF-1]}}, x};
        end else begin : g_unsigned
            assign dout[k*WK +: WK] = {{(WK - WF){1'b0}}, x};
        end
    end
endmodule

// A constant AXI stream: DEPTH words of WIDTH bits from INIT_FILE ($readmemh, one hex word a
// line), sent in order and again from the start, forever. The read is registered (a ROM with
// an output register, block-RAM friendly): m_tvalid rises one cycle after reset.
module hwcd_const_stream #(
    parameter int WIDTH = 8,
    parameter int DEPTH = 16,
    parameter INIT_FILE = "rom.dat"
) (
    input  logic             clk,
    input  logic             rst_n,
    output logic [WIDTH-1:0] m_tdata,
    output logic             m_tvalid,
    input  logic             m_tready
);
    localparam int AW = DEPTH > 1 ? $clog2(DEPTH) : 1;
    logic [WIDTH-1:0] rom [0:DEPTH-1];
    initial $readmemh(INIT_FILE, rom);
    logic [AW-1:0] addr;  // the next word to read
    always_ff @(posedge clk) begin
        if (!rst_n) begin
            addr <= '0;
            m_tvalid <= 1'b0;
        end else if (!m_tvalid || m_tready) begin
            m_tdata <= rom[addr];
            m_tvalid <= 1'b1;
            addr <= (addr == AW'(DEPTH - 1)) ? '0 : addr + 1'b1;
        end
    end
endmodule
