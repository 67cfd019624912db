"""IntLog2Quant: the log2 / log-sqrt2 quantizer of post-softmax values (``hls/log2quant``),
elementwise, as a finn-plus HW layer, and its RTL backend.

Input ``UINT<WI>`` (``y / 2**WI``, e.g. IntShiftmax's output), output ``UINT<WO>`` codes from
``outputDataType``; ``mode`` 0 = log2, 1 = log-sqrt2. Python semantics:
``hwcodesign.hls.log2quant.reference.log2_quant``.
"""

from __future__ import annotations

from hwcodesign.hls.log2quant import reference as ref

from ....errors import KernelParameterError
from .common import checked, scaled_estimate
from .unary import StreamOp, StreamOpRTL

__all__ = ["IntLog2Quant", "IntLog2Quant_rtl"]


class IntLog2Quant(StreamOp):
    """Log2 / log-sqrt2 codes of unsigned probabilities (hls/log2quant)."""

    op_attrs = {"mode": ("i", False, 0, {0, 1})}

    def kernel_params(self):
        return {
            "P": self.get_nodeattr("PE"),
            "WI": self.get_input_datatype().bitwidth(),
            "WO": self.get_output_datatype().bitwidth(),
            "MODE": self.get_nodeattr("mode"),
        }

    def compute(self, x):
        p = self.kernel_params()
        return ref.log2_quant(x, p["WI"], p["WO"], p["MODE"])

    def verify_node(self):
        msgs = super().verify_node()
        if self.get_input_datatype().signed() or self.get_output_datatype().signed():
            msgs.append(f"{self.onnx_node.name}: IntLog2Quant maps UINT<WI> to UINT<WO>")
        return msgs

    def get_exp_cycles(self):  # README: fully pipelined, one beat a cycle
        return self.beats()

    def lut_estimation(self, fpgapart=None):  # README: WI = 8, WO = 4, log-sqrt2
        p = self.kernel_params()
        return scaled_estimate(33, 135, p["P"], p["WI"] / 8)


class IntLog2Quant_rtl(IntLog2Quant, StreamOpRTL):  # noqa: N801 - finn-plus' naming
    """IntLog2Quant as hls/log2quant/log2quant.sv behind a finn-plus wrapper."""

    kernel_sources = ("log2quant/log2quant.sv",)
    core = "log2quant"

    def check(self):
        if self.get_input_datatype().signed():
            n = self.onnx_node
            raise KernelParameterError(
                ref.KERNEL,
                "WI",
                f"input type {self.get_input_datatype().name} is signed; needs UINT<WI> "
                f"(layer {n.name}, {n.op_type})",
            )
        checked(self, ref.check_params, **self.kernel_params())
