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

__all__ = [
    "accepts",
    "is_qkeras3_file",
    "check",
    "check_model_file",
    "prepare",
    "import_keras_model",
    "load_user_model",
    "is_hgq_model",
    "check_hgq_path",
    "check_rtl_layers",
    "refuse_untraced_layers",
]

#: Layers without arithmetic that the bit-exact HGQ2 -> hls4ml/da4ml path passes through.
PASS_THROUGH = (
    "keras.src.layers.core.input_layer.InputLayer",
    "keras.src.layers.reshaping.flatten.Flatten",
    "keras.src.layers.reshaping.reshape.Reshape",
    "keras.src.layers.reshaping.permute.Permute",
    "keras.src.layers.regularization.dropout.Dropout",
)


#: Layers hls4ml implements but the da4ml tracer of hgq2 0.2.0 (the rtl step's) has no form for.
NO_RTL_TRACE = ("keras.src.layers.reshaping.permute.Permute",)


def refuse_untraced_layers(model, hint: str) -> None:
    """Refuse a layer the rtl step cannot trace (see ``NO_RTL_TRACE``), naming it.

    Raises:
        UnsupportedLayerError: the first such layer, its index, and ``hint``.
    """
    from ...errors import UnsupportedLayerError
    from ...frameworks import versions

    for i, layer in enumerate(model.layers):
        path = f"{type(layer).__module__}.{type(layer).__name__}"
        if path in NO_RTL_TRACE:
            raise UnsupportedLayerError(
                layer.name,
                path,
                i,
                f"the rtl step (da4ml tracing with hgq2 {versions('hgq2')['hgq2']})",
                ["Reshape", "Flatten", "HGQ2 layers"],
                hint,
            )


def check_rtl_layers(config: RunConfig) -> None:
    """Before the rtl step: every layer of the model has a da4ml form."""
    cfg = config.model
    refuse_untraced_layers(
        load_user_model(cfg.path, cfg.custom_objects_module),
        "hls4ml implements it: stop at --until convert, or reorder the axes outside the model",
    )


def check_model_file(config: RunConfig) -> None:
    """The model file exists (checked before any step runs, even ``--until data``).

    Raises:
        DataNotFoundError: naming the file and the config key.
    """
    from ...errors import DataNotFoundError

    path = config.model.path
    if not path.is_file():
        what = "is a folder, not a model file" if path.is_dir() else "not found"
        raise DataNotFoundError(f"model file {what}: {path} (model.path)")


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
    if is_qkeras3_file(path):
        raise ConfigError(
            f"{path.name} holds QKeras layers (QKeras for Keras 3): set model.kind: keras2_file (--set "
            f"model.kind=keras2_file), so that QKeras itself reads it in the legacy venv and its "
            f"quantizers are rebuilt exactly in HGQ2"
        )
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


def accepts(path: Path) -> bool:
    """Every ``.keras`` file but a QKeras-for-Keras-3 one (keras2_file's: QKeras reads it)."""
    return not is_qkeras3_file(path)


def is_qkeras3_file(path: Path) -> bool:
    """A ``.keras`` file whose layers come from QKeras (``qkeras-v3``), not from HGQ2's ``qkeras``."""
    import json
    import zipfile

    try:
        with zipfile.ZipFile(path) as z:
            config = json.loads(z.read("config.json"))
    except (OSError, KeyError, ValueError, zipfile.BadZipFile):
        return False
    layers = config.get("config", {}).get("layers", [])
    return any(str(lay.get("module", "")).startswith("qkeras") for lay in layers if isinstance(lay, dict))


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
    cfg = run.config.model
    return import_keras_model(
        run, out, load_user_model(cfg.path, cfg.custom_objects_module), "your float model"
    )


def import_keras_model(run: Run, out: Path, model, label: str) -> StepResult:
    """The model step of a Keras model: HGQ2 as is (calibrated), or float quantized after training
    (PTQ), written as the run's Keras model, evaluated (multi-class, binary or regression) and
    compared with the float model it came from. ``label`` names that float model."""
    from ...artifacts import KERAS_MODEL, load_dataset
    from ...frameworks import versions
    from ...records import Metric, StepResult
    from ...train.keras_qat import calibrate_hgq, count_weights
    from ...train.metrics import evaluate_outputs
    from ...train.ptq import outputs_of
    from ..common import finish_model_step

    cfg = run.config.model
    ptq = cfg.ptq
    ds = load_dataset(run)
    logits, summary = {}, {}
    if is_hgq_model(model):
        qmodel, path = model, "HGQ2 model as given"
        ebops = calibrate_hgq(qmodel, ds.x_train) if getattr(cfg, "calibrate", True) else None
    else:
        from ...train.ptq import quantize_float_model

        logits["float"] = model.predict(ds.x_test, batch_size=1024, verbose=0)
        summary["float"] = evaluate_outputs(
            logits["float"], ds, None, count_weights(model), outputs_of(model)
        )
        run.progress("post-training quantization", 0, 1)
        qmodel = quantize_float_model(model, ds.x_train, ptq)
        run.progress("post-training quantization", 1, 1)
        path = f"float Keras -> HGQ2 by PTQ ({ptq.precision}, integer bits {ptq.integer_bits})"
        ebops = calibrate_hgq(qmodel, ds.x_train) if ptq.integer_bits == "profiled" else None
    qmodel.save(out / KERAS_MODEL.filename)
    logits["quantized"] = qmodel.predict(ds.x_test, batch_size=1024, verbose=0)
    summary["quantized"] = {
        **evaluate_outputs(logits["quantized"], ds, None, count_weights(qmodel), outputs_of(qmodel, True)),
        "ebops": ebops,
    }
    metrics, report = finish_model_step(
        out,
        ds,
        logits,
        summary,
        f"Keras evaluation on the test set ({len(ds.x_test)} samples)",
        {"float": label, "quantized": path},
    )
    extra = _ptq_agreement(run, model, logits, summary, path, label) if "float" in logits else {}
    if ebops is not None:
        metrics["ebops"] = Metric(value=ebops, unit="EBOPs", source="HGQ2 trace_minmax", kind="estimate")
    metrics.update(extra)
    report = report.model_copy(
        update={
            "model": {**report.model, **({"ebops": metrics["ebops"]} if "ebops" in metrics else {})},
            "bit_exactness": extra,
        }
    )
    return StepResult(
        metrics=metrics,
        report=report,
        tools=versions("keras", "tensorflow-cpu", "hgq2"),
        info={"model": model.name, "path": path},
    )


def _ptq_agreement(run: Run, model, logits: dict, summary: dict, path: str, label: str) -> dict:
    """Same class as the float model (argmax, or each side's binary threshold), for the PTQ model
    and for hls4ml used directly at the same precision; none for a regression (its residuals
    float vs quantized are in the report)."""
    import numpy as np

    from ...artifacts import load_dataset
    from ...frameworks import versions
    from ...records import Metric
    from ...train.metrics import predicted_class, task_of

    cfg, ds = run.config.model, load_dataset(run)
    tasks = {k: summary[k].get("task") or task_of(v, ds.y_test) for k, v in logits.items()}
    if tasks["float"]["kind"] == "regression":
        return {}
    n, classes = len(ds.x_test), {k: predicted_class(v, tasks[k]) for k, v in logits.items()}
    extra = {
        "ptq_vs_float_argmax": Metric(
            value=float(np.mean(classes["quantized"] == classes["float"])),
            unit="fraction",
            n=n,
            source=f"HGQ2 PTQ model vs {label}, {path} (same class)",
        )
    }
    if cfg.ptq.compare_hls4ml:
        from ...backends.hls4ml.keras import emulate_at_precision

        run.progress("hls4ml at the same precision (comparison)", 0, 1)
        y_direct = emulate_at_precision(model, ds.x_test, cfg.ptq.precision, run.config.target)
        run.progress("hls4ml at the same precision (comparison)", 1, 1)
        extra["hls4ml_direct_vs_float_argmax"] = Metric(
            value=float(np.mean(predicted_class(y_direct, tasks["float"]) == classes["float"])),
            unit="fraction",
            n=n,
            source=f"hls4ml {versions('hls4ml')['hls4ml']} on {label}, default precision "
            f"{cfg.ptq.precision} (for comparison; not the implemented design)",
        )
    return extra


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
