"""ActMatMul: activation x activation product (``hls/stream_matmul``) as a finn-plus HW layer, and
its RTL backend: ``Q . K^T`` (``transpose_b=1``, B is ``[N, D]``) and ``A . V`` (``transpose_b=0``,
B is ``[D, N]``) per head.

Both operands stream (input 0 = A, ``[*numInputVectors, M, D]``; input 1 = B), row after row,
``PE`` elements a beat; the output ``[*numInputVectors, M, N]`` holds the exact integer sums
(Python semantics: ``hwcodesign.hls.stream_matmul.reference.stream_matmul``).
``numInputVectors`` (default ``[1]``) counts matrices per frame.
"""

from __future__ import annotations

import math

import numpy as np
from finn.custom_op.fpgadataflow.hwcustomop import HWCustomOp
from finn.custom_op.fpgadataflow.rtlbackend import RTLBackend
from qonnx.core.datatype import DataType

from hwcodesign.hls.stream_matmul import reference as ref

from .common import KernelRTLBackend, checked, execute_rtl_or_python, kernel_width, pad_to, scaled_estimate

__all__ = ["ActMatMul", "ActMatMul_rtl"]


class ActMatMul(HWCustomOp):
    """Exact integer product of two streamed activation matrices (hls/stream_matmul)."""

    def get_nodeattr_types(self):
        attrs = super().get_nodeattr_types()
        attrs.update(
            {
                "M": ("i", True, 0),
                "D": ("i", True, 0),
                "N": ("i", True, 0),
                "PE": ("i", False, 1),
                "transpose_b": ("i", False, 1, {0, 1}),
                "numInputVectors": ("ints", False, [1]),
                "ADataType": ("s", True, ""),
                "BDataType": ("s", True, ""),
                "outputDataType": ("s", True, ""),
            }
        )
        return attrs

    def _mdn(self) -> tuple[int, int, int]:
        return self.get_nodeattr("M"), self.get_nodeattr("D"), self.get_nodeattr("N")

    def get_input_datatype(self, ind=0):
        return DataType[self.get_nodeattr("BDataType" if ind == 1 else "ADataType")]

    def get_output_datatype(self, ind=0):
        return DataType[self.get_nodeattr("outputDataType")]

    def get_normal_input_shape(self, ind=0):
        m, d, n = self._mdn()
        vecs = self.get_nodeattr("numInputVectors")
        if ind == 0:
            return (*vecs, m, d)
        return (*vecs, n, d) if self.get_nodeattr("transpose_b") else (*vecs, d, n)

    def get_normal_output_shape(self, ind=0):
        m, _, n = self._mdn()
        return (*self.get_nodeattr("numInputVectors"), m, n)

    def _fold(self, shape) -> tuple[int, ...]:
        pe = self.get_nodeattr("PE")
        return (*shape[:-1], shape[-1] // pe, pe)

    def get_folded_input_shape(self, ind=0):
        return self._fold(self.get_normal_input_shape(ind))

    def get_folded_output_shape(self, ind=0):
        return self._fold(self.get_normal_output_shape())

    def get_instream_width(self, ind=0):
        return self.get_input_datatype(ind).bitwidth() * self.get_nodeattr("PE")

    def get_outstream_width(self, ind=0):
        return self.get_output_datatype().bitwidth() * self.get_nodeattr("PE")

    def infer_node_datatype(self, model):
        n = self.onnx_node
        self.set_nodeattr("ADataType", model.get_tensor_datatype(n.input[0]).name)
        self.set_nodeattr("BDataType", model.get_tensor_datatype(n.input[1]).name)
        model.set_tensor_datatype(n.output[0], self.get_output_datatype())

    def kernel_params(self) -> dict[str, int]:
        """The kernel's parameters: A signed or not as its type, B signed (one bit more if
        unsigned), WO the output type's width."""
        m, d, n = self._mdn()
        adt = self.get_input_datatype(0)
        wb, _ = kernel_width(self.get_input_datatype(1))
        return {
            "WA": adt.bitwidth(),
            "WB": wb,
            "WO": self.get_output_datatype().bitwidth(),
            "P": self.get_nodeattr("PE"),
            "M": m,
            "D": d,
            "N": n,
            "TRANSPOSE_B": self.get_nodeattr("transpose_b"),
            "A_SIGNED": int(adt.signed()),
        }

    def verify_node(self):
        p = self.kernel_params()
        need = ref.output_width(p["WA"], p["WB"], p["D"])
        if not self.get_output_datatype().signed() or p["WO"] < need:
            return [f"{self.onnx_node.name}: ActMatMul's output type needs >= {need} signed bits"]
        return []

    def execute_node(self, context, graph):
        n = self.onnx_node
        a = context[n.input[0]].reshape(self.get_normal_input_shape(0))
        b = context[n.input[1]].reshape(self.get_normal_input_shape(1))
        c = ref.stream_matmul(a, b, transpose_b=bool(self.get_nodeattr("transpose_b")))
        context[n.output[0]] = c.astype(np.float32)

    def get_exp_cycles(self):  # README "Timing": M*N*D/P cycles per matrix
        m, d, n = self._mdn()
        return int(np.prod(self.get_nodeattr("numInputVectors"))) * m * n * d // self.get_nodeattr("PE")

    def lut_estimation(self, fpgapart=None):
        p = self.kernel_params()
        return scaled_estimate(253, 327, p["P"], (p["WA"] + p["WB"]) / 16 * p["WO"] / 20)

    def dsp_estimation(self, fpgapart=None):
        return self.get_nodeattr("PE")  # one (WA+1) x WB multiplier a lane

    def bram_estimation(self, fpgapart=None):
        p = self.kernel_params()  # the double-buffered B, split into P memories
        lane_bits = 2 * p["N"] * p["D"] * p["WB"] // p["P"]
        return p["P"] * math.ceil(lane_bits / 18432) if lane_bits > 2048 else 0


class ActMatMul_rtl(ActMatMul, KernelRTLBackend):  # noqa: N801 - finn-plus' naming
    """ActMatMul as hls/stream_matmul/stream_matmul.sv behind a finn-plus wrapper."""

    kernel_sources = ("stream_matmul/stream_matmul.sv",)
    template = "stream_matmul_wrapper.v"

    def get_nodeattr_types(self):
        attrs = ActMatMul.get_nodeattr_types(self)
        attrs.update(RTLBackend.get_nodeattr_types(self))
        return attrs

    def execute_node(self, context, graph):
        execute_rtl_or_python(self, ActMatMul.execute_node, context, graph)

    def hdl_values(self, model):
        p = self.kernel_params()
        checked(self, ref.check_params, p["WA"], p["WB"], p["WO"], p["P"], p["M"], p["D"], p["N"])
        return {
            **p,
            "WBF": self.get_input_datatype(1).bitwidth(),
            "B_SIGNED": int(self.get_input_datatype(1).signed()),
            "IN0_BITS": self.get_instream_width_padded(0),
            "IN1_BITS": self.get_instream_width_padded(1),
            "OUT_BITS": self.get_outstream_width_padded(),
            "OUT_DATA": pad_to("c", p["P"] * p["WO"], self.get_outstream_width_padded()),
        }
