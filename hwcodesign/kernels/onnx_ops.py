"""The kernels as ONNX custom ops of the domain ``hwcodesign.kernels.onnx_ops`` (qonnx finds an
op by importing its node's domain as a module and reading ``custom_op``).

A kernel exported from a torch model (``kernels.export.onnx_kernel``) appears as
``Mul(2**F) -> <Op> -> Mul(2**-FO)``: the node itself takes and gives **integers** (as float32
tensors, as qonnx/finn carry them), its attributes are the kernel's integer parameters, and its
semantics are the NumPy specification (``hwcodesign.hls.<kernel>.reference``). Streamlining
then cancels the ``Mul`` in front against the previous quantizer's scale when that scale is
``2**-F`` (which is what the kernels need) and moves the one behind into the next thresholds.
"""

from __future__ import annotations

import numpy as np
from onnx import helper
from qonnx.core.datatype import DataType
from qonnx.custom_op.base import CustomOp

__all__ = ["DOMAIN", "custom_op", "Shiftmax", "ILayerNorm", "ShiftGELU", "Log2Quant"]

DOMAIN = __name__  # = kernels.export.DOMAIN


class _IntegerKernel(CustomOp):
    """One input, one output of the same shape; integers in, integers out."""

    def make_shape_compatible_op(self, model):
        return helper.make_node("Identity", [self.onnx_node.input[0]], [self.onnx_node.output[0]])

    def infer_node_datatype(self, model):
        model.set_tensor_datatype(self.onnx_node.output[0], self.output_datatype())

    def output_datatype(self) -> DataType:
        raise NotImplementedError

    def compute(self, x: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def execute_node(self, context, graph):
        n = self.onnx_node
        x = np.asarray(context[n.input[0]], dtype=np.float64)
        xi = np.round(x).astype(np.int64)
        if not np.array_equal(xi, x):
            raise ValueError(
                f"{n.name} ({n.op_type}): its input is not integer (a scale Mul was left in front?)"
            )
        context[n.output[0]] = self.compute(xi).astype(np.float32)

    def verify_node(self):
        return []


class Shiftmax(_IntegerKernel):
    """I-ViT Shiftmax over the last axis (``hls/shiftmax``): unsigned ``WO``-bit outputs."""

    def get_nodeattr_types(self):
        return {
            "WI": ("i", True, 8),
            "FI": ("i", True, 0),
            "WO": ("i", True, 8),
            "EB": ("i", False, 4),
            "in_shift": ("i", False, 0),
        }

    def output_datatype(self) -> DataType:
        return DataType[f"UINT{self.get_nodeattr('WO')}"]

    def compute(self, x: np.ndarray) -> np.ndarray:
        from ..hls.shiftmax.reference import shiftmax

        a = self.get_nodeattr
        return shiftmax(x << a("in_shift"), a("FI"), a("WO"), a("EB"), a("WI"))


class ILayerNorm(_IntegerKernel):
    """I-LayerNorm over the last axis (``hls/layernorm``); gamma/beta as integer list attributes."""

    def get_nodeattr_types(self):
        return {
            "WI": ("i", True, 8),
            "WO": ("i", True, 8),
            "FO": ("i", True, 4),
            "G": ("i", False, 4),
            "K": ("i", True, 16),
            "FG": ("i", False, 6),
            "WG": ("i", False, 8),
            "WB": ("i", False, 8),
            "gamma": ("ints", False, []),
            "beta": ("ints", False, []),
        }

    def output_datatype(self) -> DataType:
        return DataType[f"INT{self.get_nodeattr('WO')}"]

    def compute(self, x: np.ndarray) -> np.ndarray:
        from ..hls.layernorm.reference import i_layernorm

        a = self.get_nodeattr
        gamma, beta = a("gamma"), a("beta")
        return i_layernorm(x, a("WI"), a("WO"), a("FO"), a("G"), a("K"), gamma or None, beta or None, a("FG"))


class ShiftGELU(_IntegerKernel):
    """I-ViT ShiftGELU (``hls/gelu``): signed ``WO``-bit outputs with ``FO`` fraction bits."""

    def get_nodeattr_types(self):
        return {
            "WI": ("i", True, 8),
            "FI": ("i", True, 0),
            "WO": ("i", True, 8),
            "FO": ("i", True, 4),
            "EB": ("i", False, 4),
            "SB": ("i", False, 8),
            "in_shift": ("i", False, 0),
        }

    def output_datatype(self) -> DataType:
        return DataType[f"INT{self.get_nodeattr('WO')}"]

    def compute(self, x: np.ndarray) -> np.ndarray:
        from ..hls.gelu.reference import shift_gelu

        a = self.get_nodeattr
        return shift_gelu(x << a("in_shift"), a("FI"), a("WO"), a("FO"), a("EB"), a("SB"), a("WI"))


class Log2Quant(_IntegerKernel):
    """log2 / log-sqrt2 codes of post-softmax values (``hls/log2quant``), dequantized to integers
    with ``frac_bits`` fraction bits (what the following A.V product multiplies)."""

    def get_nodeattr_types(self):
        return {
            "WI": ("i", True, 8),
            "WO": ("i", True, 4),
            "MODE": ("i", True, 0),
            "frac_bits": ("i", True, 8),
        }

    def output_datatype(self) -> DataType:
        return DataType[f"UINT{self.get_nodeattr('frac_bits') + 1}"]

    def compute(self, x: np.ndarray) -> np.ndarray:
        from ..hls.log2quant.reference import dequantize, log2_quant

        a = self.get_nodeattr
        return dequantize(log2_quant(x, a("WI"), a("WO"), a("MODE")), a("MODE"), a("frac_bits"))


custom_op = {"Shiftmax": Shiftmax, "ILayerNorm": ILayerNorm, "ShiftGELU": ShiftGELU, "Log2Quant": Log2Quant}
