"""The model step of ``kind: keras2_file``: Keras 2 / QKeras models (``.h5``, or ``.json`` +
weights ``.h5``), the format most hls4ml users have. Read in the legacy venv (``legacy.py``),
rebuilt as an equivalent HGQ2 model (``rebuild.py``, ``qkeras.py``); QKeras is then run on
the quantized test inputs, and its outputs are compared bit for bit with the HGQ2 model
(before a trailing float softmax, which the hardware replaces by a table).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from .legacy import export_spec, legacy_python, run_legacy
from .qkeras import FLOAT_LAYERS, check_layers, has_quantizers, quantizer_of
from .rebuild import input_quantizer_name, outputs_of_spec, rebuild_hgq

if TYPE_CHECKING:
    from ...config import RunConfig
    from ...records import StepResult
    from ...run import Run

__all__ = ["accepts", "check", "check_model_file", "prepare", "check_rtl_rounding"]


def accepts(path: Path) -> bool:
    """Keras 2 files (``.h5``, ``.json``), and ``.keras`` files holding QKeras (Keras 3) layers."""
    from ..keras_file.frontend import is_qkeras3_file

    return path.suffix.lower() != ".keras" or is_qkeras3_file(path)


def check(config: RunConfig) -> None:
    """The legacy venv exists, the file is readable there, its input equals the data's, every
    layer and quantizer has an exact HGQ2 form."""
    from ...data.load import input_shape
    from ..common import check_input_shape

    cfg = config.model
    legacy_python(cfg)
    spec, _ = export_spec(cfg, config.cache_dir)
    shape = tuple(spec["inputs"][0]["shape"]) if len(spec["inputs"]) == 1 else None
    check_input_shape(shape, input_shape(config.data), cfg.path.name)
    check_layers(spec)


def check_model_file(config: RunConfig) -> None:
    """The model file (and a ``.json``'s weights) exist: checked before any step runs.

    Raises:
        DataNotFoundError: naming the missing file and its config key.
    """
    from ...errors import DataNotFoundError
    from ..keras_file.frontend import check_model_file as file_exists
    from .legacy import weights_file

    file_exists(config)
    weights = weights_file(config.model)
    if weights is not None and not weights.is_file():
        raise DataNotFoundError(
            f"{config.model.path.name} holds only the architecture; its weights {weights} were not found "
            f"(model.weights, or <name>_weights.h5 next to the .json)"
        )


def prepare(run: Run, out: Path) -> StepResult:
    """Rebuild as HGQ2, calibrate, evaluate; QKeras on the quantized inputs is the check."""
    from ...artifacts import KERAS_MODEL, load_dataset
    from ...frameworks import import_keras, versions
    from ...records import StepResult
    from ...train.keras_qat import count_weights
    from ...train.metrics import evaluate_outputs, identical_fraction
    from ..common import finish_model_step

    import_keras()
    cfg = run.config.model
    ds = load_dataset(run)
    spec, arrays = export_spec(cfg, run.config.cache_dir)
    model, compare_at = rebuild_hgq(spec, arrays, cfg, ds.x_train)
    model.save(out / KERAS_MODEL.filename)
    y_hgq = model.predict(ds.x_test, batch_size=1024, verbose=0)
    ours, theirs, y_raw, where = _qkeras_comparison(run, model, spec, compare_at, y_hgq, out / "legacy")
    frac, n_bad, idx = identical_fraction(np.asarray(ours, np.float64), theirs)
    logits = {"float": y_raw, "quantized": y_hgq}
    kinds = {"float": outputs_of_spec(spec, False), "quantized": outputs_of_spec(spec, True)}
    summary = {k: evaluate_outputs(v, ds, None, count_weights(model), kinds[k]) for k, v in logits.items()}
    metrics, report = finish_model_step(
        out,
        ds,
        logits,
        summary,
        f"evaluation on the test set ({len(ds.x_test)} samples)",
        {"float": "your Keras 2 / QKeras model (float inputs, Keras 2)", "quantized": "HGQ2 equivalent"},
    )
    entry = _agreement(spec, cfg, frac, summary, logits, where, len(ds.x_test))
    metrics.update({("bit_exact_" if k == "hgq_vs_qkeras" else "") + k: m for k, m in entry.items()})
    floats = [lay["name"] for lay in spec["layers"] if lay["class"] in FLOAT_LAYERS]
    notes = list(report.notes)
    if floats and has_quantizers(spec):
        notes.append(
            f"layers {', '.join(floats)} compute in float in the source model (a BatchNorm): the design "
            f"quantizes them at {cfg.ptq.precision}, so it agrees with the source on the share of "
            f"samples in bit_exactness, not on all (fold the BatchNorm into the layer before it, e.g. "
            f"QKeras' QDenseBatchnorm, for a bit-exact model)"
        )
    return StepResult(
        metrics=metrics,
        report=report.model_copy(update={"bit_exactness": entry, "notes": notes}),
        tools={**versions("keras", "hgq2"), **spec.get("versions", {})},
        info={"mismatch_samples": idx, "rounding": cfg.rounding, "n_mismatch": n_bad},
    )


def _qkeras_comparison(run: Run, model, spec: dict, compare_at: str | None, y_hgq, legacy_dir: Path):
    """QKeras' own outputs (legacy venv) on our quantized test inputs, and ours at the same place
    (before a trailing float softmax, if any): (ours, theirs, QKeras on raw inputs, where)."""
    import keras

    from ...artifacts import load_dataset

    cfg, ds = run.config.model, load_dataset(run)
    quantize_input = keras.Model(model.inputs, model.get_layer(input_quantizer_name(spec)).output)
    x_q = np.asarray(quantize_input.predict(ds.x_test, batch_size=1024, verbose=0))
    legacy_dir.mkdir()
    np.save(legacy_dir / "x_quantized.npy", x_q)
    np.save(legacy_dir / "x_raw.npy", ds.x_test)
    run.progress("QKeras predictions (legacy venv)", 0, 1)
    args = [
        "predict",
        str(cfg.path),
        str(legacy_dir),
        str(legacy_dir / "x_quantized.npy"),
        str(legacy_dir / "x_raw.npy"),
    ]
    if compare_at:
        args += ["--layer", compare_at]
    run_legacy(cfg, args, legacy_dir)
    run.progress("QKeras predictions (legacy venv)", 1, 1)
    y_raw = np.load(legacy_dir / "x_raw.out.npy")
    if not compare_at:
        return y_hgq, np.load(legacy_dir / "x_quantized.out.npy"), y_raw, "model outputs"
    ours = keras.Model(model.inputs, model.get_layer(compare_at).output).predict(
        ds.x_test, batch_size=1024, verbose=0
    )
    theirs = np.load(legacy_dir / "x_quantized.layer.npy")
    return ours, theirs, y_raw, f"outputs of '{compare_at}' (before the float softmax)"


def _agreement(spec: dict, cfg, frac: float, summary: dict, logits: dict, where: str, n: int) -> dict:
    """Bit-exactness vs QKeras / HGQ v1 for a quantized model; the same class for a float one (PTQ)."""
    from ...records import Metric
    from ...train.metrics import predicted_class

    legacy = ", ".join(f"{k} {v}" for k, v in spec.get("versions", {}).items())
    if has_quantizers(spec):
        src = (
            f"HGQ2 equivalent vs the source model run by its own framework ({legacy}, .venv-legacy) on "
            f"the quantized test inputs, {where}"
        )
        return {"hgq_vs_qkeras": Metric(value=frac, unit="fraction", n=n, source=src)}
    tasks = {k: summary[k].get("task") for k in logits}
    if not all(tasks.values()) or tasks["float"]["kind"] == "regression":
        return {}  # unlabelled or a regression: the report has the residuals, float and quantized
    same = predicted_class(logits["quantized"], tasks["quantized"]) == predicted_class(
        logits["float"], tasks["float"]
    )
    agree = float(np.mean(same))
    src = f"HGQ2 PTQ model vs your float Keras 2 model ({legacy}, .venv-legacy), {cfg.ptq.precision}"
    return {"ptq_vs_float_argmax": Metric(value=agree, unit="fraction", n=n, source=src)}


def check_rtl_rounding(config: RunConfig) -> None:
    """da4ml rounds half up or truncates; a QKeras import that keeps QKeras' half-to-even
    rounding has no RTL path.

    Raises:
        ConfigError: with the two ways out.
    """
    from ...errors import ConfigError

    if config.model.rounding != "qkeras":
        return

    spec = export_spec(config.model, config.cache_dir)[0]
    if any(isinstance(quantizer_of(lay, "activation"), dict) for lay in spec["layers"]):
        raise ConfigError(
            "step rtl: da4ml implements round-half-up and truncation only, but model.rounding: qkeras "
            "keeps QKeras' round-half-to-even; set model.rounding: rnd (ties may then differ from "
            "QKeras, measured in the report) or stop at --until convert"
        )
