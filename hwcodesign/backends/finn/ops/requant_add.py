"""IntAdd: the requantising residual add (``hls/requant_add``) as a finn-plus HW layer, and its
RTL backend.

``y = sat_WO((lhs * MA + rhs * MB + RND) >> shift)`` elementwise (Python semantics:
``hwcodesign.hls.requant_add.reference.requant_add``). ``lhs`` streams (``[*numInputVectors,
NumChannels]``, ``PE`` channels a beat); ``rhs`` is a second stream of the same shape
(``rhs_style="input"``) or an integer initializer (``rhs_style="const"``) whose shape, leading 1s
dropped, ends the lhs shape (``[T, C]``: a position embedding, replayed every frame; ``[C]``: a
per-channel bias, replayed every row). The RTL feeds a constant rhs from a ROM, row after row.
"""

from __future__ import annotations

import math

import numpy as np
from finn.custom_op.fpgadataflow.hwcustomop import HWCustomOp
from finn.custom_op.fpgadataflow.rtlbackend import RTLBackend
from qonnx.core.datatype import DataType

from hwcodesign.hls.requant_add import reference as ref

from ....errors import KernelParameterError
from .common import (
    KernelRTLBackend,
    axis_ports,
    checked,
    execute_rtl_or_python,
    hex_words,
    kernel_width,
    pack_rows,
    pad_to,
    scaled_estimate,
)

__all__ = ["IntAdd", "IntAdd_rtl"]

ROM_BRAM_BITS = 4096  #: a constant ROM above this many bits is estimated as block RAM


class IntAdd(HWCustomOp):
    """Requantising elementwise add of two integer tensors (hls/requant_add)."""

    def get_nodeattr_types(self):
        attrs = super().get_nodeattr_types()
        attrs.update(
            {
                "NumChannels": ("i", True, 0),
                "PE": ("i", False, 1),
                "numInputVectors": ("ints", False, [1]),
                "lhsDataType": ("s", True, ""),
                "rhsDataType": ("s", True, ""),
                "outputDataType": ("s", True, ""),
                "MA": ("i", True, 1),
                "MB": ("i", True, 1),
                "shift": ("i", False, 0),
                "rhs_style": ("s", False, "input", {"input", "const"}),
                "rhs_shape": ("ints", False, []),  # shape of a constant rhs
            }
        )
        return attrs

    def const_rhs(self) -> bool:
        return self.get_nodeattr("rhs_style") == "const"

    def get_input_datatype(self, ind=0):
        return DataType[self.get_nodeattr("rhsDataType" if ind == 1 else "lhsDataType")]

    def get_output_datatype(self, ind=0):
        return DataType[self.get_nodeattr("outputDataType")]

    def get_normal_input_shape(self, ind=0):
        if ind == 1 and self.const_rhs():
            return tuple(self.get_nodeattr("rhs_shape"))
        return (*self.get_nodeattr("numInputVectors"), self.get_nodeattr("NumChannels"))

    def get_normal_output_shape(self, ind=0):
        return self.get_normal_input_shape(0)

    def get_folded_input_shape(self, ind=0):
        pe = self.get_nodeattr("PE")
        shape = self.get_normal_input_shape(ind)
        return (*shape[:-1], shape[-1] // pe, pe)

    def get_folded_output_shape(self, ind=0):
        return self.get_folded_input_shape(0)

    def get_instream_width(self, ind=0):
        if ind == 1 and self.const_rhs():
            return 0  # the rhs comes from a ROM inside the layer
        return self.get_input_datatype(ind).bitwidth() * self.get_nodeattr("PE")

    def get_outstream_width(self, ind=0):
        return self.get_output_datatype().bitwidth() * self.get_nodeattr("PE")

    def infer_node_datatype(self, model):
        n = self.onnx_node
        self.set_nodeattr("lhsDataType", model.get_tensor_datatype(n.input[0]).name)
        if not self.const_rhs():
            self.set_nodeattr("rhsDataType", model.get_tensor_datatype(n.input[1]).name)
        model.set_tensor_datatype(n.output[0], self.get_output_datatype())

    def kernel_params(self) -> dict[str, int]:
        """WA, WB, WO, MA, MB, S, P of the kernel (an unsigned operand gets one bit more)."""
        wa, _ = kernel_width(self.get_input_datatype(0))
        wb, _ = kernel_width(self.get_input_datatype(1))
        return {
            "WA": wa,
            "WB": wb,
            "WO": self.get_output_datatype().bitwidth(),
            "MA": self.get_nodeattr("MA"),
            "MB": self.get_nodeattr("MB"),
            "S": self.get_nodeattr("shift"),
            "P": self.get_nodeattr("PE"),
        }

    def rom_rows(self) -> int:
        """Rows of NumChannels in a constant rhs (the ROM repeats after them).

        Raises:
            KernelParameterError: the constant's shape does not end the lhs shape.
        """
        shape = list(self.get_nodeattr("rhs_shape"))
        while len(shape) > 1 and shape[0] == 1:
            shape.pop(0)
        lhs = list(self.get_normal_input_shape(0))
        if not shape or len(shape) > len(lhs) or lhs[len(lhs) - len(shape) :] != shape:
            n = self.onnx_node
            raise KernelParameterError(
                "requant_add",
                "rhs",
                f"constant of shape {shape} does not end the lhs shape {lhs} "
                f"(layer {n.name}, {n.op_type}); a ROM replays [..., C] rows only",
            )
        return math.prod(shape[:-1])

    def verify_node(self):
        msgs = []
        if not self.get_output_datatype().signed():
            msgs.append(f"{self.onnx_node.name}: IntAdd's output is a signed integer type")
        if len(self.onnx_node.input) != 2:
            msgs.append(f"{self.onnx_node.name}: IntAdd has two inputs (lhs, rhs)")
        return msgs

    def execute_node(self, context, graph):
        n = self.onnx_node
        a = context[n.input[0]].reshape(self.get_normal_input_shape(0))
        b = np.broadcast_to(context[n.input[1]], a.shape)
        p = self.kernel_params()
        y = ref.requant_add(a, b, p["MA"], p["MB"], p["S"], p["WO"])
        context[n.output[0]] = y.astype(np.float32)

    def get_exp_cycles(self):  # one beat a cycle (README: fully pipelined)
        return int(np.prod(self.get_folded_output_shape()[:-1]))

    def rom_bits(self) -> int:
        if not self.const_rhs():
            return 0
        return self.rom_rows() * self.get_nodeattr("NumChannels") * self.get_input_datatype(1).bitwidth()

    def lut_estimation(self, fpgapart=None):
        p = self.kernel_params()
        rom = self.rom_bits()
        rom_luts = math.ceil(rom / 64) if rom <= ROM_BRAM_BITS else 0
        return scaled_estimate(30, 102, p["P"], max(p["WA"], p["WB"], p["WO"]) / 8) + rom_luts

    def bram_estimation(self, fpgapart=None):
        rom = self.rom_bits()
        return math.ceil(rom / 18432) if rom > ROM_BRAM_BITS else 0


class IntAdd_rtl(IntAdd, KernelRTLBackend):  # noqa: N801 - finn-plus' naming
    """IntAdd as hls/requant_add/requant_add.sv behind a finn-plus wrapper (plus a ROM for a
    constant rhs)."""

    kernel_sources = ("requant_add/requant_add.sv",)
    template = "requant_add_wrapper.v"

    def get_nodeattr_types(self):
        attrs = IntAdd.get_nodeattr_types(self)
        attrs.update(RTLBackend.get_nodeattr_types(self))
        return attrs

    def execute_node(self, context, graph):
        execute_rtl_or_python(self, IntAdd.execute_node, context, graph)

    def _rhs_source(self, width: int) -> tuple[str, str]:
        """(in1_V port declarations, Verilog feeding b_data/b_valid/b_ready)."""
        if not self.const_rhs():
            ports = axis_ports("in1_V", self.get_instream_width_padded(1), slave=True) + ","
            body = (
                f"    assign b_data = in1_V_TDATA[{width}-1:0];\n"
                "    assign b_valid = in1_V_TVALID;\n"
                "    assign in1_V_TREADY = b_ready;"
            )
            return ports, body
        depth = self.rom_rows() * self.get_nodeattr("NumChannels") // self.get_nodeattr("PE")
        body = (
            f"    hwcd_const_stream #(.WIDTH({width}), .DEPTH({depth}),"
            f' .INIT_FILE("{self.memory_file_name("rhs")}"))'
            " rhs_rom (\n        .clk(ap_clk), .rst_n(ap_rst_n), .m_tdata(b_data), .m_tvalid(b_valid),"
            " .m_tready(b_ready)\n    );"
        )
        return "", body

    def hdl_values(self, model):
        p = self.kernel_params()
        checked(self, ref.check_params, p["WA"], p["WB"], p["WO"], p["MA"], p["MB"], p["S"], p["P"])
        waf, wbf = self.get_input_datatype(0).bitwidth(), self.get_input_datatype(1).bitwidth()
        in1_ports, rhs = self._rhs_source(p["P"] * wbf)
        return {
            **p,
            "WAF": waf,
            "WBF": wbf,
            "A_SIGNED": int(self.get_input_datatype(0).signed()),
            "B_SIGNED": int(self.get_input_datatype(1).signed()),
            "IN0_BITS": self.get_instream_width_padded(0),
            "IN1_PORTS": in1_ports,
            "RHS_SOURCE": rhs,
            "OUT_BITS": self.get_outstream_width_padded(),
            "OUT_DATA": pad_to("y", p["P"] * p["WO"], self.get_outstream_width_padded()),
        }

    def memory_files(self, model):
        if not self.const_rhs():
            return {}
        const = np.asarray(model.get_initializer(self.onnx_node.input[1]), dtype=np.int64)
        dt = self.get_input_datatype(1)
        if not (dt.allowed(const.min()) and dt.allowed(const.max())):
            n = self.onnx_node
            raise KernelParameterError(
                "requant_add",
                "rhs",
                f"constant values {const.min()}..{const.max()} outside {dt.name} "
                f"(layer {n.name}, {n.op_type})",
            )
        self.rom_rows()  # checks the shape
        pe, wbf = self.get_nodeattr("PE"), dt.bitwidth()
        return {self.memory_file_name("rhs"): hex_words(pack_rows(const, wbf, pe), pe * wbf)}
