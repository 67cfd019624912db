"""The model step of ``kind: onnx_float``: your float ONNX model (no quantizers).

The ONNX graph is converted to an equivalent float Keras 3 model (``convert.py``), checked
against onnxruntime on the test set (largest absolute difference in the report), then quantized
after training into HGQ2 exactly as a float ``.keras`` model is (``keras_file``: PTQ, evaluation,
agreement with the float model, hls4ml at the same precision for comparison).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from ..keras_file.frontend import check_model_file  # the same check for every model file
from .convert import onnx_to_keras
from .graph import load_onnx, quantizer_nodes

if TYPE_CHECKING:
    import keras

    from ...config import RunConfig
    from ...records import StepResult
    from ...run import Run

__all__ = [
    "check",
    "check_model_file",
    "check_rtl_layers",
    "prepare",
    "float_keras_model",
    "onnxruntime_outputs",
]

#: Largest difference between the Keras form and onnxruntime, relative to max(1, max |output|).
TOLERANCE = 1e-4


def float_keras_model(path: Path) -> keras.Model:
    """The float Keras form of the ONNX file at ``path``.

    Raises:
        DataNotFoundError: missing or unreadable file.
        ConfigError: the file holds quantizers (then it is onnx_file's), or has several inputs.
        UnsupportedLayerError: an op with no Keras form here, named with its index.
    """
    from ...errors import ConfigError
    from ...frameworks import import_keras

    model = load_onnx(path)
    quantizers = quantizer_nodes(model)
    if quantizers:
        more = ", ..." if len(quantizers) > 3 else ""
        raise ConfigError(
            f"{path.name} holds quantizers ({', '.join(quantizers[:3])}{more}): it is a QONNX model; "
            f"set model.kind: onnx_file (finn-plus / hls4ml QONNX flow)"
        )
    import_keras()
    return onnx_to_keras(model, path.stem)


def onnxruntime_outputs(path: Path, x: np.ndarray) -> np.ndarray:
    """The ONNX model's first output on ``x``, run by onnxruntime (in chunks of a fixed batch size)."""
    import onnxruntime as ort

    opts = ort.SessionOptions()
    opts.intra_op_num_threads = 1
    sess = ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"])
    inp = sess.get_inputs()[0]
    fixed = isinstance(inp.shape[0], int) and inp.shape[0] > 0
    batch = inp.shape[0] if fixed else 1024
    outs = []
    for start in range(0, len(x), batch):
        chunk = np.asarray(x[start : start + batch], np.float32)
        n = len(chunk)
        if fixed and n < batch:
            chunk = np.concatenate([chunk, np.zeros((batch - n, *chunk.shape[1:]), np.float32)])
        outs.append(sess.run(None, {inp.name: chunk})[0][:n])
    return np.concatenate(outs)


def check(config: RunConfig) -> None:
    """The file is a float ONNX model, every op has a Keras form, its input equals the data's,
    every layer can be quantized after training."""
    from ...data.load import input_shape
    from ...train.ptq import check_float_layers
    from ..common import check_input_shape

    cfg = config.model
    model = float_keras_model(cfg.path)
    check_input_shape(tuple(model.inputs[0].shape[1:]), input_shape(config.data), cfg.path.name)
    check_float_layers(model)


def check_rtl_layers(config: RunConfig) -> None:
    """Before the rtl step: a multi-channel channels-first input reordered for a Conv (a Permute)
    has no da4ml form yet (one channel is a Reshape, and works).

    Raises:
        UnsupportedLayerError: naming the Permute.
    """
    from ..keras_file.frontend import refuse_untraced_layers

    refuse_untraced_layers(
        float_keras_model(config.model.path),
        "it moves the channels of a channels-first tensor with several channels to the end for a Conv "
        "(ONNX is channels first, Keras channels last); hls4ml implements it: stop at --until convert",
    )


def prepare(run: Run, out: Path) -> StepResult:
    """ONNX -> float Keras (checked against onnxruntime) -> PTQ to HGQ2, evaluated as keras_file does."""
    import onnxruntime

    from ...artifacts import load_dataset
    from ...errors import InternalError
    from ...frameworks import versions
    from ...records import Metric
    from ..keras_file.frontend import import_keras_model

    cfg, ds = run.config.model, load_dataset(run)
    model = float_keras_model(cfg.path)
    y_onnx = onnxruntime_outputs(cfg.path, ds.x_test).reshape(len(ds.x_test), -1)
    y_keras = np.asarray(model.predict(ds.x_test, batch_size=1024, verbose=0)).reshape(len(ds.x_test), -1)
    diff = float(np.max(np.abs(y_keras.astype(np.float64) - y_onnx))) if y_onnx.size else 0.0
    if not diff <= TOLERANCE * max(1.0, float(np.max(np.abs(y_onnx), initial=0.0))):
        raise InternalError(
            f"the Keras form of {cfg.path.name} differs from onnxruntime by up to {diff:.3g} on the test set "
            f"(a bug of hwcodesign's ONNX import: please report it with the file)"
        )
    result = import_keras_model(run, out, model, f"your float ONNX model {cfg.path.name} (as Keras)")
    agree = Metric(
        value=diff,
        unit="max abs difference",
        source=f"float Keras form vs onnxruntime {onnxruntime.__version__} on {cfg.path.name}",
        n=len(ds.x_test),
    )
    return result.model_copy(
        update={
            "metrics": {**result.metrics, "float_keras_vs_onnx_max_abs": agree},
            "report": result.report.model_copy(
                update={"model": {**result.report.model, "float_keras_vs_onnx_max_abs": agree}}
            ),
            "tools": {**result.tools, **versions("onnx", "onnxruntime")},
        }
    )
