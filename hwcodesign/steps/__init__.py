"""Step registry. A step is a plain function ``step_x(run, out) -> StepResult`` that reads
earlier steps' folders through ``run.path(...)`` and writes only into ``out`` (a staging
folder that becomes ``run.root / spec.folder`` when the step succeeds).

Steps are registered explicitly below; modules are imported only when a step runs, so
listing steps never imports TensorFlow, torch or finn.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass

from ..errors import ConfigError
from ..records import StepResult

__all__ = ["StepSpec", "register_step", "get_step", "known_steps"]


@dataclass(frozen=True)
class StepSpec:
    """How to run a step and what its result depends on."""

    name: str
    target: str  # "module:function", imported lazily
    folder: str  # output folder under the run root
    needs: tuple[str, ...]  # steps whose outputs it reads; ("*",): all earlier ones in the flow
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


for _spec in (
    StepSpec(
        "data",
        ".data:step_data",
        "data",
        (),
        ("data",),
        "load or generate the dataset, split and standardise it",
        check=".data:check_data",
    ),
    StepSpec(
        "train",
        ".train:step_train",
        "model",
        ("data",),
        ("model", "quantization", "train"),
        "train the float twin and the quantized model (QAT), evaluate both",
        check=".train:check_train",
    ),
    StepSpec(
        "convert",
        ".convert:step_convert",
        "hls",
        ("data", "train"),
        ("target.part", "target.clock_ns", "target.backend", "target.io_type", "target.strategy"),
        "hls4ml project + C-simulation of the whole test set, bit-exactness vs Keras",
    ),
    StepSpec(
        "rtl",
        ".rtl:step_rtl",
        "rtl",
        ("data", "train", "convert"),
        ("target.part", "target.clock_ns", "target.rtl", "target.latency_budget_ns"),
        "da4ml Verilog + Verilator streaming simulation: latency, II, bit-exactness",
    ),
    StepSpec(
        "synth",
        ".synth:step_synth",
        "synth",
        ("rtl", "convert"),
        ("target.part", "target.synth"),
        "resources: da4ml estimate, Yosys synth_xilinx, Vivado/Vitis when on PATH",
    ),
    StepSpec(
        "train_torch",
        ".train_torch:step_train_torch",
        "model",
        ("data",),
        ("model", "quantization", "train"),
        "train the float twin and the Brevitas QAT model, evaluate both",
    ),
    StepSpec(
        "export",
        ".export:step_export",
        "qonnx",
        ("data", "train_torch"),
        (),
        "QONNX export + cleanup; QONNX execution of the test set vs Brevitas",
    ),
    StepSpec(
        "finn",
        ".finn:step_finn",
        "finn",
        ("data", "train_torch", "export"),
        ("target.part", "target.clock_ns", "target.finn"),
        "finn-plus: streamline, HW layers, RTL/HLS, folding, estimates, HDL code",
    ),
    StepSpec(
        "finn_rtlsim",
        ".finn_rtlsim:step_finn_rtlsim",
        "finn_rtlsim",
        ("data", "finn"),
        ("target.finn.rtlsim_samples",),
        "every finn-plus RTL layer in Verilator vs its Python semantics, cycles/frame",
    ),
    StepSpec(
        "hls4ml_qonnx",
        ".hls4ml_qonnx:step_hls4ml_qonnx",
        "hls4ml",
        ("data", "train_torch", "export"),
        ("target.part", "target.clock_ns", "target.backend", "target.io_type"),
        "hls4ml ONNX front end: convert + C++ emulation vs Brevitas (or name what it lacks)",
    ),
    StepSpec(
        "report",
        ".report:step_report",
        "report",
        ("*",),
        (),
        "report.json + index.html with every number and its source",
    ),
):
    register_step(_spec)
