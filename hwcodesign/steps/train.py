"""Step ``train``: float twin + HGQ2 QAT (or a user's .keras model), evaluated on the test set.

Writes ``model/float.keras``, ``model/quantized.keras`` (calibrated: what the hardware
implements), ``model/predictions.npz`` (test logits) and ``model/metrics.json``.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

import numpy as np

from ..config import JetTransformerConfig, KerasFileModelConfig, RunConfig
from ..errors import ConfigError, DataNotFoundError, UnsupportedLayerError
from ..frameworks import import_keras, versions
from ..records import Metric, StepResult
from ..run import Run
from ..train.keras_qat import calibrate_hgq, fit_keras
from ..train.metrics import classification_metrics
from .data import load_dataset

__all__ = ["step_train", "check_train", "load_quantized_model", "is_hgq_model", "load_user_model"]

#: Layers without arithmetic that the bit-exact HGQ2 -> hls4ml/da4ml path passes through.
_PASS_THROUGH = (
    "keras.src.layers.core.input_layer.InputLayer",
    "keras.src.layers.reshaping.flatten.Flatten",
    "keras.src.layers.reshaping.reshape.Reshape",
    "keras.src.layers.reshaping.permute.Permute",
    "keras.src.layers.regularization.dropout.Dropout",
)

log = logging.getLogger(__name__)


def step_train(run: Run, out: Path) -> StepResult:
    import_keras()
    cfg = run.config
    ds = load_dataset(run)
    n_classes = len(ds.classes)
    summary: dict = {"classes": ds.classes}
    logits: dict[str, np.ndarray] = {"labels": ds.y_test}
    metrics: dict[str, Metric] = {}
    test_src = f"Keras evaluation on the test set ({len(ds.y_test)} samples)"

    if isinstance(cfg.model, JetTransformerConfig):
        from ..models.jet_transformer import build_jet_transformer

        n, f = ds.x_train.shape[1:]
        if cfg.train.train_float:
            fmodel = build_jet_transformer(n, f, n_classes, cfg.model, None, seed=cfg.train.seed)
            hist = fit_keras(fmodel, ds, cfg.train, None, _epochs(run, "float twin"))
            fmodel.save(out / "float.keras")
            logits["float"] = fmodel.predict(ds.x_test, batch_size=1024, verbose=0)
            summary["float"] = _evaluate(logits["float"], ds, hist, _n_params(fmodel))
        qmodel = build_jet_transformer(n, f, n_classes, cfg.model, cfg.quantization, seed=cfg.train.seed)
        hist = fit_keras(qmodel, ds, cfg.train, cfg.quantization, _epochs(run, "QAT"))
        calibrate = True
    else:
        qmodel = load_user_model(cfg.model)
        hist, calibrate = {}, cfg.model.calibrate

    ebops = calibrate_hgq(qmodel, ds.x_train) if calibrate and is_hgq_model(qmodel) else None
    qmodel.save(out / "quantized.keras")
    logits["quantized"] = qmodel.predict(ds.x_test, batch_size=1024, verbose=0)
    summary["quantized"] = _evaluate(logits["quantized"], ds, hist, _n_params(qmodel))
    summary["quantized"]["ebops"] = ebops
    np.savez(out / "predictions.npz", **logits)
    (out / "metrics.json").write_text(json.dumps(summary, indent=2))

    for name in ("float", "quantized"):
        if name in summary:
            s = summary[name]
            metrics[f"accuracy_{name}"] = Metric(
                value=s["accuracy"], unit="fraction", source=test_src, n=len(ds.y_test)
            )
            metrics[f"mean_auc_{name}"] = Metric(
                value=float(np.mean(list(s["auc"].values()))), unit="", source=test_src, n=len(ds.y_test)
            )
            metrics[f"params_{name}"] = Metric(
                value=s["params"], unit="weights", source="model", kind="config"
            )
    if ebops is not None:
        metrics["ebops"] = Metric(value=ebops, unit="EBOPs", source="HGQ2 trace_minmax", kind="estimate")
    return StepResult(
        metrics=metrics,
        tools=versions("keras", "tensorflow-cpu", "hgq2"),
        info={"model": qmodel.name, "epochs_run": len(hist.get("loss", []))},
    )


def check_train(config: RunConfig) -> None:
    """A user's model, before anything runs: the file loads, its input fits the data, and
    every layer is one the bit-exact HGQ2 -> hls4ml/da4ml path handles.

    Raises:
        UserError: DataNotFoundError, ConfigError or UnsupportedLayerError, in one line.
    """
    if not isinstance(config.model, KerasFileModelConfig):
        return
    from .convert import check_hls4ml_support
    from .data import expected_input_shape

    model = load_user_model(config.model)
    want = tuple(model.inputs[0].shape[1:]) if len(model.inputs) == 1 else None
    have = expected_input_shape(config.data)
    if want is None or (
        len(want) != len(have) or any(w not in (None, h) for w, h in zip(want, have, strict=False))
    ):
        raise ConfigError(
            f"model {config.model.path.name} takes inputs of shape {want}, but the data gives "
            f"{have} (data.n_particles / data.features); the shapes must match exactly"
        )
    check_hls4ml_support(model)
    check_hgq_path(model)


def check_hgq_path(model) -> None:
    """Every layer is an HGQ2 layer or has no arithmetic (reshapes, dropout).

    Raises:
        UnsupportedLayerError: naming the first other layer, its index and what is supported.
    """
    from hgq.layers import QLayerBase

    for i, layer in enumerate(model.layers):
        cls = type(layer)
        path = f"{cls.__module__}.{cls.__name__}"
        if isinstance(layer, QLayerBase) or path in _PASS_THROUGH:
            continue
        raise UnsupportedLayerError(
            layer.name,
            path,
            i,
            "the bit-exact HGQ2 -> hls4ml/da4ml path",
            ["hgq.layers.Q* (HGQ2 layers)", *(p.rsplit(".", 1)[1] for p in _PASS_THROUGH)],
            "quantize the model with HGQ2 (float layers are not bit-exact in hardware)",
        )


def load_quantized_model(run: Run):
    """The calibrated quantized Keras model written by step ``train``."""
    keras = import_keras()
    return keras.models.load_model(run.path("model") / "quantized.keras", compile=False)


def is_hgq_model(model) -> bool:
    from hgq.layers import QLayerBase

    return any(isinstance(layer, QLayerBase) for layer in model._flatten_layers())


def load_user_model(cfg: KerasFileModelConfig):
    """Load a user's ``.keras`` file; any reason it cannot be read is one line.

    Raises:
        DataNotFoundError: the file is missing, or is not a readable Keras 3 model.
    """
    keras = import_keras()
    if not cfg.path.is_file():
        raise DataNotFoundError(f"model file not found: {cfg.path} (model.path)")
    try:
        return keras.models.load_model(cfg.path, compile=False)
    except Exception as e:  # a user file: every failure to read it is the user's to fix
        first = (str(e).strip().splitlines() or [type(e).__name__])[0][:200]
        raise DataNotFoundError(
            f"model.path {cfg.path} is not a readable Keras 3 .keras file ({type(e).__name__}: {first})"
        ) from None


def _epochs(run: Run, what: str):
    return lambda epoch, total, logs: run.progress(f"{what} epochs", epoch, total)


def _evaluate(logits: np.ndarray, ds, history: dict, n_params: int) -> dict:
    m = classification_metrics(logits, ds.y_test, ds.classes)
    return {**m.summary(), "roc": m.roc, "history": history, "params": n_params}


def _n_params(model) -> int:
    """Weights and biases (not HGQ2's bit-width variables)."""
    return int(sum(np.prod(w.shape) for w in model.weights if w.name in ("kernel", "bias")))
