"""Knowledge distillation for both trainers, Teacher Intervention for PyTorch transformers, and the
content cache of teacher predictions.

* Loss (Hinton et al. 2015): ``(1 - w) CE(labels, s) + w T^2 KL(softmax(t / T) || softmax(s / T))``
  with student logits ``s``, teacher logits ``t``, temperature ``T`` and weight ``w``; the ``T^2``
  keeps the soft term's gradients at the scale of the hard one.
* Teacher Intervention (Huang et al., EACL 2023): during the first epochs of QAT the float
  teacher's attention outputs replace the student's (forward hooks on modules marked
  ``is_attention``, teacher and student run on the same batch), so the layers after each
  attention learn from undisturbed signals, while a mean squared error pulls the student's own
  attention outputs to the teacher's; then the intervention is withdrawn.
* Teacher predictions are computed once per teacher and cached (``TEACHER_LOGITS`` in a
  :class:`~hwcodesign.cache.ContentCache` entry keyed by :func:`teacher_key`): several student
  seeds, bit widths or methods on the same data share one teacher.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from ..cache import ContentCache

if TYPE_CHECKING:
    from torch import Tensor, nn

    from ..data.splits import SplitDataset

__all__ = [
    "TeacherLogits",
    "TEACHER_LOGITS",
    "TEACHER_SUMMARY",
    "dataset_digest",
    "teacher_key",
    "cached_teacher",
    "kd_loss_torch",
    "attention_modules",
    "Intervention",
    "keras_distill_loss",
    "keras_label_accuracy",
    "pack_targets",
]

TEACHER_LOGITS = "logits.npz"
TEACHER_SUMMARY = "summary.json"
#: Bump when what a teacher entry holds, or how it is made, changes.
CACHE_VERSION = 1


@dataclass(frozen=True)
class TeacherLogits:
    """The teacher's logits on the three splits (rows aligned with the dataset's)."""

    train: np.ndarray
    val: np.ndarray
    test: np.ndarray

    def save(self, path: Path) -> None:
        np.savez(path, train=self.train, val=self.val, test=self.test)

    @classmethod
    def load(cls, path: Path) -> TeacherLogits:
        with np.load(path) as z:
            return cls(z["train"], z["val"], z["test"])


def dataset_digest(ds: SplitDataset) -> str:
    """SHA-256 of the arrays of the three splits (the data step's output content; the npz file's
    own bytes carry a time stamp, so two runs on the same data would differ)."""
    h = hashlib.sha256()
    for a in (ds.x_train, ds.y_train, ds.x_val, ds.y_val, ds.x_test, ds.y_test):
        if a is not None:
            arr = np.ascontiguousarray(a)
            h.update(f"{arr.dtype}{arr.shape}".encode())
            h.update(arr.tobytes())
    return h.hexdigest()


def teacher_key(definition: dict[str, Any]) -> str:
    """Cache key of a teacher: its definition (data digest, architecture, training settings)."""
    text = json.dumps({"version": CACHE_VERSION, **definition}, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:24]


def cached_teacher(
    folder: Path, definition: dict[str, Any], make: Callable[[Path], None]
) -> tuple[Path, bool]:
    """The cache entry of a teacher, made by ``make(entry)`` when absent: it writes
    :data:`TEACHER_LOGITS` (a :class:`TeacherLogits`), :data:`TEACHER_SUMMARY` and the model.
    Returns (entry folder, whether it was already there)."""

    def make_entry(entry: Path) -> None:
        make(entry)
        summary = json.loads((entry / TEACHER_SUMMARY).read_text())
        (entry / TEACHER_SUMMARY).write_text(json.dumps({**summary, "definition": definition}, default=str))

    return ContentCache(folder).get_or_make(teacher_key(definition), make_entry)


# -- PyTorch ---------------------------------------------------------------------------------


def kd_loss_torch(
    logits: Tensor, labels: Tensor, teacher: Tensor, temperature: float, weight: float
) -> Tensor:
    """``(1 - w) CE + w T^2 KL(teacher / T || student / T)``, averaged over the batch."""
    import torch.nn.functional as F  # noqa: N812

    hard = F.cross_entropy(logits, labels)
    if weight == 0:
        return hard
    t = temperature
    soft = F.kl_div(
        F.log_softmax(logits / t, dim=-1),
        F.log_softmax(teacher / t, dim=-1),
        log_target=True,
        reduction="batchmean",
    )
    return (1 - weight) * hard + weight * t * t * soft


def attention_modules(model: nn.Module) -> dict[str, nn.Module]:
    """The modules Teacher Intervention acts on (marked ``is_attention = True``), by name."""
    return {name: m for name, m in model.named_modules() if getattr(m, "is_attention", False)}


class Intervention:
    """Teacher Intervention on one batch: the teacher's attention outputs replace the student's.

    ``logits, mse = Intervention(student, teacher)(xb)`` runs the teacher (no gradients) and then
    the student with forward hooks that record each student attention output and return the
    teacher's instead; ``mse`` is the mean over attention modules of the mean squared error
    between the two. The hooks exist only inside the call.

    Raises:
        ValueError: the two models do not have the same attention modules (names).
    """

    def __init__(self, student: nn.Module, teacher: nn.Module) -> None:
        self.student, self.teacher = attention_modules(student), attention_modules(teacher)
        if not self.student or sorted(self.student) != sorted(self.teacher):
            raise ValueError(
                f"Teacher Intervention needs the same attention modules in student and teacher; student "
                f"{sorted(self.student) or 'none'}, teacher {sorted(self.teacher) or 'none'}"
            )
        self.teacher_model = teacher
        self.calls = 0  # batches intervened (for tests and logs)

    def __call__(self, student: nn.Module, xb: Tensor) -> tuple[Tensor, Tensor]:
        import torch

        t_out: dict[str, Tensor] = {}
        s_out: dict[str, Tensor] = {}
        hooks = [
            m.register_forward_hook(lambda mod, i, o, n=name: t_out.__setitem__(n, o.detach()))
            for name, m in self.teacher.items()
        ]
        try:
            self.teacher_model.eval()
            with torch.no_grad():
                self.teacher_model(xb)
        finally:
            for h in hooks:
                h.remove()

        def replace(name: str):
            def hook(mod, inputs, output):
                s_out[name] = output
                return t_out[name]

            return hook

        hooks = [m.register_forward_hook(replace(name)) for name, m in self.student.items()]
        try:
            logits = student(xb)
        finally:
            for h in hooks:
                h.remove()
        mse = torch.stack([torch.mean((s_out[n] - t_out[n]) ** 2) for n in self.student]).mean()
        self.calls += 1
        return logits, mse


# -- Keras -----------------------------------------------------------------------------------


def pack_targets(labels: np.ndarray, teacher: np.ndarray) -> np.ndarray:
    """Labels and teacher logits as one target array (column 0: the label) for ``model.fit``."""
    return np.concatenate([labels.reshape(-1, 1).astype(np.float32), teacher.astype(np.float32)], axis=1)


def keras_distill_loss(temperature: float, weight: float):
    """A Keras loss on :func:`pack_targets` targets (registered, so saved models reload)."""
    import keras

    @keras.saving.register_keras_serializable(package="hwcodesign")
    class DistillLoss(keras.losses.Loss):
        """``(1 - w) CE + w T^2 KL(teacher / T || student / T)``; y_true = [label, teacher logits]."""

        def __init__(self, temperature: float = 4.0, weight: float = 0.5, **kwargs) -> None:
            super().__init__(name=kwargs.pop("name", "distill"), **kwargs)
            self.temperature, self.weight = float(temperature), float(weight)

        def call(self, y_true, y_pred):
            from keras import ops

            labels = ops.cast(y_true[:, 0], "int32")
            hard = keras.losses.sparse_categorical_crossentropy(labels, y_pred, from_logits=True)
            t = self.temperature
            log_p_s = ops.log_softmax(y_pred / t, axis=-1)
            log_p_t = ops.log_softmax(y_true[:, 1:] / t, axis=-1)
            soft = ops.sum(ops.exp(log_p_t) * (log_p_t - log_p_s), axis=-1)
            return (1 - self.weight) * hard + self.weight * t * t * soft

        def get_config(self) -> dict:
            return {**super().get_config(), "temperature": self.temperature, "weight": self.weight}

    return DistillLoss(temperature, weight)


def keras_label_accuracy():
    """Accuracy on :func:`pack_targets` targets, named ``accuracy`` (so ``val_accuracy`` is logged)."""
    import keras
    from keras import ops

    @keras.saving.register_keras_serializable(package="hwcodesign")
    def accuracy(y_true, y_pred):
        labels = ops.cast(y_true[:, 0], "int32")
        return ops.cast(ops.equal(ops.cast(ops.argmax(y_pred, axis=-1), "int32"), labels), "float32")

    return accuracy
