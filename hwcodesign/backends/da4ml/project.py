"""da4ml RTL projects: trace an HGQ2 model into a pipelined Verilog project, and describe the
project (I/O widths, fixed-point formats, pipeline depth) for the simulator, the synthesis
and the deployment wrapper. A project folder is self-describing: ``hwcodesign_rtl.json``
next to da4ml's own ``metadata.json``, so later steps never re-trace the model.
"""

from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

__all__ = ["RtlProject", "write_rtl", "encode_inputs", "decode_outputs", "TOP", "WRAPPER"]

TOP = "model"  # module name of the generated pipeline
WRAPPER = f"{TOP}_wrapper"  # its flat-port wrapper (clk, model_inp, model_out)
_DESCRIPTION = "hwcodesign_rtl.json"


@dataclass(frozen=True)
class RtlProject:
    """A da4ml Verilog project: where it is and how its ports are laid out.

    ``kif_in``/``kif_out`` are (keep_negative, integer bits, fraction bits) of every input and
    output element (uniform across elements: da4ml pads to the widest), ``stages`` the number
    of pipeline registers between input and output.
    """

    folder: Path
    kif_in: tuple[int, int, int]
    kif_out: tuple[int, int, int]
    n_in: int
    n_out: int
    stages: int
    clock_ns: float
    part: str

    @property
    def comb_path(self) -> Path:
        """da4ml's operation list of the design (``CombLogic``), read by the emulator."""
        return self.folder / "model" / "comb.json"

    @property
    def src(self) -> Path:
        return self.folder / "src"

    @property
    def in_bits(self) -> int:
        return sum(self.kif_in)

    @property
    def out_bits(self) -> int:
        return sum(self.kif_out)

    def metadata(self) -> dict:
        """da4ml's own metadata (cost estimate, register bits, latency)."""
        return json.loads((self.folder / "metadata.json").read_text())

    def save(self) -> None:
        d = {k: v for k, v in asdict(self).items() if k != "folder"}
        (self.folder / _DESCRIPTION).write_text(json.dumps(d, indent=2))

    @classmethod
    def load(cls, folder: Path) -> RtlProject:
        d = json.loads((folder / _DESCRIPTION).read_text())
        return cls(folder=folder, **{k: tuple(v) if isinstance(v, list) else v for k, v in d.items()})


def write_rtl(
    model, folder: Path, latency_cutoff: float, clock_ns: float, part: str
) -> tuple[RtlProject, float]:
    """Trace an HGQ2 model with da4ml and write its pipelined Verilog project to ``folder``.

    Returns (project, seconds spent tracing).
    """
    from da4ml.codegen import RTLModel
    from da4ml.codegen.rtl.rtl_model import get_io_kifs
    from da4ml.converter import trace_model
    from da4ml.trace import comb_trace

    check_rounding(model)
    t0 = time.perf_counter()
    inp, outp = trace_model(model)
    comb = comb_trace(inp, outp)
    trace_s = time.perf_counter() - t0
    rtl = RTLModel(
        comb,
        TOP,
        folder,
        flavor="verilog",
        latency_cutoff=latency_cutoff,
        part_name=part,
        clock_period=clock_ns,
        print_latency=False,
    )
    rtl.write()
    kin, kout = get_io_kifs(rtl._solution)
    project = RtlProject(
        folder=folder,
        kif_in=tuple(int(np.max(a)) for a in kin),
        kif_out=tuple(int(np.max(a)) for a in kout),
        n_in=len(kin[0]),
        n_out=len(kout[0]),
        stages=len(rtl._pipe.solutions) if rtl._pipe is not None else 0,
        clock_ns=clock_ns,
        part=part,
    )
    project.save()
    return project, trace_s


def check_rounding(model) -> None:
    """da4ml 0.6 traces TRN and RND quantizers only, and a quantizer right on a model input
    must wrap (the input arrives in its format; saturation is the sender's job).

    Raises:
        UnsupportedLayerError: naming the first layer that breaks either rule.
    """
    from ...errors import UnsupportedLayerError

    inputs = {id(t) for t in model.inputs}
    for i, layer in enumerate(model.layers):
        conf = getattr(getattr(layer, "config", None), "config", None)
        fed = getattr(layer, "_inbound_nodes", [])
        on_input = bool(fed) and any(id(t) in inputs for t in fed[0].input_tensors)
        if isinstance(conf, dict) and on_input and conf.get("overflow_mode", "WRAP") != "WRAP":
            raise UnsupportedLayerError(
                layer.name,
                f"{type(layer).__name__} {conf['overflow_mode']} on the model input",
                i,
                "da4ml 0.6 (RTL)",
                ["WRAP quantizers on model inputs"],
                "saturate the inputs before they reach the FPGA and quantize them with WRAP, or stop at "
                "--until convert",
            )
        for sub in layer._flatten_layers(include_self=True):
            conf = getattr(getattr(sub, "config", None), "config", None)
            if not isinstance(conf, dict) or getattr(sub.config, "place", conf.get("place")) == "table":
                continue  # tables are precomputed: their rounding never reaches the datapath
            mode = conf.get("round_mode")
            if mode is not None and mode not in ("TRN", "RND"):
                raise UnsupportedLayerError(
                    layer.name,
                    f"{type(layer).__name__} rounding {mode}",
                    i,
                    "da4ml 0.6 (RTL)",
                    ["rounding TRN", "rounding RND"],
                    "use round-half-up (RND) quantizers for the RTL path",
                )


def encode_inputs(x: np.ndarray, kif_in: tuple[int, int, int]) -> np.ndarray:
    """Float inputs -> integers in units of the input LSB (as da4ml's own emulator does)."""
    return (
        np.floor(x.reshape(len(x), -1).astype(np.float64) * 2.0 ** kif_in[2])
        .astype(np.int64)
        .astype(np.int32)
    )


def decode_outputs(raw: np.ndarray, kif_out: tuple[int, int, int]) -> np.ndarray:
    """Raw output bits (uniform width k+i+f) -> the fixed-point values they encode."""
    k, i, f = kif_out
    a, b = 2 ** (k + i + f), k * 2 ** (i + f)
    return (((raw.astype(np.int64) + b) % a - b) * 2.0**-f).astype(np.float64)
