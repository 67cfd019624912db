"""IntShiftmax: I-ViT's integer softmax (``hls/shiftmax``) over rows of ``NumChannels`` (= N)
as a finn-plus HW layer, and its RTL backend.

Input: signed integers with ``in_frac_bits`` (FI) fraction bits (an unsigned type gets one bit
more); output ``UINT<WO>`` from ``outputDataType``, ``y / 2**WO`` in [0, 1); ``extra_bits``
(EB) extra fraction bits of the exponential. Python semantics:
``hwcodesign.hls.shiftmax.reference.shiftmax``.
"""

from __future__ import annotations

from hwcodesign.hls.shiftmax import reference as ref

from .common import checked, kernel_width, scaled_estimate
from .unary import StreamOp, StreamOpRTL

__all__ = ["IntShiftmax", "IntShiftmax_rtl"]


class IntShiftmax(StreamOp):
    """Integer softmax of every row (hls/shiftmax)."""

    op_attrs = {"in_frac_bits": ("i", True, 0), "extra_bits": ("i", False, 4)}

    def kernel_params(self):
        wi, _ = kernel_width(self.get_input_datatype())
        return {
            "N": self.get_nodeattr("NumChannels"),
            "P": self.get_nodeattr("PE"),
            "WI": wi,
            "FI": self.get_nodeattr("in_frac_bits"),
            "WO": self.get_output_datatype().bitwidth(),
            "EB": self.get_nodeattr("extra_bits"),
        }

    def compute(self, x):
        p = self.kernel_params()
        return ref.shiftmax(x, p["FI"], p["WO"], p["EB"], p["WI"])

    def verify_node(self):
        msgs = super().verify_node()
        if self.get_output_datatype().signed():
            msgs.append(f"{self.onnx_node.name}: IntShiftmax's output is an unsigned type UINT<WO>")
        return msgs

    def get_exp_cycles(self):  # README: max(N/P, WO + L + 2) cycles per row
        p = self.kernel_params()
        per_row = max(p["N"] // p["P"], p["WO"] + ref.row_bits(p["N"]) + 2)
        return self.beats() // (p["N"] // p["P"]) * per_row

    def lut_estimation(self, fpgapart=None):  # README: N = 64, WI = WO = 8; LUTRAM buffers extra
        p = self.kernel_params()
        return scaled_estimate(283, 455, p["P"], (p["WI"] + p["WO"]) / 16)

    def dsp_estimation(self, fpgapart=None):
        return self.get_nodeattr("PE")  # e * R, one a lane


class IntShiftmax_rtl(IntShiftmax, StreamOpRTL):  # noqa: N801 - finn-plus' naming
    """IntShiftmax as hls/shiftmax/shiftmax.sv (+ shift_exp.sv) behind a finn-plus wrapper."""

    kernel_sources = ("shiftmax/shiftmax.sv", "shiftmax/shift_exp.sv")
    core = "shiftmax"

    def check(self):
        checked(self, ref.check_params, **self.kernel_params())
