"""IntGELU: I-ViT's ShiftGELU (``hls/gelu``), elementwise, as a finn-plus HW layer, and its RTL
backend.

Input: signed integers with ``in_frac_bits`` (FI) fraction bits (an unsigned type gets one bit
more); output ``INT<WO>`` from ``outputDataType`` with ``out_frac_bits`` (FO); ``extra_bits``
(EB) of the exponential, ``sigmoid_bits`` (SB). Python semantics:
``hwcodesign.hls.gelu.reference.shift_gelu``.
"""

from __future__ import annotations

from hwcodesign.hls.gelu import reference as ref

from .common import checked, kernel_width, scaled_estimate
from .unary import StreamOp, StreamOpRTL

__all__ = ["IntGELU", "IntGELU_rtl"]


class IntGELU(StreamOp):
    """Integer GELU, x * sigmoid(1.702 x) with shift exponentials (hls/gelu)."""

    op_attrs = {
        "in_frac_bits": ("i", True, 0),
        "out_frac_bits": ("i", True, 0),
        "extra_bits": ("i", False, 4),
        "sigmoid_bits": ("i", False, 8),
    }

    def kernel_params(self):
        wi, _ = kernel_width(self.get_input_datatype())
        return {
            "P": self.get_nodeattr("PE"),
            "WI": wi,
            "FI": self.get_nodeattr("in_frac_bits"),
            "WO": self.get_output_datatype().bitwidth(),
            "FO": self.get_nodeattr("out_frac_bits"),
            "EB": self.get_nodeattr("extra_bits"),
            "SB": self.get_nodeattr("sigmoid_bits"),
        }

    def compute(self, x):
        p = self.kernel_params()
        return ref.shift_gelu(x, p["FI"], p["WO"], p["FO"], p["EB"], p["SB"], p["WI"])

    def verify_node(self):
        msgs = super().verify_node()
        if not self.get_output_datatype().signed():
            msgs.append(f"{self.onnx_node.name}: IntGELU's output is a signed type INT<WO>")
        return msgs

    def get_exp_cycles(self):  # README: fully pipelined, one beat a cycle
        return self.beats()

    def lut_estimation(self, fpgapart=None):  # README: WI = WO = 8, SB = 8 (the divider dominates)
        p = self.kernel_params()
        return scaled_estimate(261, 1026, p["P"], (p["SB"] + 1) / 9 * (p["FI"] + p["EB"] + 2) / 10)

    def dsp_estimation(self, fpgapart=None):
        return self.get_nodeattr("PE")  # x * sig, one a lane


class IntGELU_rtl(IntGELU, StreamOpRTL):  # noqa: N801 - finn-plus' naming
    """IntGELU as hls/gelu/gelu.sv (+ hls/shiftmax/shift_exp.sv) behind a finn-plus wrapper."""

    kernel_sources = ("gelu/gelu.sv", "shiftmax/shift_exp.sv")
    core = "gelu"

    def check(self):
        checked(self, ref.check_params, **self.kernel_params())
