"""Step registry. A step is a plain function ``step_x(run, out) -> StepResult`` composing
back-end and frontend functions: it reads artifacts (``hwcodesign.artifacts``) written by
earlier steps and writes only into ``out`` (a staging folder that becomes
``run.root / spec.folder`` when the step succeeds).

``reads``/``writes`` name artifacts, not steps: which step wrote an artifact depends on the
flow (``train``, ``train_torch`` or ``import_qonnx`` all write ``predictions``). Modules are
imported only when a step runs, so listing steps never imports TensorFlow, torch or finn.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass

from ..errors import ConfigError
from ..records import StepResult

__all__ = ["StepSpec", "register_step", "get_step", "known_steps"]

ALL_EARLIER = ("*",)


@dataclass(frozen=True)
class StepSpec:
    """How to run a step, what it reads and writes, and what its result depends on."""

    name: str
    target: str  # "module:function", imported lazily
    folder: str  # output folder under the run root
    reads: tuple[str, ...]  # artifact names; ALL_EARLIER: everything the flow made before it
    writes: tuple[str, ...]  # artifact names, all inside ``folder``
    config_keys: tuple[str, ...]  # config sections that change its result
    description: str
    version: int = 1  # bump when the step's code changes its outputs
    check: str | None = None  # "module:function(config)": cheap checks run before any step works

    def load(self) -> Callable[..., StepResult]:
        return _resolve(self.target)

    def load_check(self) -> Callable[..., None] | None:
        return _resolve(self.check) if self.check else None


def _resolve(target: str) -> Callable:
    module, func = target.split(":")
    return getattr(importlib.import_module(module, __package__), func)


_REGISTRY: dict[str, StepSpec] = {}


def register_step(spec: StepSpec) -> StepSpec:
    if spec.name in _REGISTRY and _REGISTRY[spec.name] != spec:
        raise ValueError(f"step '{spec.name}' is already registered")
    _REGISTRY[spec.name] = spec
    return spec


def get_step(name: str) -> StepSpec:
    try:
        return _REGISTRY[name]
    except KeyError:
        raise ConfigError(f"unknown step '{name}'; known: {', '.join(_REGISTRY)}") from None


def known_steps() -> list[str]:
    return list(_REGISTRY)


_MODEL_WRITES = ("predictions", "train_summary")
_TARGET = ("target.part", "target.clock_ns")

for _spec in (
    StepSpec(
        "data",
        ".data:step_data",
        "data",
        (),
        ("dataset", "data_manifest"),
        ("data",),
        "load or generate the dataset, split and standardise it",
        version=2,
        check=".data:check_data",
    ),
    StepSpec(
        "train",
        ".model:step_model",
        "model",
        ("dataset",),
        ("keras_model", *_MODEL_WRITES),
        ("model", "quantization", "train"),
        "the model step of the Keras flow: train (HGQ2 QAT + float twin), or import a user's "
        "model (HGQ2 as is, float Keras quantized after training, Keras 2 / QKeras)",
        version=2,
        check=".model:check_model",
    ),
    StepSpec(
        "convert",
        ".convert:step_convert",
        "hls",
        ("dataset", "keras_model", "predictions"),
        ("hls_project", "hls_emulation"),
        (*_TARGET, "target.backend", "target.io_type", "target.strategy"),
        "hls4ml project + C-simulation of the whole test set, bit-exactness vs Keras",
        version=2,
    ),
    StepSpec(
        "rtl",
        ".rtl:step_rtl",
        "rtl",
        ("dataset", "keras_model", "hls_emulation"),
        ("rtl_project", "rtl_outputs", "rtl_timing"),
        (*_TARGET, "target.rtl", "target.latency_budget_ns"),
        "da4ml Verilog + Verilator streaming simulation: latency, II, bit-exactness",
        version=3,
        check=".rtl:check_rtl",
    ),
    StepSpec(
        "emulate",
        ".emulate:step_emulate",
        "emulate",
        ("dataset", "rtl_project", "rtl_outputs"),
        ("emulator_outputs",),
        (),
        "fast bit-exact emulator of the RTL (generated C, SIMD + OpenMP): whole test set vs "
        "Verilator, samples/s, build time",
    ),
    StepSpec(
        "synth",
        ".synth:step_synth",
        "synth",
        ("rtl_project", "hls_project"),
        ("resources",),
        ("target.part", "target.synth"),
        "resources: da4ml estimate, Yosys synth_xilinx, Vivado/Vitis when on PATH",
        version=2,
    ),
    StepSpec(
        "package",
        ".package:step_package",
        "deploy",
        ("dataset", "rtl_project", "rtl_timing", "hls_emulation"),
        ("deploy",),
        ("target.board", "target.part", "target.clock_ns"),
        "deployment package: accelerator RTL behind AXI4-Stream, Vivado/Vitis scripts, PYNQ driver",
    ),
    StepSpec(
        "package_finn",
        ".package:step_package_finn",
        "deploy",
        ("dataset", "finn_build"),
        ("deploy",),
        ("target.board", "target.part", "target.clock_ns", "target.deploy.samples"),
        "deployment package: finn-plus RTL layers stitched behind AXI4-Stream, PYNQ driver",
    ),
    StepSpec(
        "virtual_board",
        ".virtual_board:step_virtual_board",
        "virtual_board",
        ("deploy",),
        ("virtual_board",),
        ("target.deploy",),
        "the package's driver against the accelerator RTL in Verilator behind a DMA model",
    ),
    StepSpec(
        "train_torch",
        ".model:step_model",
        "model",
        ("dataset",),
        ("torch_weights", *_MODEL_WRITES),
        ("model", "quantization", "train"),
        "train the float twin and the Brevitas QAT model, evaluate both",
        version=2,
        check=".model:check_model",
    ),
    StepSpec(
        "export",
        ".export:step_export",
        "qonnx",
        ("dataset", "torch_weights", "predictions"),
        ("qonnx_model", "qonnx_outputs"),
        (),
        "QONNX export + cleanup; QONNX execution of the test set vs Brevitas",
        version=2,
    ),
    StepSpec(
        "import_qonnx",
        ".model:step_model",
        "qonnx",
        ("dataset",),
        ("qonnx_model", "qonnx_outputs", *_MODEL_WRITES),
        ("model",),
        "a user's QONNX file: cleaned up, checked against the data, run on the test set "
        "(its outputs are the reference)",
        check=".model:check_model",
    ),
    StepSpec(
        "finn",
        ".finn:step_finn",
        "finn",
        ("dataset", "qonnx_model", "predictions"),
        ("finn_build",),
        (*_TARGET, "target.finn"),
        "finn-plus: streamline, HW layers, RTL/HLS, folding, estimates, HDL code",
        version=2,
    ),
    StepSpec(
        "finn_rtlsim",
        ".finn_rtlsim:step_finn_rtlsim",
        "finn_rtlsim",
        ("dataset", "finn_build"),
        ("finn_rtlsim",),
        ("target.finn.rtlsim_samples",),
        "every finn-plus RTL layer in Verilator vs its Python semantics, cycles/frame",
        version=2,
    ),
    StepSpec(
        "hls4ml_qonnx",
        ".hls4ml_qonnx:step_hls4ml_qonnx",
        "hls4ml",
        ("dataset", "qonnx_model", "predictions"),
        ("hls_emulation",),
        (*_TARGET, "target.backend", "target.io_type"),
        "hls4ml ONNX front end: convert + C++ emulation vs the source model (or name what it lacks)",
        version=2,
    ),
    StepSpec(
        "report",
        ".report:step_report",
        "report",
        ALL_EARLIER,
        ("report",),
        (),
        "report.json + index.html with every number and its source",
        version=2,
    ),
):
    register_step(_spec)
