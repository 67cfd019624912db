"""Step registry. A step is a plain function ``step_x(run, out) -> StepResult`` composing
backend and model-family functions: it reads artifacts (``hwcodesign.artifacts``) written by
earlier steps and writes only into ``out`` (a staging folder that becomes
``run.root / spec.folder`` when the step succeeds).

``reads``/``writes`` name artifacts, not steps: which step wrote an artifact depends on the
flow (``train``, ``train_torch`` or ``import_qonnx`` all write ``predictions``). Functions are
named by reference (``"module:function"``) and imported only when a step runs, so listing
steps never imports TensorFlow, torch or finn.

A flow names its steps by registered name, by an importable reference to a ``StepSpec`` or a
function, or by the object itself (as finn-plus' ``resolve_build_steps`` does); a bare
function becomes a step that reads everything before it and writes its own folder.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ..plan import ALL_EARLIER
from ..records import StepResult
from ..registry import Ref, Registry, resolve

__all__ = ["StepSpec", "STEPS", "ALL_EARLIER", "resolve_step", "step"]


@dataclass(frozen=True)
class StepSpec:
    """How to run a step, what it reads and writes, and what its result depends on."""

    name: str
    target: Ref  # the step function, or "module:function" (imported when the step runs)
    folder: str  # output folder under the run root
    reads: tuple[str, ...]  # artifact names; ALL_EARLIER: everything the flow made before it
    writes: tuple[str, ...]  # artifact names, all inside ``folder``
    config_keys: tuple[str, ...]  # config sections that change its result
    description: str
    version: int = 1  # bump when the step's code changes its outputs
    check: Ref | None = None  # cheap checks ``check(config)`` run before any step works

    def load(self) -> Callable[..., StepResult]:
        return resolve(_absolute(self.target), f"step {self.name}")

    def load_check(self) -> Callable[..., None] | None:
        return resolve(_absolute(self.check), f"check of step {self.name}") if self.check else None


def _absolute(ref: Ref) -> Ref:
    """Built-in steps name their modules relative to this package (``".rtl:step_rtl"``)."""
    return f"{__name__}{ref}" if isinstance(ref, str) and ref.startswith(".") else ref


STEPS: Registry[StepSpec] = Registry("step", group="hwcodesign.steps")


def step(
    folder: str | None = None,
    reads: tuple[str, ...] = ALL_EARLIER,
    writes: tuple[str, ...] = (),
    config_keys: tuple[str, ...] = (),
    name: str | None = None,
    version: int = 1,
) -> Callable[[Callable], Callable]:
    """Decorator declaring a function as a step (what it reads, writes and depends on), so a flow
    can list the function itself or ``"package.module:function"``."""

    def wrap(func: Callable) -> Callable:
        func.step_spec = _spec_of(func, folder, reads, writes, config_keys, name, version)  # type: ignore[attr-defined]
        return func

    return wrap


def _spec_of(
    func: Callable,
    folder: str | None = None,
    reads: tuple[str, ...] = ALL_EARLIER,
    writes: tuple[str, ...] = (),
    config_keys: tuple[str, ...] = (),
    name: str | None = None,
    version: int = 1,
) -> StepSpec:
    n = name or func.__name__.removeprefix("step_")
    doc = (func.__doc__ or n).strip().splitlines()[0]
    return StepSpec(n, func, folder or n, reads, writes, config_keys, doc, version)


def resolve_step(ref: Any) -> StepSpec:
    """A flow entry as a ``StepSpec``: a registered name, ``"module:name"``, a spec or a function.

    Raises:
        ConfigError: an unknown name (listing the registered steps) or a reference that does not
            import.
    """
    if isinstance(ref, StepSpec):
        return ref
    if isinstance(ref, str) and (":" not in ref and "." not in ref):
        return STEPS.get(ref)
    obj = resolve(ref, "step")
    if isinstance(obj, StepSpec):
        return obj
    spec = getattr(obj, "step_spec", None)
    return spec if isinstance(spec, StepSpec) else _spec_of(obj)


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
        ("dataset", "finn_build", "predictions"),
        ("deploy",),
        ("target.board", "target.part", "target.clock_ns", "target.deploy.samples"),
        "deployment package: finn-plus RTL layers stitched behind AXI4-Stream, PYNQ driver; its "
        "expected outputs are the trained model's",
        version=2,
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
        version=3,
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
        "stitch",
        ".stitch:step_stitch",
        "stitch",
        ("dataset", "finn_build", "predictions"),
        ("stitched_design",),
        ("target.part", "target.clock_ns", "target.finn"),
        "the finn-plus RTL layers stitched as one design, FIFOs sized by simulation; the whole test set "
        "through it in Verilator vs the trained model: latency, throughput, FIFO depths",
        version=2,
    ),
    StepSpec(
        "finn_synth",
        ".finn_synth:step_finn_synth",
        "finn_synth",
        ("finn_build",),
        ("resources",),
        ("target.part",),
        "resources per layer: Yosys synth_xilinx for hwcodesign's RTL layers, finn-plus' estimates for "
        "finn-rtllib's (Yosys cannot read it), summed and checked against the part",
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
    STEPS.register(_spec)
