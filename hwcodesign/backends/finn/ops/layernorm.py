"""IntLayerNorm: I-LayerNorm (``hls/layernorm``) as a finn-plus HW layer, and its RTL backend.

Rows of ``NumChannels`` signed integers, ``numInputVectors`` rows a frame (e.g. ``[1, T]``
tokens), ``PE`` channels a beat. Python semantics: ``hwcodesign.hls.layernorm.reference.
i_layernorm``; with ``affine=1`` the node's inputs 1 and 2 are the integer ``gamma`` (``FG =
gamma_frac_bits`` fraction bits) and ``beta`` (``out_frac_bits`` fraction bits) initializers,
written to ``$readmemh`` files for the kernel.
"""

from __future__ import annotations

import numpy as np
from finn.custom_op.fpgadataflow.hwcustomop import HWCustomOp
from finn.custom_op.fpgadataflow.rtlbackend import RTLBackend
from qonnx.core.datatype import DataType

from hwcodesign.hls.layernorm import reference as ref

from .common import (
    KernelRTLBackend,
    checked,
    execute_rtl_or_python,
    hex_words,
    kernel_width,
    pad_to,
    scaled_estimate,
    signed_width,
)

__all__ = ["IntLayerNorm", "IntLayerNorm_rtl"]


class IntLayerNorm(HWCustomOp):
    """Integer LayerNorm over the last axis (hls/layernorm): shapes, types, cycles, Python semantics."""

    def get_nodeattr_types(self):
        attrs = super().get_nodeattr_types()
        attrs.update(
            {
                "NumChannels": ("i", True, 0),
                "PE": ("i", False, 1),
                "numInputVectors": ("ints", False, [1]),
                "inputDataType": ("s", True, ""),
                "outputDataType": ("s", True, ""),
                "out_frac_bits": ("i", True, 0),
                "guard_bits": ("i", False, 4),
                "recip_bits": ("i", False, 0),  # 0: WI + G + FO (reference.default_recip_bits)
                "affine": ("i", False, 0, {0, 1}),
                "gamma_frac_bits": ("i", False, 6),
            }
        )
        return attrs

    # shapes and types
    def get_input_datatype(self, ind=0):
        return DataType[self.get_nodeattr("inputDataType")] if ind == 0 else DataType["INT32"]

    def get_output_datatype(self, ind=0):
        return DataType[self.get_nodeattr("outputDataType")]

    def get_normal_input_shape(self, ind=0):
        c = self.get_nodeattr("NumChannels")
        return (*self.get_nodeattr("numInputVectors"), c) if ind == 0 else (c,)

    def get_normal_output_shape(self, ind=0):
        return self.get_normal_input_shape(0)

    def get_folded_input_shape(self, ind=0):
        pe, c = self.get_nodeattr("PE"), self.get_nodeattr("NumChannels")
        return (*self.get_nodeattr("numInputVectors"), c // pe, pe) if ind == 0 else (1, c)

    def get_folded_output_shape(self, ind=0):
        return self.get_folded_input_shape(0)

    def get_instream_width(self, ind=0):
        return self.get_input_datatype().bitwidth() * self.get_nodeattr("PE") if ind == 0 else 0

    def get_outstream_width(self, ind=0):
        return self.get_output_datatype().bitwidth() * self.get_nodeattr("PE")

    def infer_node_datatype(self, model):
        self.set_nodeattr("inputDataType", model.get_tensor_datatype(self.onnx_node.input[0]).name)
        model.set_tensor_datatype(self.onnx_node.output[0], self.get_output_datatype())

    # kernel parameters
    def kernel_params(self) -> dict[str, int]:
        """C, P, WI, WO, FO, G, K of the kernel (WI: one bit more for an unsigned input)."""
        wi, _ = kernel_width(self.get_input_datatype())
        fo, g = self.get_nodeattr("out_frac_bits"), self.get_nodeattr("guard_bits")
        k = self.get_nodeattr("recip_bits") or ref.default_recip_bits(wi, g, fo)
        wo = self.get_output_datatype().bitwidth()
        c, p = self.get_nodeattr("NumChannels"), self.get_nodeattr("PE")
        return {"C": c, "P": p, "WI": wi, "WO": wo, "FO": fo, "G": g, "K": k}

    def verify_node(self):
        msgs = []
        if not self.get_input_datatype().is_integer():
            msgs.append(f"{self.onnx_node.name}: IntLayerNorm needs an integer input")
        if not self.get_output_datatype().signed() or not self.get_output_datatype().is_integer():
            msgs.append(f"{self.onnx_node.name}: IntLayerNorm's output is a signed integer type")
        n_in = 3 if self.get_nodeattr("affine") else 1
        if len(self.onnx_node.input) != n_in:
            msgs.append(f"{self.onnx_node.name}: expected {n_in} inputs (x[, gamma, beta])")
        return msgs

    def execute_node(self, context, graph):
        n = self.onnx_node
        p = self.kernel_params()
        x = context[n.input[0]].reshape(self.get_normal_input_shape())
        gamma = beta = None
        if self.get_nodeattr("affine"):
            gamma, beta = context[n.input[1]].reshape(-1), context[n.input[2]].reshape(-1)
        y = ref.i_layernorm(
            x, p["WI"], p["WO"], p["FO"], p["G"], p["K"], gamma, beta, self.get_nodeattr("gamma_frac_bits")
        )
        context[n.output[0]] = y.astype(np.float32).reshape(self.get_normal_output_shape())

    # cycles and resources (README "Timing" and "Resources"; the resources are scaled estimates)
    def cycles_per_row(self) -> int:
        p = self.kernel_params()
        c, wi, g = p["C"], p["WI"], p["G"]
        t_a = 7 if c & (c - 1) == 0 else wi + 2 * (wi + g - 1) + 9
        return max(c // p["P"], t_a, wi + g + 2, p["K"] + 4)

    def get_exp_cycles(self):
        return int(np.prod(self.get_nodeattr("numInputVectors"))) * self.cycles_per_row()

    def lut_estimation(self, fpgapart=None):
        p = self.kernel_params()
        return scaled_estimate(406, 728, p["P"], (p["WI"] + p["WO"]) / 16)

    def dsp_estimation(self, fpgapart=None):
        pe = self.get_nodeattr("PE")
        return (3 if self.get_nodeattr("affine") else 2) * pe + 1

    def bram_estimation(self, fpgapart=None):
        p = self.kernel_params()  # the row FIFO: LUTRAM when narrow, one RAMB18 from ~32 bits a beat
        return 1 if p["P"] * p["WI"] >= 32 else 0


class IntLayerNorm_rtl(IntLayerNorm, KernelRTLBackend):  # noqa: N801 - finn-plus' naming
    """IntLayerNorm as hls/layernorm/layernorm.sv behind a finn-plus wrapper."""

    kernel_sources = ("layernorm/layernorm.sv",)
    template = "layernorm_wrapper.v"

    def get_nodeattr_types(self):
        attrs = IntLayerNorm.get_nodeattr_types(self)
        attrs.update(RTLBackend.get_nodeattr_types(self))
        return attrs

    def execute_node(self, context, graph):
        execute_rtl_or_python(self, IntLayerNorm.execute_node, context, graph)

    def _affine_params(self, model) -> tuple[np.ndarray, np.ndarray, int, int]:
        n = self.onnx_node
        gamma = np.asarray(model.get_initializer(n.input[1]), dtype=np.int64).reshape(-1)
        beta = np.asarray(model.get_initializer(n.input[2]), dtype=np.int64).reshape(-1)
        return gamma, beta, signed_width(gamma), signed_width(beta)

    def hdl_values(self, model):
        p = self.kernel_params()
        affine = self.get_nodeattr("affine")
        wg, wb, fg = 8, 8, self.get_nodeattr("gamma_frac_bits")
        if affine:
            _, _, wg, wb = self._affine_params(model)
        args = (p["C"], p["P"], p["WI"], p["WO"], p["FO"], p["G"], p["K"], bool(affine), wg, fg, wb)
        checked(self, ref.check_params, *args)
        wf = self.get_input_datatype().bitwidth()
        return {
            **p,
            "WF": wf,
            "IN_SIGNED": int(self.get_input_datatype().signed()),
            "AFFINE": affine,
            "WG": wg,
            "FG": fg,
            "WB": wb,
            "GAMMA_FILE": self.memory_file_name("gamma"),
            "BETA_FILE": self.memory_file_name("beta"),
            "IN_BITS": self.get_instream_width_padded(),
            "OUT_BITS": self.get_outstream_width_padded(),
            "OUT_DATA": pad_to("y", p["P"] * p["WO"], self.get_outstream_width_padded()),
        }

    def memory_files(self, model):
        if not self.get_nodeattr("affine"):
            return {}
        gamma, beta, wg, wb = self._affine_params(model)
        return {
            self.memory_file_name("gamma"): hex_words(gamma, wg),
            self.memory_file_name("beta"): hex_words(beta, wb),
        }
