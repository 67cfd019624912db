"""What hwcodesign's finn-plus RTL layers share: where the kernel sources and the wrapper
templates are, template filling, memory-initialisation files, finn-plus datatypes as kernel
widths, and ``KernelRTLBackend``, the RTL half of every layer (HDL generation, file list,
Vivado IPI commands).

Every wrapper is a Verilog-2001 module named after the node (Vivado's module reference takes
no SystemVerilog top) with finn-plus' ports ``ap_clk``, ``ap_rst_n``,
``in<i>_V_{TDATA,TVALID,TREADY}``, ``out<j>_V_{TDATA,TVALID,TREADY}``; TDATA widths are the
padded stream widths, element 0 in the LSBs, the padding bits of an output are 0.
"""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
from finn.custom_op.fpgadataflow.rtlbackend import RTLBackend
from qonnx.core.datatype import BaseDataType

import hwcodesign.hls as _hls

from ....errors import InternalError, KernelParameterError

__all__ = [
    "KERNELS",
    "TEMPLATES",
    "HELPERS",
    "KernelRTLBackend",
    "fill_template",
    "hex_words",
    "pack_rows",
    "kernel_width",
    "signed_width",
    "pad_to",
    "axis_ports",
    "checked",
    "execute_rtl_or_python",
    "scaled_estimate",
]

KERNELS = Path(_hls.__file__).resolve().parent  #: hls/ (installed as hwcodesign.hls)
TEMPLATES = Path(__file__).resolve().parent / "templates"
HELPERS = ("hwcd_lanes.sv",)  #: helper modules every wrapper may use (hwcd_lanes, hwcd_const_stream)


def fill_template(name: str, values: dict[str, object]) -> str:
    """``templates/<name>`` with every ``$KEY$`` replaced by ``values[KEY]``.

    Raises:
        InternalError: a placeholder is left unfilled (a key missing from ``values``).
    """
    text = (TEMPLATES / name).read_text()
    for key, value in values.items():
        text = text.replace(f"${key}$", str(value))
    left = sorted({w for w in text.split("$")[1::2] if w.isupper() and w.replace("_", "").isalnum()})
    if left:
        raise InternalError(f"template {name}: placeholders without a value: {left}")
    return text


def hex_words(words: Sequence[int], width: int) -> str:
    """``$readmemh`` text: one word a line, two's complement on ``width`` bits, in hex."""
    digits = max(1, (width + 3) // 4)
    mask = (1 << width) - 1
    return "".join(f"{int(w) & mask:0{digits}x}\n" for w in words)


def pack_rows(values: np.ndarray, width: int, per_word: int) -> list[int]:
    """Integers ``values`` (flattened) packed ``per_word`` to a word, element 0 in the LSBs,
    each on ``width`` bits (finn-plus' stream packing)."""
    flat = [int(v) for v in np.asarray(values, dtype=np.int64).reshape(-1)]
    mask = (1 << width) - 1
    return [
        sum((v & mask) << (k * width) for k, v in enumerate(flat[i : i + per_word]))
        for i in range(0, len(flat), per_word)
    ]


def kernel_width(dt: BaseDataType) -> tuple[int, int]:
    """(width, signed) of a finn-plus integer type for a kernel that takes signed elements: an
    unsigned type gets one bit more (the wrapper zero-extends it)."""
    return (dt.bitwidth(), 1) if dt.signed() else (dt.bitwidth() + 1, 0)


def signed_width(values: np.ndarray) -> int:
    """Fewest signed bits (at least 2) holding every integer in ``values``."""
    v = np.asarray(values, dtype=np.int64)
    hi = int(max(v.max(initial=0), -v.min(initial=0) - 1))
    return max(2, hi.bit_length() + 1)


def pad_to(signal: str, used: int, total: int) -> str:
    """Verilog expression: ``signal`` (``used`` bits) zero-padded to ``total`` bits."""
    return signal if used == total else f"{{{{{total - used}{{1'b0}}}}, {signal}}}"


def axis_ports(name: str, width: int, slave: bool) -> str:
    """The three port declarations of stream ``name`` (``in0_V``: slave, ``out0_V``: master)."""
    i, o = ("input ", "output") if slave else ("output", "input ")
    return (
        f"    {i} wire [{width}-1:0] {name}_TDATA,\n    {i} wire {name}_TVALID,\n    {o} wire {name}_TREADY"
    )


def checked(inst, check: Callable[..., object], *args, **kwargs) -> None:
    """Run a kernel's ``check_params``; its KernelParameterError names the layer too.

    Raises:
        KernelParameterError: the kernel cannot implement the layer.
    """
    try:
        check(*args, **kwargs)
    except KernelParameterError as e:
        problem = str(e).split(": ", 2)[-1]
        node = inst.onnx_node
        raise KernelParameterError(
            e.kernel, e.parameter, f"{problem} (layer {node.name}, {node.op_type})"
        ) from None


def execute_rtl_or_python(inst, python: Callable, context: dict, graph) -> None:
    """finn-plus' dispatch: exec_mode ``rtlsim`` -> RTLBackend (xsim), else the Python semantics."""
    if inst.get_nodeattr("exec_mode") == "rtlsim":
        RTLBackend.execute_node(inst, context, graph)
    else:
        python(inst, context, graph)


def scaled_estimate(at_p1: float, at_p4: float, pe: int, factor: float = 1.0) -> int:
    """Linear inter/extrapolation in PE between a kernel README's Yosys counts at P=1 and P=4,
    times ``factor`` (a width or size ratio): an estimate, not a synthesis result."""
    return int(round((at_p1 + (at_p4 - at_p1) * (pe - 1) / 3) * factor))


class KernelRTLBackend(RTLBackend):
    """RTL half of a layer built from one of hwcodesign's kernels (``hls/<kernel>``): fills the
    layer's wrapper template, writes its memory files, lists its sources, and instantiates it
    in Vivado IPI. Subclasses set ``kernel_sources`` (paths under ``hls/``) and ``template`` and
    implement ``hdl_values``; layers with constants override ``memory_files``."""

    kernel_sources: tuple[str, ...] = ()
    template: str = ""

    @abstractmethod
    def hdl_values(self, model) -> dict[str, object]:
        """The template's values (``TOP_MODULE_NAME`` is added); checks the kernel's parameters."""

    def memory_files(self, model) -> dict[str, str]:
        """File name (in ``code_gen_dir_ipgen``) -> ``$readmemh`` text of the layer's constants."""
        return {}

    def memory_file_name(self, what: str) -> str:
        return f"{self.onnx_node.name}_{what}.dat"

    def generate_hdl(self, model, fpgapart: str, clk: float) -> None:
        """Write the memory files and ``<node name>.v`` into ``code_gen_dir_ipgen``.

        Raises:
            KernelParameterError: the kernel cannot implement this layer's attributes.
        """
        top = self.get_verilog_top_module_name()
        gen = Path(self.get_nodeattr("code_gen_dir_ipgen"))
        values = {"TOP_MODULE_NAME": top, **self.hdl_values(model)}
        for name, text in self.memory_files(model).items():
            (gen / name).write_text(text)
        (gen / f"{top}.v").write_text(fill_template(self.template, values))
        self.set_nodeattr("gen_top_module", top)
        self.set_nodeattr("ipgen_path", str(gen))
        self.set_nodeattr("ip_path", str(gen))

    def get_rtl_file_list(self, abspath: bool = False) -> list[str]:
        """Kernel sources, the helper modules and the generated wrapper (memory files excluded)."""
        files = [KERNELS / s for s in self.kernel_sources] + [TEMPLATES / h for h in HELPERS]
        top = self.get_nodeattr("gen_top_module") or self.get_verilog_top_module_name()
        wrapper = Path(self.get_nodeattr("code_gen_dir_ipgen")) / f"{top}.v"
        return [str(p) if abspath else p.name for p in [*files, wrapper]]

    def code_generation_ipi(self) -> list[str]:
        """Vivado IPI: add the sources and memory files, instantiate the wrapper as a module."""
        gen = Path(self.get_nodeattr("code_gen_dir_ipgen"))
        mem = sorted(str(p) for p in gen.glob(f"{self.onnx_node.name}_*.dat"))
        cmd = [f"add_files -norecurse {f}" for f in [*self.get_rtl_file_list(abspath=True), *mem]]
        top = self.get_nodeattr("gen_top_module")
        cmd.append(f"create_bd_cell -type module -reference {top} {self.onnx_node.name}")
        return cmd
