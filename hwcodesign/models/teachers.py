"""The teacher of ``train.distill``: which model it is, trained (or loaded) once and cached, and
the checks that refuse an unusable teacher before anything is trained.

A teacher is the float twin (the run's architecture, plain float layers, trained with
``distill.teacher_seed``), the wide float reference of the jet families (``models/jets.py``), or a
user's file: a ``.keras`` model for the Keras families; for the PyTorch families a
``torch.export`` program (``.pt2``), a TorchScript file (``torch.jit.save``) or a state dict of the
run's float twin (e.g. another run's ``model/float.pt``; the only kind Teacher Intervention can
use, as it needs the attention modules). Its logits on the three splits live in the content cache
``<cache_dir>/teachers/<key>/`` (key: the data's content digest + the teacher's definition +
the training settings that change it, never the student's seed), and a copy in the run's
``model/teacher.npz`` with ``model/teacher.json`` saying where they came from.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from ..errors import ConfigError
from ..train.distill import TEACHER_LOGITS, TEACHER_SUMMARY, TeacherLogits, cached_teacher, dataset_digest

if TYPE_CHECKING:
    from ..config import RunConfig
    from ..data.splits import SplitDataset
    from ..records import Metric
    from ..run import Run

__all__ = [
    "Teacher",
    "keras_teacher",
    "torch_teacher",
    "torch_teacher_module",
    "record_teacher",
    "check_keras_distill",
    "check_torch_distill",
    "n_classes_of",
    "KERAS_FILE",
    "TORCH_FILE",
]

KERAS_FILE = "teacher.keras"
TORCH_FILE = "teacher.pt"


@dataclass(frozen=True)
class Teacher:
    """A teacher's cached logits, its cache entry and summary (accuracy, history, definition)."""

    logits: TeacherLogits
    entry: Path
    summary: dict[str, Any]
    was_cached: bool

    @property
    def history(self) -> dict:
        return self.summary.get("history", {})


def n_classes_of(config: RunConfig) -> int | None:
    """The number of classes the data will have, when known before the data step."""
    data = config.data
    if data.dataset == "jets":
        return 5
    if data.dataset in ("fashion_mnist", "digits"):
        return 10
    names = getattr(data, "class_names", None)
    return len(names) if names else None


def _load(entry: Path, was_cached: bool) -> Teacher:
    summary = json.loads((entry / TEACHER_SUMMARY).read_text())
    return Teacher(TeacherLogits.load(entry / TEACHER_LOGITS), entry, summary, was_cached)


def _teacher_train(cfg: RunConfig):
    """The training settings of a trained teacher: the run's, with the teacher's seed."""
    return cfg.train.model_copy(update={"seed": cfg.train.distill.teacher_seed, "distill": None})


# -- Keras -----------------------------------------------------------------------------------


def keras_teacher(run: Run, ds: SplitDataset, build: Callable[..., Any]) -> Teacher:
    """The Keras families' teacher (trained or loaded once, then from the cache)."""
    from ..cache import file_digest
    from ..train.keras_qat import count_weights, fit_keras
    from .reference import REFERENCE_SHAPE, build_float_reference

    cfg, d = run.config, run.config.train.distill
    n, f = ds.x_train.shape[1:]
    c = len(ds.classes)
    train = _teacher_train(cfg)
    if d.teacher == "float_reference":
        train = train.model_copy(update={"learning_rate": min(train.learning_rate, 1e-3)})
    settings = {k: v for k, v in train.teacher_settings.items() if k != "weight_decay"}
    definition: dict[str, Any] = {"framework": "keras", "teacher": d.teacher, "data": dataset_digest(ds)}
    if d.teacher == "file":
        definition["file_sha256"] = file_digest(d.path)
    elif d.teacher == "float_reference":
        definition |= {"shape": REFERENCE_SHAPE, "train": settings, "seed": d.teacher_seed}
    else:
        definition |= {"model": cfg.model.model_dump(mode="json"), "train": settings, "seed": d.teacher_seed}

    def make(entry: Path) -> None:
        import keras

        hist: dict = {}
        if d.teacher == "file":
            model = keras.models.load_model(d.path, compile=False)
            _check_keras_shapes(model, (n, f), c, d.path)
        else:
            if d.teacher == "float_reference":
                model = build_float_reference(n, f, c, seed=d.teacher_seed)
            else:
                model = build(n, f, c, cfg.model, None, seed=d.teacher_seed)
            hist = fit_keras(model, ds, train, None, _progress(run, f"teacher ({d.teacher})"))
        model.save(entry / KERAS_FILE)
        logits = TeacherLogits(*(model.predict(x, batch_size=1024, verbose=0) for x in _splits(ds)))
        _write(entry, logits, ds, hist, count_weights(model))

    entry, was_cached = cached_teacher(run.cache_dir("teachers"), definition, make)
    return _load(entry, was_cached)


def _check_keras_shapes(model, shape: tuple, n_classes: int | None, path: Path) -> None:
    """Raises ConfigError when the teacher's input or output shape does not fit the data."""
    inp = tuple(model.input_shape[1:]) if not isinstance(model.input_shape, list) else None
    out = model.output_shape[-1] if not isinstance(model.output_shape, list) else None
    if (
        inp is None
        or len(inp) != len(shape)
        or any(m not in (None, s) for m, s in zip(inp, shape, strict=True))
    ):
        raise ConfigError(
            f"train.distill.path {path}: the teacher takes inputs of shape {inp}, the data give {shape}"
        )
    if n_classes is not None and out != n_classes:
        raise ConfigError(
            f"train.distill.path {path}: the teacher gives {out} outputs, the data have {n_classes} classes"
        )


def check_keras_distill(config: RunConfig) -> None:
    """The Keras families' distillation settings, before any step.

    Raises:
        ConfigError: Teacher Intervention asked for, or a teacher file that is missing or does not
            fit the data.
    """
    d = config.train.distill
    if d is None:
        return
    if d.intervention_epochs:
        raise ConfigError(
            f"train.distill.intervention_epochs: Teacher Intervention is not available for model.kind "
            f"{config.model.kind}: it swaps the outputs of attention modules inside the forward pass, "
            "which hwcodesign does for PyTorch models (model.kind vit); a built Keras graph has no such "
            "hook (and the wide float reference is another architecture). Set it to 0"
        )
    if d.teacher == "file":
        from ..data.load import input_shape
        from ..frameworks import import_keras

        if not d.path.is_file() or d.path.suffix != ".keras":
            raise ConfigError(
                f"train.distill.path {d.path}: no such .keras file (Keras families take .keras)"
            )
        keras = import_keras()
        model = keras.models.load_model(d.path, compile=False)
        _check_keras_shapes(model, tuple(input_shape(config.data)), n_classes_of(config), d.path)


# -- PyTorch ---------------------------------------------------------------------------------


def torch_teacher(run: Run, ds: SplitDataset) -> Teacher:
    """The PyTorch families' teacher (trained or loaded once, then from the cache)."""
    from ..cache import file_digest
    from ..train.torch_qat import fit_torch, predict_torch
    from .torch_build import build_torch_model

    cfg, d = run.config, run.config.train.distill
    shape, c = tuple(ds.x_train.shape[1:]), len(ds.classes)
    definition: dict[str, Any] = {"framework": "torch", "teacher": d.teacher, "data": dataset_digest(ds)}
    if d.teacher == "file":
        definition["file_sha256"] = file_digest(d.path)
    else:
        definition |= {
            "model": cfg.model.model_dump(mode="json"),
            "train": cfg.train.teacher_settings,
            "seed": d.teacher_seed,
        }

    def make(entry: Path) -> None:
        import torch

        hist: dict = {}
        if d.teacher == "file":
            model = load_torch_teacher_file(cfg, d.path, shape, c)
        else:
            tcfg = cfg.model_copy(update={"train": _teacher_train(cfg)})
            model = build_torch_model(tcfg, shape, c, quantized=False)
            hist = fit_torch(model, ds, tcfg.train, _progress(run, "teacher (float twin)"))
        if not isinstance(model, torch.jit.ScriptModule):
            torch.save(model.state_dict(), entry / TORCH_FILE)
        logits = TeacherLogits(*(predict_torch(model, x) for x in _splits(ds)))
        params = sum(p.numel() for p in model.parameters())
        _write(entry, logits, ds, hist, int(params))

    entry, was_cached = cached_teacher(run.cache_dir("teachers"), definition, make)
    return _load(entry, was_cached)


def torch_teacher_module(cfg: RunConfig, teacher: Teacher, shape: tuple, n_classes: int):
    """The teacher as a float-twin module (for Teacher Intervention), its weights from the cache."""
    import torch

    from .torch_build import build_torch_model

    model = build_torch_model(cfg, shape, n_classes, quantized=False)
    model.load_state_dict(torch.load(teacher.entry / TORCH_FILE, weights_only=True))
    model.eval()
    return model


def load_torch_teacher_file(cfg: RunConfig, path: Path, shape: tuple, n_classes: int | None):
    """A ``torch.export`` program (``.pt2``), a TorchScript file, or a state dict loaded into the
    run's float twin.

    Raises:
        ConfigError: unreadable, a state dict of another architecture, or shapes that do not fit.
    """
    import torch

    if path.suffix == ".pt2":  # torch.export.save
        model = torch.export.load(str(path)).module()
    else:
        try:
            model = torch.jit.load(str(path), map_location="cpu")
        except (RuntimeError, ValueError):
            model = _state_dict_teacher(cfg, path, shape, n_classes)
    if hasattr(model, "eval"):
        model.eval()
    try:
        with torch.no_grad():
            out = model(torch.zeros((2, *shape)))
    except Exception as e:  # noqa: BLE001 - whatever the file's model raises is one user error
        first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        raise ConfigError(
            f"train.distill.path {path}: the teacher cannot take a batch of inputs of shape {shape} "
            f"({first}); a torch.export program needs a dynamic batch dimension"
        ) from None
    if n_classes is not None and tuple(out.shape) != (2, n_classes):
        raise ConfigError(
            f"train.distill.path {path}: the teacher gives outputs of shape {tuple(out.shape)[1:]} for "
            f"inputs {shape}, the data have {n_classes} classes"
        )
    return model


def _state_dict_teacher(cfg: RunConfig, path: Path, shape: tuple, n_classes: int | None):
    """The run's float twin with the state dict in ``path``.

    Raises:
        ConfigError: not a state dict, or one of another architecture.
    """
    import torch

    from .torch_build import build_torch_model

    try:
        state = torch.load(path, weights_only=True, map_location="cpu")
    except Exception as e:  # noqa: BLE001 - any unreadable file is one user error
        raise ConfigError(f"train.distill.path {path}: neither TorchScript nor a state dict ({e})") from None
    if not isinstance(state, dict):
        raise ConfigError(f"train.distill.path {path}: holds a {type(state).__name__}, not a state dict")
    model = build_torch_model(cfg, shape, n_classes or 1, quantized=False)
    own = model.state_dict()
    problems = model.load_state_dict(
        {k: v for k, v in state.items() if k not in own or own[k].shape == v.shape}, strict=False
    )
    bad = [k for k, v in state.items() if k in own and own[k].shape != v.shape]
    what = [*problems.missing_keys, *problems.unexpected_keys, *bad][:3]
    if what:
        raise ConfigError(
            f"train.distill.path {path}: not a state dict of this run's float twin (model.kind "
            f"{cfg.model.kind}); first mismatches: {', '.join(what)}"
        )
    return model


def check_torch_distill(config: RunConfig) -> None:
    """The PyTorch families' distillation settings, before any step.

    Raises:
        ConfigError: a float reference asked for, a teacher file that does not fit the data, or
            Teacher Intervention without attention modules or without a float-twin teacher.
    """
    from ..data.load import input_shape
    from ..train.distill import attention_modules
    from .torch_build import build_torch_model

    d = config.train.distill
    if d is None:
        return
    kind = config.model.kind
    if d.teacher == "float_reference":
        raise ConfigError(
            f"train.distill.teacher: model.kind {kind} has no wide float reference (the jet families "
            "have); use float_twin or file"
        )
    shape, c = tuple(input_shape(config.data)), n_classes_of(config)
    if d.teacher == "file":
        if not d.path.is_file():
            raise ConfigError(f"train.distill.path {d.path}: no such file")
        teacher = load_torch_teacher_file(config, d.path, shape, c)
        if d.intervention_epochs and not attention_modules(teacher):
            raise ConfigError(
                "train.distill.intervention_epochs: Teacher Intervention needs the teacher's attention "
                "modules: give a state dict of the run's float twin (TorchScript hides them)"
            )
    if d.intervention_epochs and not attention_modules(build_torch_model(config, shape, c or 1, False)):
        raise ConfigError(
            f"train.distill.intervention_epochs: model.kind {kind} has no attention modules to intervene "
            "on (Teacher Intervention is for transformers: model.kind vit)"
        )


# -- both ------------------------------------------------------------------------------------


def _splits(ds: SplitDataset) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    return ds.x_train, ds.x_val, ds.x_test


def _progress(run: Run, what: str):
    return lambda epoch, total, logs: run.progress(f"{what} epochs", epoch, total)


def _write(entry: Path, logits: TeacherLogits, ds: SplitDataset, history: dict, params: int) -> None:
    logits.save(entry / TEACHER_LOGITS)
    acc = {
        split: float((np.argmax(lg, 1) == y).mean())
        for split, lg, y in (("val", logits.val, ds.y_val), ("test", logits.test, ds.y_test))
        if y is not None
    }
    summary = {
        "accuracy": acc.get("test"),
        "val_accuracy": acc.get("val"),
        "history": history,
        "params": params,
    }
    (entry / TEACHER_SUMMARY).write_text(json.dumps(summary))


def record_teacher(out: Path, teacher: Teacher, n_test: int) -> Metric:
    """Copy the teacher's logits into the run's model folder (``teacher.npz``, ``teacher.json``)
    and return its test accuracy as a report metric."""
    from ..records import Metric

    shutil.copy(teacher.entry / TEACHER_LOGITS, out / "teacher.npz")
    info = {
        "cache_entry": str(teacher.entry),
        "was_cached": teacher.was_cached,
        "accuracy": teacher.summary.get("accuracy"),
        "definition": teacher.summary.get("definition"),
    }
    (out / "teacher.json").write_text(json.dumps(info, indent=2, default=str))
    what = teacher.summary.get("definition", {}).get("teacher", "teacher")
    return Metric(
        value=teacher.summary.get("accuracy"),
        unit="fraction",
        source=f"distillation teacher ({what}), evaluation on the test set",
        n=n_test,
        note="from the teacher cache" if teacher.was_cached else "trained for this run, now cached",
    )
