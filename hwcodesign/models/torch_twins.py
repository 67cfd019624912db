"""The model step of hwcodesign's own PyTorch families (``mlp``, ``vit``): train the float twin
and the Brevitas QAT model, evaluate both; and the model rebuilt from a run folder.

Options of the step: ``train.distill`` (a teacher's cached logits, Teacher Intervention for
transformers, ``models/teachers.py``) and ``quantization.mixed_precision`` (weight bits per layer
from HAWQ-v2 sensitivities on the trained float twin, ``train/mixed_precision.py``; the bits go
to ``model/layer_bits.json`` and into the report).

The architecture comes from the config (the family's ``build_torch``), the weights from
``model/quantized.pt`` (and ``float.pt``), the per-layer bits from ``model/layer_bits.json``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..config import RunConfig
    from ..data.splits import SplitDataset
    from ..records import StepResult
    from ..run import Run
    from .teachers import Teacher

from .torch_build import build_torch_model

__all__ = ["check_labels", "build_torch_model", "load_torch_model", "train_torch_twins", "LAYER_BITS"]

#: Weight bits per layer chosen by ``quantization.mixed_precision`` (next to ``quantized.pt``).
LAYER_BITS = "layer_bits.json"


def check_labels(config: RunConfig) -> None:
    """The model is trained here, which needs labels; and the training methods asked for must fit
    (a distillation teacher, a mixed-precision budget).

    Raises:
        ConfigError: unlabelled data, a teacher that does not fit, or a budget no allocation meets.
    """
    from ..data.load import has_labels
    from ..errors import ConfigError
    from .mixed_bits import check_mixed_precision
    from .teachers import check_torch_distill

    if not has_labels(config.data):
        raise ConfigError(f"model.kind {config.model.kind} is trained here, which needs labels (data.y_key)")
    check_torch_distill(config)
    check_mixed_precision(config)


def load_torch_model(run: Run, which: str = "quantized"):
    """Rebuild the model from the config (and its per-layer bits) and load the weights written by
    its model step."""
    from ..artifacts import TORCH_WEIGHTS, load_dataset, locate
    from ..frameworks import import_torch
    from .brevitas_layers import set_weight_bits

    torch = import_torch()
    ds = load_dataset(run)
    model = build_torch_model(run.config, ds.x_train.shape[1:], len(ds.classes), which == "quantized")
    weights = locate(run, TORCH_WEIGHTS).with_name(f"{which}.pt")
    bits_file = weights.with_name(LAYER_BITS)
    if which == "quantized" and bits_file.is_file():
        set_weight_bits(model, json.loads(bits_file.read_text())["bits"], run.config.quantization)
    model.load_state_dict(torch.load(weights, weights_only=True))
    model.eval()
    return model


def train_torch_twins(run: Run, out: Path) -> StepResult:
    """Train the float twin and the Brevitas QAT model (distilled, with per-layer bits, when asked);
    evaluate both on the test set."""
    from ..artifacts import load_dataset
    from ..frameworks import import_torch, versions
    from ..records import StepResult
    from ..train.torch_qat import fit_torch, predict_torch
    from .brevitas_layers import set_weight_bits
    from .common import evaluate, finish_model_step

    torch = import_torch()
    torch.set_num_threads(max(1, torch.get_num_threads()))
    cfg = run.config
    ds = load_dataset(run)
    shape, n_classes = ds.x_train.shape[1:], len(ds.classes)
    logits, summary = {}, {}
    teacher = _teacher(run, ds) if cfg.train.distill is not None else None
    float_model = None
    if cfg.train.train_float:
        float_model, hist = _float_twin(run, ds, teacher)
        torch.save(float_model.state_dict(), out / "float.pt")
        logits["float"] = predict_torch(float_model, ds.x_test)
        summary["float"] = evaluate(logits["float"], ds, hist, _n_params(float_model))
    model = build_torch_model(cfg, shape, n_classes, True)
    allocation = None
    if cfg.quantization.mixed_precision is not None:
        from .mixed_bits import choose_bits

        allocation = choose_bits(cfg, float_model, ds)
        set_weight_bits(model, allocation["bits"], cfg.quantization)
        (out / LAYER_BITS).write_text(json.dumps(allocation, indent=2))
    hist = fit_torch(
        model,
        ds,
        cfg.train,
        lambda e, n, logs: run.progress("quantized epochs", e, n),
        _targets(run, ds, teacher),
    )
    torch.save(model.state_dict(), out / "quantized.pt")
    logits["quantized"] = predict_torch(model, ds.x_test)
    summary["quantized"] = evaluate(logits["quantized"], ds, hist, _n_params(model))
    metrics, report = finish_model_step(
        out,
        ds,
        logits,
        summary,
        f"PyTorch evaluation on the test set ({len(ds.y_test)} images)",
        _labels(cfg),
    )
    metrics, report = _method_parts(out, ds, metrics, report, teacher, allocation)
    return StepResult(
        metrics=metrics,
        report=report,
        tools=versions("torch", "brevitas"),
        info={"epochs_run": len(summary["quantized"]["history"]["loss"])},
    )


def _n_params(model) -> int:
    return int(sum(p.numel() for p in model.parameters() if p.requires_grad))


def _labels(cfg: RunConfig) -> dict[str, str]:
    q = cfg.quantization
    w = "mixed" if q.mixed_precision is not None else q.weight_bits
    return {"float": "float", "quantized": f"quantized (W{w}A{q.act_bits})"}


def _teacher(run: Run, ds: SplitDataset) -> Teacher:
    from .teachers import torch_teacher

    return torch_teacher(run, ds)


def _float_twin(run: Run, ds: SplitDataset, teacher: Teacher | None):
    """The trained float twin and its history: the teacher's weights when the teacher is this
    twin (same seed), else trained here."""
    from ..train.torch_qat import fit_torch
    from .teachers import torch_teacher_module

    cfg = run.config
    d = cfg.train.distill
    shape, n_classes = ds.x_train.shape[1:], len(ds.classes)
    if teacher is not None and d.teacher == "float_twin" and d.teacher_seed == cfg.train.seed:
        return torch_teacher_module(cfg, teacher, shape, n_classes), teacher.history
    model = build_torch_model(cfg, shape, n_classes, False)
    plain = cfg.train.model_copy(update={"distill": None})
    hist = fit_torch(model, ds, plain, lambda e, n, logs: run.progress("float epochs", e, n))
    return model, hist


def _targets(run: Run, ds: SplitDataset, teacher: Teacher | None):
    """What the student distils from: the teacher's logits (and its module for Teacher Intervention)."""
    from ..train.torch_qat import TorchTeacher
    from .teachers import load_torch_teacher_file, torch_teacher_module

    if teacher is None:
        return None
    cfg, d = run.config, run.config.train.distill
    module = None
    if d.intervention_epochs:
        shape, n_classes = tuple(ds.x_train.shape[1:]), len(ds.classes)
        if d.teacher == "file":
            module = load_torch_teacher_file(cfg, d.path, shape, n_classes)
        else:
            module = torch_teacher_module(cfg, teacher, shape, n_classes)
    return TorchTeacher(teacher.logits, module)


def _method_parts(out: Path, ds: SplitDataset, metrics: dict, report, teacher, allocation):
    """The teacher's accuracy and the per-layer bits table, added to the step's metrics and report."""
    from ..records import Metric, Table
    from .teachers import record_teacher

    accuracy, model, tables = dict(report.accuracy), dict(report.model), list(report.tables)
    if teacher is not None:
        metrics["accuracy_teacher"] = accuracy["teacher"] = record_teacher(out, teacher, len(ds.x_test))
    if allocation is not None:
        src = "BOPs = MACs x weight bits x activation bits (per sample), HAWQ-v2 allocation"
        for key in ("bops", "budget_bops", "uniform_bops"):
            metrics[key] = model[key] = Metric(value=allocation[key], unit="BOPs", source=src, kind="config")
        title = (
            "Mixed precision per layer (HAWQ-v2: Hutchinson Hessian trace x ||W - Q_b(W)||^2, exact "
            f"allocation under {allocation['budget_bops']:,.0f} BOPs)"
        )
        tables.append(Table(title=title, rows=allocation["rows"]))
    update = {"accuracy": accuracy, "model": model, "tables": tables}
    return metrics, report.model_copy(update=update)
