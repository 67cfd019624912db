"""Base classes of the one-stream layers (Shiftmax, GELU, log2 quantizer): one input stream and
one output stream of the same shape ``[*numInputVectors, NumChannels]``, ``PE`` channels a
beat; the kernel's parameters come from the node's types and attributes."""

from __future__ import annotations

from abc import abstractmethod

import numpy as np
from finn.custom_op.fpgadataflow.hwcustomop import HWCustomOp
from finn.custom_op.fpgadataflow.rtlbackend import RTLBackend
from qonnx.core.datatype import DataType

from .common import KernelRTLBackend, execute_rtl_or_python, pad_to

__all__ = ["StreamOp", "StreamOpRTL"]


class StreamOp(HWCustomOp):
    """A layer ``y = f(x)`` on a token stream; subclasses give ``op_attrs``, ``kernel_params``
    and ``compute`` (the kernel's NumPy reference)."""

    op_attrs: dict[str, tuple] = {}

    def get_nodeattr_types(self):
        attrs = super().get_nodeattr_types()
        attrs.update(
            {
                "NumChannels": ("i", True, 0),
                "PE": ("i", False, 1),
                "numInputVectors": ("ints", False, [1]),
                "inputDataType": ("s", True, ""),
                "outputDataType": ("s", True, ""),
                **self.op_attrs,
            }
        )
        return attrs

    @abstractmethod
    def kernel_params(self) -> dict[str, int]:
        """The kernel's HDL parameters (``P``, ``WI`` and ``WO`` among them)."""

    @abstractmethod
    def compute(self, x: np.ndarray) -> np.ndarray:
        """The Python semantics: the kernel's reference on the integer tensor ``x``."""

    def get_input_datatype(self, ind=0):
        return DataType[self.get_nodeattr("inputDataType")]

    def get_output_datatype(self, ind=0):
        return DataType[self.get_nodeattr("outputDataType")]

    def get_normal_input_shape(self, ind=0):
        return (*self.get_nodeattr("numInputVectors"), self.get_nodeattr("NumChannels"))

    def get_normal_output_shape(self, ind=0):
        return self.get_normal_input_shape()

    def get_folded_input_shape(self, ind=0):
        pe = self.get_nodeattr("PE")
        return (*self.get_nodeattr("numInputVectors"), self.get_nodeattr("NumChannels") // pe, pe)

    def get_folded_output_shape(self, ind=0):
        return self.get_folded_input_shape()

    def get_instream_width(self, ind=0):
        return self.get_input_datatype().bitwidth() * self.get_nodeattr("PE")

    def get_outstream_width(self, ind=0):
        return self.get_output_datatype().bitwidth() * self.get_nodeattr("PE")

    def infer_node_datatype(self, model):
        self.set_nodeattr("inputDataType", model.get_tensor_datatype(self.onnx_node.input[0]).name)
        model.set_tensor_datatype(self.onnx_node.output[0], self.get_output_datatype())

    def verify_node(self):
        if not self.get_input_datatype().is_integer():
            return [f"{self.onnx_node.name}: {self.onnx_node.op_type} needs an integer input"]
        return []

    def _execute_node_python(self, context, graph):
        n = self.onnx_node
        x = context[n.input[0]].reshape(self.get_normal_input_shape())
        context[n.output[0]] = self.compute(x).astype(np.float32)

    def execute_node(self, context, graph):
        """Python semantics; exec_mode ``rtlsim`` on the RTL variant goes to finn-plus' xsim."""
        if isinstance(self, RTLBackend):
            execute_rtl_or_python(self, StreamOp._execute_node_python, context, graph)
        else:
            self._execute_node_python(context, graph)

    def beats(self) -> int:
        """Beats per frame."""
        return int(np.prod(self.get_folded_output_shape()[:-1]))


class StreamOpRTL(KernelRTLBackend):
    """RTL half of a StreamOp: ``templates/unary_wrapper.v`` around module ``core``; an input
    narrower than the kernel's ``WI`` is sign- or zero-extended lane by lane."""

    core: str = ""
    template = "unary_wrapper.v"

    def get_nodeattr_types(self):
        attrs = super().get_nodeattr_types()
        attrs.update(RTLBackend.get_nodeattr_types(self))
        return attrs

    @abstractmethod
    def check(self) -> None:
        """The kernel's ``check_params`` on ``kernel_params()`` (via ``common.checked``)."""

    def hdl_values(self, model):
        self.check()
        p = self.kernel_params()
        idt = self.get_input_datatype()
        out_bits = self.get_outstream_width_padded()
        return {
            "OP": self.onnx_node.op_type.removesuffix("_rtl"),
            "CORE": self.core,
            "CORE_PARAMS": ", ".join(f".{k}({v})" for k, v in p.items()),
            "P": p["P"],
            "WI": p["WI"],
            "WO": p["WO"],
            "WF": idt.bitwidth(),
            "IN_SIGNED": int(idt.signed()),
            "IN_BITS": self.get_instream_width_padded(),
            "OUT_BITS": out_bits,
            "OUT_DATA": pad_to("y", p["P"] * p["WO"], out_bits),
        }
