"""The model step of ``kind: keras_file``: your Keras 3 ``.keras`` model.

* An **HGQ2** model (every layer an HGQ2 layer, or a reshape/dropout) is used as it is,
  calibrated on the training data (``calibrate``) and implemented bit-exactly.
* A **float** Keras model is quantized after training (``ptq``, see ``train/ptq.py``)
  into an equivalent HGQ2 model; the report gives its argmax agreement with the float model
  next to hls4ml used directly at the same precision.
* HGQ2's QKeras-style layers (``from qkeras.qlayers import QDense`` with hgq2 installed) are
  HGQ2 layers and take the first path.

Layers are matched by full class path; the first unsupported one is named with its index.
"""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import keras

    from ...config import RunConfig
    from ...records import StepResult
    from ...run import Run

__all__ = ["check", "prepare", "load_user_model", "is_hgq_model", "check_hgq_path"]

#: Layers without arithmetic that the bit-exact HGQ2 -> hls4ml/da4ml path passes through.
PASS_THROUGH = (
    "keras.src.layers.core.input_layer.InputLayer",
    "keras.src.layers.reshaping.flatten.Flatten",
    "keras.src.layers.reshaping.reshape.Reshape",
    "keras.src.layers.reshaping.permute.Permute",
    "keras.src.layers.regularization.dropout.Dropout",
)


def load_user_model(path: Path, custom_objects_module: str | None = None) -> keras.Model:
    """Load a ``.keras`` file; any reason it cannot be read is one line.

    Raises:
        DataNotFoundError: the file is missing, or is not a readable Keras 3 model.
        ConfigError: the custom-objects module cannot be imported.
    """
    from ...errors import ConfigError, DataNotFoundError
    from ...frameworks import import_keras

    if not path.is_file():
        raise DataNotFoundError(f"model file not found: {path} (model.path)")
    keras = import_keras()
    if custom_objects_module:
        try:
            importlib.import_module(custom_objects_module)
        except ImportError as e:
            raise ConfigError(
                f"model.custom_objects_module '{custom_objects_module}' cannot be imported: {e}"
            ) from None
    try:
        return keras.models.load_model(path, compile=False)
    except Exception as e:  # a user file: every failure to read it is the user's to fix
        first = (str(e).strip().splitlines() or [type(e).__name__])[0][:200]
        raise DataNotFoundError(
            f"model.path {path} is not a readable Keras 3 .keras file ({type(e).__name__}: {first})"
        ) from None


def is_hgq_model(model) -> bool:
    from hgq.layers import QLayerBase

    return any(isinstance(layer, QLayerBase) for layer in model._flatten_layers())


def check_hgq_path(model) -> None:
    """Every layer of an HGQ2 model is an HGQ2 layer or has no arithmetic.

    Raises:
        UnsupportedLayerError: naming the first other layer, its index and what is supported.
    """
    from hgq.layers import QLayerBase

    from ...errors import UnsupportedLayerError

    for i, layer in enumerate(model.layers):
        path = f"{type(layer).__module__}.{type(layer).__name__}"
        if isinstance(layer, QLayerBase) or path in PASS_THROUGH:
            continue
        raise UnsupportedLayerError(
            layer.name,
            path,
            i,
            "the bit-exact HGQ2 -> hls4ml/da4ml path (a model mixing HGQ2 and float layers)",
            ["hgq.layers.Q* (HGQ2 layers)", *(p.rsplit(".", 1)[1] for p in PASS_THROUGH)],
            "use HGQ2 layers throughout, or a float model (it is then quantized after training)",
        )


def check(config: RunConfig) -> None:
    """The file loads, its input equals the data's, every layer has a bit-exact path."""
    from ...backends.hls4ml.keras import check_hls4ml_support
    from ...data.load import input_shape
    from ...train.ptq import check_float_layers
    from ..common import check_input_shape

    cfg = config.model
    model = load_user_model(cfg.path, cfg.custom_objects_module)
    want = tuple(model.inputs[0].shape[1:]) if len(model.inputs) == 1 else None
    check_input_shape(want, input_shape(config.data), cfg.path.name)
    if is_hgq_model(model):
        check_hls4ml_support(model)
        check_hgq_path(model)
    else:
        check_float_layers(model)


def prepare(run: Run, out: Path) -> StepResult:
    """HGQ2: calibrate and evaluate. Float: PTQ to HGQ2, evaluate both, optionally compare
    with hls4ml used directly at the same precision."""
    import numpy as np

    from ...artifacts import KERAS_MODEL, load_dataset
    from ...frameworks import versions
    from ...records import Metric, StepResult
    from ...train.keras_qat import calibrate_hgq, count_weights
    from ..common import evaluate, finish_model_step

    cfg = run.config.model
    ds = load_dataset(run)
    model = load_user_model(cfg.path, cfg.custom_objects_module)
    logits, summary, extra, notes = {}, {}, {}, []
    if is_hgq_model(model):
        qmodel, path = model, "HGQ2 model as given"
        ebops = calibrate_hgq(qmodel, ds.x_train) if cfg.calibrate else None
    else:
        from ...train.ptq import quantize_float_model

        logits["float"] = model.predict(ds.x_test, batch_size=1024, verbose=0)
        summary["float"] = evaluate(logits["float"], ds, None, count_weights(model))
        run.progress("post-training quantization", 0, 1)
        qmodel = quantize_float_model(model, ds.x_train, cfg.ptq)
        run.progress("post-training quantization", 1, 1)
        path = f"float Keras -> HGQ2 by PTQ ({cfg.ptq.precision}, integer bits {cfg.ptq.integer_bits})"
        ebops = calibrate_hgq(qmodel, ds.x_train) if cfg.ptq.integer_bits == "profiled" else None
    qmodel.save(out / KERAS_MODEL.filename)
    logits["quantized"] = qmodel.predict(ds.x_test, batch_size=1024, verbose=0)
    summary["quantized"] = {**evaluate(logits["quantized"], ds, None, count_weights(qmodel)), "ebops": ebops}
    metrics, report = finish_model_step(
        out,
        ds,
        logits,
        summary,
        f"Keras evaluation on the test set ({len(ds.x_test)} samples)",
        {"float": "your float model", "quantized": path},
    )
    n = len(ds.x_test)
    if "float" in logits:
        agree = float(np.mean(logits["quantized"].argmax(1) == logits["float"].argmax(1)))
        extra["ptq_vs_float_argmax"] = Metric(
            value=agree, unit="fraction", n=n, source=f"HGQ2 PTQ model vs your float model, {path}"
        )
        if cfg.ptq.compare_hls4ml:
            from ...backends.hls4ml.keras import emulate_at_precision

            run.progress("hls4ml at the same precision (comparison)", 0, 1)
            y_direct = emulate_at_precision(model, ds.x_test, cfg.ptq.precision, run.config.target)
            run.progress("hls4ml at the same precision (comparison)", 1, 1)
            extra["hls4ml_direct_vs_float_argmax"] = Metric(
                value=float(np.mean(y_direct.argmax(1) == logits["float"].argmax(1))),
                unit="fraction",
                n=n,
                source=f"hls4ml {versions('hls4ml')['hls4ml']} on your float model, default precision "
                f"{cfg.ptq.precision} (for comparison; not the implemented design)",
            )
    if ebops is not None:
        metrics["ebops"] = Metric(value=ebops, unit="EBOPs", source="HGQ2 trace_minmax", kind="estimate")
    metrics.update(extra)
    report = report.model_copy(
        update={
            "model": {**report.model, **({"ebops": metrics["ebops"]} if "ebops" in metrics else {})},
            "bit_exactness": extra,
            "notes": [*report.notes, *notes],
        }
    )
    return StepResult(
        metrics=metrics,
        report=report,
        tools=versions("keras", "tensorflow-cpu", "hgq2"),
        info={"model": model.name, "path": path},
    )


def adopt(model, store, data=None) -> dict | None:
    """The ``model:`` section for an in-memory ``keras.Model`` (``hw.run(model, ...)``): saved once
    as ``.keras``, named by its architecture and weights (saved files embed save times)."""
    if type(model).__module__.split(".")[0] not in ("keras", "tensorflow"):
        return None
    import hashlib
    import json

    import numpy as np

    h = hashlib.sha256()
    layers = [(type(layer).__name__, layer.get_config()) for layer in model.layers]
    h.update(json.dumps(layers, sort_keys=True, default=str).encode())
    for w in model.get_weights():
        h.update(np.ascontiguousarray(w).tobytes())
    return {"kind": "keras_file", "path": str(store(model.save, ".keras", h.hexdigest()[:16]))}
