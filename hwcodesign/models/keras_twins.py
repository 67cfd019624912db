"""The model step of hwcodesign's own Keras families: train the float twin, optionally the wide
float reference, then the HGQ2 model (QAT with EBOPs control), calibrate and evaluate."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import keras

    from ..records import StepResult
    from ..run import Run

__all__ = ["train_twins"]


def train_twins(run: Run, out: Path, build: Callable[..., keras.Model]) -> StepResult:
    """The model step of hwcodesign's own particle models: ``build(n, f, c, model_cfg,
    quant_or_None, seed=)`` gives the float twin and the HGQ2 model, trained here in turn."""
    from ..artifacts import KERAS_MODEL, load_dataset
    from ..frameworks import import_keras, versions
    from ..records import Metric, StepResult
    from ..train.keras_qat import calibrate_hgq, count_weights, fit_keras
    from .common import evaluate, finish_model_step

    import_keras()
    cfg = run.config
    ds = load_dataset(run)
    n, f = ds.x_train.shape[1:]
    n_classes = len(ds.classes)
    logits, summary = {}, {}

    def epochs(what: str):
        return lambda epoch, total, logs: run.progress(f"{what} epochs", epoch, total)

    if cfg.train.train_float:
        fmodel = build(n, f, n_classes, cfg.model, None, seed=cfg.train.seed)
        hist = fit_keras(fmodel, ds, cfg.train, None, epochs("float twin"))
        fmodel.save(out / "float.keras")
        logits["float"] = fmodel.predict(ds.x_test, batch_size=1024, verbose=0)
        summary["float"] = evaluate(logits["float"], ds, hist, count_weights(fmodel))
    if cfg.train.float_reference:
        from .jets import build_float_reference

        ref = build_float_reference(n, f, n_classes, seed=cfg.train.seed)
        rtrain = cfg.train.model_copy(update={"learning_rate": min(cfg.train.learning_rate, 1e-3)})
        hist = fit_keras(ref, ds, rtrain, None, epochs("float reference"))
        logits["float_reference"] = ref.predict(ds.x_test, batch_size=1024, verbose=0)
        summary["float_reference"] = evaluate(logits["float_reference"], ds, hist, count_weights(ref))
    qmodel = build(n, f, n_classes, cfg.model, cfg.quantization, seed=cfg.train.seed)
    pareto = out / "pareto" if cfg.train.pareto_checkpoints else None
    hist = fit_keras(qmodel, ds, cfg.train, cfg.quantization, epochs("QAT"), pareto)
    ebops = calibrate_hgq(qmodel, ds.x_train)
    qmodel.save(out / KERAS_MODEL.filename)
    logits["quantized"] = qmodel.predict(ds.x_test, batch_size=1024, verbose=0)
    summary["quantized"] = {**evaluate(logits["quantized"], ds, hist, count_weights(qmodel)), "ebops": ebops}
    metrics, report = finish_model_step(
        out, ds, logits, summary, f"Keras evaluation on the test set ({len(ds.x_test)} samples)"
    )
    metrics["ebops"] = Metric(value=ebops, unit="EBOPs", source="HGQ2 trace_minmax", kind="estimate")
    report = report.model_copy(update={"model": {**report.model, "ebops": metrics["ebops"]}})
    return StepResult(
        metrics=metrics,
        report=report,
        tools=versions("keras", "tensorflow-cpu", "hgq2"),
        info={"model": qmodel.name, "epochs_run": len(hist.get("loss", []))},
    )
