// Between a DMA's AXI4-Stream bus and a chain of stream layers that take and give one word per
// beat (finn-plus layers): samples of IN_WORDS words of W_IN bits arrive packed into IN_BEATS
// beats of BUS bits (unused words of a sample's last beat are padding, dropped); results of
// OUT_WORDS words of W_OUT bits leave packed the same way. The layers keep samples in order,
// one result per sample, so TLAST (the end of a DMA transfer) is carried by counting: the
// input sample that ended with TLAST is remembered, and the result with the same number
// ends with TLAST.
`timescale 1ns / 1ps
module hwcd_axis_frames #(
    parameter BUS = 32,
    parameter W_IN = 32,
    parameter IN_WORDS = 1,
    parameter W_OUT = 8,
    parameter OUT_WORDS = 1,
    parameter LAST_FIFO = 16
) (
    input  wire             aclk,
    input  wire             aresetn,
    // DMA side
    input  wire [BUS-1:0]   s_axis_tdata,
    input  wire             s_axis_tvalid,
    output wire             s_axis_tready,
    input  wire             s_axis_tlast,
    output wire [BUS-1:0]   m_axis_tdata,
    output wire             m_axis_tvalid,
    input  wire             m_axis_tready,
    output wire             m_axis_tlast,
    // layer side
    output wire [W_IN-1:0]  l_in_tdata,
    output wire             l_in_tvalid,
    input  wire             l_in_tready,
    input  wire [W_OUT-1:0] l_out_tdata,
    input  wire             l_out_tvalid,
    output wire             l_out_tready
);
    localparam IPB = BUS / W_IN;    // input words per beat
    localparam OPB = BUS / W_OUT;   // output words per beat
    localparam IN_BEATS = (IN_WORDS + IPB - 1) / IPB;
    localparam OUT_BEATS = (OUT_WORDS + OPB - 1) / OPB;

    // -- input: one beat at a time, its words in order ---------------------------------
    reg [31:0] in_word;            // word of the current sample
    reg [31:0] in_slot;            // word slot within the current beat
    reg [31:0] samples_in;
    wire beat_word_is_real = in_word < IN_WORDS;
    assign l_in_tdata = s_axis_tdata[in_slot*W_IN +: W_IN];
    assign l_in_tvalid = s_axis_tvalid && beat_word_is_real;
    wire word_done = s_axis_tvalid && (!beat_word_is_real || l_in_tready);
    wire beat_done = word_done && in_slot == IPB - 1;
    assign s_axis_tready = beat_done;
    wire sample_in_done = word_done && in_slot == IPB - 1 && in_word >= (IN_BEATS * IPB) - 1;

    // samples that ended a transfer, by number (a small FIFO)
    reg [31:0] last_q [0:LAST_FIFO-1];
    reg [$clog2(LAST_FIFO):0] lq_w, lq_r;
    wire lq_empty = lq_w == lq_r;

    always @(posedge aclk) begin
        if (!aresetn) begin
            in_word <= 0; in_slot <= 0; samples_in <= 0; lq_w <= 0;
        end else if (word_done) begin
            in_slot <= in_slot == IPB - 1 ? 0 : in_slot + 1;
            if (sample_in_done) begin
                in_word <= 0;
                samples_in <= samples_in + 1;
                if (s_axis_tlast) begin
                    last_q[lq_w[$clog2(LAST_FIFO)-1:0]] <= samples_in;
                    lq_w <= lq_w + 1'b1;
                end
            end else begin
                in_word <= in_word + 1;
            end
        end
    end

    // -- output: gather OPB words per beat ------------------------------------------------
    reg [BUS-1:0] beat;
    reg [31:0] out_word;           // word of the current result
    reg [31:0] out_slot;
    reg [31:0] samples_out;
    reg        beat_full, beat_last;
    wire out_word_is_real = out_word < OUT_WORDS;
    assign l_out_tready = out_word_is_real && !beat_full;
    wire take = (l_out_tvalid && l_out_tready) || (!out_word_is_real && !beat_full);
    wire result_done = take && out_word >= (OUT_BEATS * OPB) - 1;
    assign m_axis_tdata = beat;
    assign m_axis_tvalid = beat_full;
    assign m_axis_tlast = beat_full && beat_last;

    always @(posedge aclk) begin
        if (!aresetn) begin
            out_word <= 0; out_slot <= 0; samples_out <= 0; beat_full <= 1'b0; beat_last <= 1'b0; lq_r <= 0; beat <= 0;
        end else begin
            if (beat_full && m_axis_tready) beat_full <= 1'b0;
            if (take) begin
                beat[out_slot*W_OUT +: W_OUT] <= out_word_is_real ? l_out_tdata : {W_OUT{1'b0}};
                out_slot <= out_slot == OPB - 1 ? 0 : out_slot + 1;
                if (out_slot == OPB - 1) begin
                    beat_full <= 1'b1;
                    beat_last <= result_done && !lq_empty && last_q[lq_r[$clog2(LAST_FIFO)-1:0]] == samples_out;
                    if (result_done && !lq_empty && last_q[lq_r[$clog2(LAST_FIFO)-1:0]] == samples_out) lq_r <= lq_r + 1'b1;
                end
                if (result_done) begin
                    out_word <= 0;
                    samples_out <= samples_out + 1;
                end else begin
                    out_word <= out_word + 1;
                end
            end
        end
    end
endmodule
