// AXI4-Stream accelerator wrapper around a fully pipelined model (da4ml's <name>_wrapper:
// clk, model_inp, model_out; a new sample may enter on every clock, the result appears
// LATENCY clocks later, and the pipeline cannot stall).
//
// Samples arrive as IN_BEATS beats of BUS bits (element 0 of the sample at bit 0 of the first
// beat: the packing of hwcodesign's driver and of FINN's finnpy_to_packed_bytearray with
// reverse_inner and reverse_endian). A sample enters the pipeline only when the output FIFO
// is sure to have room for it (credits), so back-pressure on the output never loses, doubles
// or reorders a sample. TLAST on the input's last beat of a sample is carried to the last
// beat of that sample's result (end of a DMA transfer).
//
// The same file goes into the bitstream (deploy/ip) and into the virtual board's Verilator
// model, so what the driver talks to in simulation is what it talks to on the board.
`timescale 1ns / 1ps
module hwcd_axis_pipeline #(
    parameter IN_BITS = 32,      // bits of one input sample (N_in x width)
    parameter OUT_BITS = 32,     // bits of one result
    parameter BUS = 32,          // TDATA width of both streams
    parameter LATENCY = 1,       // measured latency: a sample captured at edge t is at model_out after edge t+LATENCY (>= 1)
    parameter FIFO_DEPTH = 32    // results buffered; must exceed LATENCY
) (
    input  wire           aclk,
    input  wire           aresetn,
    input  wire [BUS-1:0] s_axis_tdata,
    input  wire           s_axis_tvalid,
    output wire           s_axis_tready,
    input  wire           s_axis_tlast,
    output wire [BUS-1:0] m_axis_tdata,
    output wire           m_axis_tvalid,
    input  wire           m_axis_tready,
    output wire           m_axis_tlast
);
    localparam IN_BEATS = (IN_BITS + BUS - 1) / BUS;
    localparam OUT_BEATS = (OUT_BITS + BUS - 1) / BUS;
    localparam AW = $clog2(FIFO_DEPTH);
    localparam CW = $clog2(FIFO_DEPTH + 1);
    localparam BW = (IN_BEATS > OUT_BEATS ? IN_BEATS : OUT_BEATS) > 1 ? $clog2(IN_BEATS > OUT_BEATS ? IN_BEATS : OUT_BEATS) : 1;

    // -- input: collect the beats of one sample ------------------------------------------
    reg [IN_BEATS*BUS-1:0] sample;
    reg [BW-1:0]           in_beat;
    reg                    sample_full;
    reg                    sample_last;
    reg [CW-1:0]           credits;     // results the FIFO can still take, minus those in flight
    wire issue = sample_full && credits != 0;
    wire take = s_axis_tvalid && s_axis_tready;
    assign s_axis_tready = aresetn && (!sample_full || issue);

    always @(posedge aclk) begin
        if (!aresetn) begin
            in_beat <= 0;
            sample_full <= 1'b0;
            sample_last <= 1'b0;
        end else begin
            if (issue) sample_full <= 1'b0;
            if (take) begin
                sample[in_beat*BUS +: BUS] <= s_axis_tdata;
                if (in_beat == IN_BEATS - 1) begin
                    in_beat <= 0;
                    sample_full <= 1'b1;
                    sample_last <= s_axis_tlast;
                end else begin
                    in_beat <= in_beat + 1'b1;
                end
            end
        end
    end

    // -- the pipeline and a valid / last bit travelling beside each sample ---------------
    wire [OUT_BITS-1:0] result;
    model_wrapper pipeline (.clk(aclk), .model_inp(sample[IN_BITS-1:0]), .model_out(result));

    // bit k is set after edge t+k for a sample issued at edge t; the result is at model_out
    // after edge t+LATENCY and is written to the FIFO at the next edge
    reg [LATENCY:0] valid_sr;
    reg [LATENCY:0] last_sr;
    always @(posedge aclk) begin
        if (!aresetn) begin
            valid_sr <= 0;
            last_sr <= 0;
        end else begin
            valid_sr <= {valid_sr, issue};
            last_sr <= {last_sr, sample_last};
        end
    end
    wire result_valid = valid_sr[LATENCY];
    wire result_last = last_sr[LATENCY];

    // -- output FIFO of results and the beat serialiser ------------------------------------
    reg [OUT_BITS:0] fifo [0:FIFO_DEPTH-1];
    reg [AW-1:0] wr_ptr, rd_ptr;
    reg [CW-1:0] count;
    reg [BW-1:0] out_beat;
    wire [OUT_BITS:0] head = fifo[rd_ptr];
    wire [OUT_BEATS*BUS-1:0] head_bits = {{(OUT_BEATS*BUS-OUT_BITS){1'b0}}, head[OUT_BITS-1:0]};
    wire send = m_axis_tvalid && m_axis_tready;
    wire pop = send && out_beat == OUT_BEATS - 1;
    assign m_axis_tvalid = count != 0;
    assign m_axis_tdata = head_bits[out_beat*BUS +: BUS];
    assign m_axis_tlast = head[OUT_BITS] && out_beat == OUT_BEATS - 1;

    always @(posedge aclk) begin
        if (!aresetn) begin
            wr_ptr <= 0;
            rd_ptr <= 0;
            count <= 0;
            out_beat <= 0;
            credits <= FIFO_DEPTH;
        end else begin
            if (result_valid) begin
                fifo[wr_ptr] <= {result_last, result};
                wr_ptr <= wr_ptr + 1'b1;
            end
            if (send) out_beat <= pop ? 0 : out_beat + 1'b1;
            if (pop) rd_ptr <= rd_ptr + 1'b1;
            count <= count + result_valid - pop;
            credits <= credits - issue + pop;
        end
    end

    initial begin
        if (LATENCY < 1 || FIFO_DEPTH <= LATENCY || (FIFO_DEPTH & (FIFO_DEPTH - 1)) != 0) begin
            $display("hwcd_axis_pipeline: need LATENCY >= 1 and FIFO_DEPTH a power of two > LATENCY");
            $finish;
        end
    end
endmodule
