"""Typed artifacts: what steps write and read, independent of which step produced them.

Each artifact has a file (or folder) name; it lives in the folder of the step that writes
it in the run's flow, as recorded in the run's plan (``plan.json``). So ``predictions`` come
from ``train`` in the Keras flow, from ``train_torch`` in the PyTorch flow and from
``import_qonnx`` when a QONNX file is brought in, and the steps that read them do not care
which.

Writers use ``<ARTIFACT>.filename`` inside their staging folder; readers use the loaders.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from .errors import StepOrderError
from .registry import Registry

if TYPE_CHECKING:
    from .backends.da4ml.project import RtlProject
    from .data.splits import SplitDataset
    from .run import Run

__all__ = [
    "Artifact",
    "ARTIFACTS",
    "locate",
    "Predictions",
    "save_predictions",
    "load_dataset",
    "load_predictions",
    "load_train_summary",
    "load_keras_model",
    "load_rtl_project",
    "load_emulation",
]


@dataclass(frozen=True)
class Artifact:
    name: str
    filename: str
    description: str


DATASET = Artifact("dataset", "dataset.npz", "train/val/test splits (SplitDataset)")
DATA_MANIFEST = Artifact("data_manifest", "manifest.json", "where the data came from, counts, shape")
PREDICTIONS = Artifact(
    "predictions", "predictions.npz", "test-set outputs of the source model (reference), labels, float twin"
)
TRAIN_SUMMARY = Artifact("train_summary", "metrics.json", "accuracy, ROC, confusion, history per model")
#: The model forms a train summary can hold, in report order: the wide float reference
#: (optional), the float twin (optional) and the quantized model the hardware implements.
MODEL_FORMS = ("float_reference", "float", "quantized")
KERAS_MODEL = Artifact("keras_model", "quantized.keras", "the HGQ2 model the hardware implements")
TORCH_WEIGHTS = Artifact("torch_weights", "quantized.pt", "Brevitas state dict (architecture from config)")
QONNX_MODEL = Artifact("qonnx_model", "model.onnx", "QONNX model, batch 1")
QONNX_OUTPUTS = Artifact("qonnx_outputs", "qonnx_outputs.npz", "QONNX execution of the test set")
HLS_PROJECT = Artifact("hls_project", "project", "hls4ml project folder")
HLS_EMULATION = Artifact("hls_emulation", "emulation.npz", "hls4ml C++ emulation of the test set")
RTL_PROJECT = Artifact("rtl_project", "da4ml", "da4ml Verilog project (RtlProject)")
RTL_OUTPUTS = Artifact("rtl_outputs", "rtl_outputs.npz", "Verilator outputs of the test set")
RTL_TIMING = Artifact("rtl_timing", "timing.json", "measured latency and II of the RTL")
EMULATOR_OUTPUTS = Artifact(
    "emulator_outputs", "emulator_outputs.npz", "the fast emulator's outputs of the test set"
)
RESOURCES = Artifact("resources", "resources.json", "resource tables by source")
DEPLOY = Artifact("deploy", "accelerator.json", "deployment package (driver, RTL, scripts) of a board")
VIRTUAL_BOARD = Artifact(
    "virtual_board", "virtual_board.json", "the package's driver run on the virtual board"
)
FINN_BUILD = Artifact("finn_build", "dataflow.onnx", "finn-plus dataflow graph (+ parent.onnx, layers.json)")
FINN_RTLSIM = Artifact("finn_rtlsim", "layers", "per-layer Verilator runs of finn-plus RTL layers")
STITCHED_DESIGN = Artifact(
    "stitched_design",
    "stitch.json",
    "the finn-plus graph stitched as one design (design/: RTL), FIFO depths, whole-design Verilator run",
)
REPORT = Artifact("report", "report.json", "the report")

#: Every artifact kind; a plugin step that writes a new kind registers it here.
ARTIFACTS: Registry[Artifact] = Registry("artifact", group="hwcodesign.artifacts")
for _a in (
    DATASET,
    DATA_MANIFEST,
    PREDICTIONS,
    TRAIN_SUMMARY,
    KERAS_MODEL,
    TORCH_WEIGHTS,
    QONNX_MODEL,
    QONNX_OUTPUTS,
    HLS_PROJECT,
    HLS_EMULATION,
    RTL_PROJECT,
    RTL_OUTPUTS,
    RTL_TIMING,
    EMULATOR_OUTPUTS,
    RESOURCES,
    DEPLOY,
    VIRTUAL_BOARD,
    FINN_BUILD,
    FINN_RTLSIM,
    STITCHED_DESIGN,
    REPORT,
):
    ARTIFACTS.register(_a)


def locate(run: Run, artifact: Artifact | str) -> Path:
    """Path of an artifact in the run: in the folder of the step of the run's plan that writes it.

    Raises:
        StepOrderError: the flow has no such step, or it has not run.
    """
    name = artifact if isinstance(artifact, str) else artifact.name
    path = run.locate(name)
    if not path.exists():
        step = run.plan.producer(name).name
        raise StepOrderError(f"{path} does not exist: run step '{step}' first")
    return path


# -- loaders ---------------------------------------------------------------------------
def load_dataset(run: Run) -> SplitDataset:
    from .data.splits import SplitDataset

    return SplitDataset.load(locate(run, DATASET))


@dataclass(frozen=True)
class Predictions:
    """Test-set outputs of the source model as its own framework computes them.

    ``reference`` is what the hardware must reproduce (the quantized model, or the user's
    model as given); ``float`` the float twin's, when there is one; ``labels`` may be None
    for unlabelled data.
    """

    reference: np.ndarray
    labels: np.ndarray | None
    float: np.ndarray | None = None


def save_predictions(folder: Path, p: Predictions) -> None:
    arrays = {"quantized": p.reference}
    if p.labels is not None:
        arrays["labels"] = p.labels
    if p.float is not None:
        arrays["float"] = p.float
    np.savez(folder / PREDICTIONS.filename, **arrays)


def load_predictions(run: Run) -> Predictions:
    with np.load(locate(run, PREDICTIONS)) as f:
        return Predictions(
            reference=f["quantized"],
            labels=f.get("labels", None),
            float=f.get("float", None),
        )


def load_train_summary(run: Run) -> dict:
    try:
        return json.loads(locate(run, TRAIN_SUMMARY).read_text())
    except StepOrderError:
        return {}


def load_keras_model(run: Run):
    """The (calibrated) HGQ2 Keras model the hardware implements."""
    from .frameworks import import_keras

    keras = import_keras()
    return keras.models.load_model(locate(run, KERAS_MODEL), compile=False)


def load_rtl_project(run: Run) -> RtlProject:
    from .backends.da4ml.project import RtlProject

    return RtlProject.load(locate(run, RTL_PROJECT))


@dataclass(frozen=True)
class Emulation:
    hls: np.ndarray
    reference: np.ndarray
    labels: np.ndarray | None


def load_emulator(run: Run):
    """The run's da4ml design as a compiled bit-exact emulator (``backends/da4ml/emulator.py``),
    built once per design and machine in the ``emulator`` cache."""
    from .backends.da4ml.emulator import Emulator

    return Emulator.from_comb(load_rtl_project(run).comb_path, run.cache_dir("emulator"))


def load_emulation(run: Run) -> Emulation:
    with np.load(locate(run, HLS_EMULATION)) as f:
        return Emulation(f["hls"], f["reference"], f.get("labels", None))
