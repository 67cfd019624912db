"""The model step of hwcodesign's own Keras families: train the float twin, optionally the wide
float reference, then the HGQ2 model (QAT with EBOPs control, optionally distilled from a teacher,
``train.distill``), calibrate and evaluate."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import keras

    from ..data.splits import SplitDataset
    from ..records import StepResult
    from ..run import Run
    from .teachers import Teacher

__all__ = ["train_twins", "copy_float_weights"]


def train_twins(run: Run, out: Path, build: Callable[..., keras.Model]) -> StepResult:
    """The model step of hwcodesign's own particle models: ``build(n, f, c, model_cfg,
    quant_or_None, seed=)`` gives the float twin and the HGQ2 model, trained here in turn.
    With ``train.distill`` the teacher (cached across runs) is made first; a float twin or
    reference that is the teacher (same seed) is taken from it instead of trained again."""
    from ..artifacts import KERAS_MODEL, load_dataset
    from ..frameworks import import_keras, versions
    from ..records import Metric, StepResult
    from ..train.keras_qat import calibrate_hgq, count_weights, fit_keras
    from .common import evaluate, finish_model_step

    keras = import_keras()
    cfg = run.config
    ds = load_dataset(run)
    n, f = ds.x_train.shape[1:]
    logits, summary = {}, {}
    teacher = None
    if cfg.train.distill is not None:
        from .teachers import keras_teacher

        teacher = keras_teacher(run, ds, build)
    if cfg.train.train_float:
        logits["float"], summary["float"] = _float_twin(run, out, ds, build, teacher)
    if cfg.train.float_reference:
        logits["float_reference"], summary["float_reference"] = _float_reference(run, ds, teacher)
    qmodel = build(n, f, len(ds.classes), cfg.model, cfg.quantization, seed=cfg.train.seed)
    info: dict = {}
    if cfg.train.init_from_float:
        copied, left_out = copy_float_weights(keras.models.load_model(out / "float.keras"), qmodel)
        info["init_from_float"] = {"tensors_copied": copied, "not_in_the_hgq2_model": left_out}
    pareto = out / "pareto" if cfg.train.pareto_checkpoints else None
    hist = fit_keras(
        qmodel, ds, cfg.train, cfg.quantization, _epochs(run, "QAT"), pareto, teacher and teacher.logits
    )
    ebops = calibrate_hgq(qmodel, ds.x_train)
    qmodel.save(out / KERAS_MODEL.filename)
    logits["quantized"] = qmodel.predict(ds.x_test, batch_size=1024, verbose=0)
    summary["quantized"] = {**evaluate(logits["quantized"], ds, hist, count_weights(qmodel)), "ebops": ebops}
    metrics, report = finish_model_step(
        out, ds, logits, summary, f"Keras evaluation on the test set ({len(ds.x_test)} samples)"
    )
    metrics["ebops"] = Metric(value=ebops, unit="EBOPs", source="HGQ2 trace_minmax", kind="estimate")
    report = report.model_copy(update={"model": {**report.model, "ebops": metrics["ebops"]}})
    if teacher is not None:
        from .teachers import record_teacher

        metrics["accuracy_teacher"] = record_teacher(out, teacher, len(ds.x_test))
        report = report.model_copy(
            update={"accuracy": {**report.accuracy, "teacher": metrics["accuracy_teacher"]}}
        )
    return StepResult(
        metrics=metrics,
        report=report,
        tools=versions("keras", "tensorflow-cpu", "hgq2"),
        info={"model": qmodel.name, "epochs_run": len(hist.get("loss", [])), **info},
    )


def copy_float_weights(float_model: keras.Model, qmodel: keras.Model) -> tuple[int, list[str]]:
    """Give the HGQ2 model the float twin's kernels and biases, matched by weight path (same
    architecture, same layer names; ``train.init_from_float``): QAT then starts from the trained
    float model, the usual practice for quantization-aware fine-tuning.

    Returns the number of tensors copied and the float weights the HGQ2 model does not have
    (HGQ2's attention has no key bias: it adds one value to a whole row of scores, which the
    softmax cancels).
    """
    targets = {w.path: w for w in qmodel.weights if w.name in ("kernel", "bias")}
    copied, left_out = 0, []
    for w in float_model.weights:
        if w.name not in ("kernel", "bias"):
            continue
        if w.path in targets:
            targets[w.path].assign(w)
            copied += 1
        else:
            left_out.append(w.path)
    if copied == 0:
        raise ValueError(f"{float_model.name} and {qmodel.name} share no kernel or bias to copy")
    return copied, left_out


def _epochs(run: Run, what: str):
    return lambda epoch, total, logs: run.progress(f"{what} epochs", epoch, total)


def _is_teacher(run: Run, teacher: Teacher | None, which: str) -> bool:
    """Whether the teacher is exactly the model ``which`` this run would train (same seed)."""
    d = run.config.train.distill
    return teacher is not None and d.teacher == which and d.teacher_seed == run.config.train.seed


def _float_twin(run: Run, out: Path, ds: SplitDataset, build, teacher: Teacher | None):
    """The float twin's test logits and summary (trained, or the teacher when it is the twin)."""
    from ..train.keras_qat import count_weights, fit_keras
    from .common import evaluate
    from .teachers import KERAS_FILE

    cfg = run.config
    n, f = ds.x_train.shape[1:]
    if _is_teacher(run, teacher, "float_twin"):
        shutil.copy(teacher.entry / KERAS_FILE, out / "float.keras")
        return teacher.logits.test, evaluate(
            teacher.logits.test, ds, teacher.history, teacher.summary["params"]
        )
    fmodel = build(n, f, len(ds.classes), cfg.model, None, seed=cfg.train.seed)
    hist = fit_keras(
        fmodel, ds, cfg.train.model_copy(update={"distill": None}), None, _epochs(run, "float twin")
    )
    fmodel.save(out / "float.keras")
    lg = fmodel.predict(ds.x_test, batch_size=1024, verbose=0)
    return lg, evaluate(lg, ds, hist, count_weights(fmodel))


def _float_reference(run: Run, ds: SplitDataset, teacher: Teacher | None):
    """The wide float reference's test logits and summary (trained, or the teacher)."""
    from ..train.keras_qat import count_weights, fit_keras
    from .common import evaluate
    from .jets import build_float_reference

    cfg = run.config
    if _is_teacher(run, teacher, "float_reference"):
        return teacher.logits.test, evaluate(
            teacher.logits.test, ds, teacher.history, teacher.summary["params"]
        )
    n, f = ds.x_train.shape[1:]
    ref = build_float_reference(n, f, len(ds.classes), seed=cfg.train.seed)
    rtrain = cfg.train.model_copy(
        update={"learning_rate": min(cfg.train.learning_rate, 1e-3), "distill": None}
    )
    hist = fit_keras(ref, ds, rtrain, None, _epochs(run, "float reference"))
    lg = ref.predict(ds.x_test, batch_size=1024, verbose=0)
    return lg, evaluate(lg, ds, hist, count_weights(ref))
