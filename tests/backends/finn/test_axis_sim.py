"""Helpers of the AXI-stream Verilator harness."""

import numpy as np

from hwcodesign.backends.finn.axis_sim import chunks_to_words, input_ports, words_to_chunks


def test_words_round_trip_through_chunks(rng):
    for width in (8, 32, 33, 64, 100, 200):
        words = [int(v) for v in rng.integers(0, 2**62, 20)]
        words = [w & ((1 << width) - 1) for w in words] + [(1 << width) - 1]
        chunks = words_to_chunks(words, width)
        assert chunks.dtype == np.uint32 and len(chunks) == len(words) * ((width + 31) // 32)
        assert chunks_to_words(chunks, width) == words


def test_input_ports_of_a_finn_style_wrapper():
    text = """
module Thresholding_rtl_0 #(parameter N = 4)(
    (* X_INTERFACE_INFO = "xilinx.com:signal:clock:1.0 ap_clk CLK" *)
    input   ap_clk,
    input   ap_rst_n,  // active low
    input   s_axilite_AWVALID,
    output  s_axilite_AWREADY,
    input [$clog2(N)+1:0]  s_axilite_AWADDR,
    input   in0_V_TVALID,
    output  in0_V_TREADY,
    input [((PE*WI+7)/8)*8-1:0]  in0_V_TDATA,
    input   out0_V_TREADY,
    output  out0_V_TVALID
);
endmodule
"""
    assert input_ports(text, "Thresholding_rtl_0") == [
        "ap_clk",
        "ap_rst_n",
        "s_axilite_AWVALID",
        "s_axilite_AWADDR",
        "in0_V_TVALID",
        "in0_V_TDATA",
        "out0_V_TREADY",
    ]
