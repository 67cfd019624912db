"""PyTorch training for Brevitas QAT models and their float twins, with optional distillation
from a teacher's cached logits and Teacher Intervention (``train/distill.py``)."""

from __future__ import annotations

import copy
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from ..config import TrainConfig
from ..data.splits import SplitDataset
from .distill import Intervention, TeacherLogits, kd_loss_torch
from .keras_qat import EpochCallback

if TYPE_CHECKING:
    from torch import Tensor, nn

__all__ = ["fit_torch", "predict_torch", "TorchTeacher"]

log = logging.getLogger(__name__)

#: loss(model, xb, yb, idx, epoch) -> (loss, logits) of one batch (``idx``: rows of x_train).
BatchLoss = Callable[[Any, "Tensor", "Tensor", "Tensor", int], tuple["Tensor", "Tensor"]]


@dataclass(frozen=True)
class TorchTeacher:
    """What a student distils from: the teacher's logits, and for Teacher Intervention the teacher
    itself (a float model with the student's attention modules)."""

    logits: TeacherLogits
    module: Any = None


def predict_torch(model: nn.Module, x: np.ndarray, batch_size: int = 512) -> np.ndarray:
    """Logits for ``x`` in eval mode (float64 copy of the float32 outputs)."""
    import torch

    model.eval()
    outs = []
    with torch.no_grad():
        for i in range(0, len(x), batch_size):
            outs.append(model(torch.from_numpy(np.ascontiguousarray(x[i : i + batch_size]))).numpy())
    return np.concatenate(outs)


def fit_torch(
    model: nn.Module,
    data: SplitDataset,
    cfg: TrainConfig,
    on_epoch: EpochCallback | None = None,
    teacher: TorchTeacher | None = None,
) -> dict[str, list[float]]:
    """AdamW + cosine schedule with warm-up, early stopping on validation accuracy; the best
    weights are restored. With ``cfg.distill`` and ``teacher`` the loss is the distillation loss
    (and Teacher Intervention runs for ``distill.intervention_epochs``). Returns the history
    (loss, accuracy, val_accuracy, intervention per epoch)."""
    import torch

    torch.manual_seed(cfg.seed)
    rng = np.random.default_rng(cfg.seed)
    opt = torch.optim.AdamW(model.parameters(), lr=cfg.learning_rate, weight_decay=cfg.weight_decay)
    steps_per_epoch = int(np.ceil(len(data.y_train) / cfg.batch_size))
    sched = torch.optim.lr_scheduler.OneCycleLR(
        opt, max_lr=cfg.learning_rate, pct_start=0.1, total_steps=steps_per_epoch * cfg.epochs
    )
    batch_loss, intervening = _batch_loss(model, cfg, teacher)
    x_train = torch.from_numpy(data.x_train)
    y_train = torch.from_numpy(data.y_train.astype(np.int64))
    history: dict[str, list[float]] = {"loss": [], "accuracy": [], "val_accuracy": [], "intervention": []}
    best, best_acc, since_best = None, -1.0, 0
    for epoch in range(cfg.epochs):
        model.train()
        order = torch.from_numpy(rng.permutation(len(y_train)))
        total, correct, seen = 0.0, 0, 0
        for i in range(0, len(order), cfg.batch_size):
            idx = order[i : i + cfg.batch_size]
            xb, yb = x_train[idx], y_train[idx]
            opt.zero_grad()
            loss, logits = batch_loss(model, xb, yb, idx, epoch)
            loss.backward()
            opt.step()
            sched.step()
            total += loss.item() * len(idx)
            correct += int((logits.argmax(1) == yb).sum())
            seen += len(idx)
        val_acc = float((predict_torch(model, data.x_val).argmax(1) == data.y_val).mean())
        _log_epoch(history, epoch, total / seen, correct / seen, val_acc, intervening(epoch))
        if on_epoch is not None:
            on_epoch(epoch + 1, cfg.epochs, {"loss": total / seen, "val_accuracy": val_acc})
        if val_acc > best_acc:
            best, best_acc, since_best = copy.deepcopy(model.state_dict()), val_acc, 0
        else:
            since_best += 1
            if since_best >= cfg.patience:
                break
    if best is not None:
        model.load_state_dict(best)
    model.eval()
    return history


def _log_epoch(history: dict, epoch: int, loss: float, acc: float, val_acc: float, intervened: bool) -> None:
    for key, value in (("loss", loss), ("accuracy", acc), ("val_accuracy", val_acc)):
        history[key].append(value)
    history["intervention"].append(float(intervened))
    log.info(
        "epoch %d: loss %.4f acc %.4f val_acc %.4f%s",
        epoch + 1,
        loss,
        acc,
        val_acc,
        " (teacher intervention)" if intervened else "",
    )


def _batch_loss(
    model: nn.Module, cfg: TrainConfig, teacher: TorchTeacher | None
) -> tuple[BatchLoss, Callable[[int], bool]]:
    """The loss of one batch (cross-entropy, or distillation with optional Teacher Intervention)
    and whether the intervention is on in an epoch.

    Raises:
        ValueError: Teacher Intervention without a teacher model, or without attention modules.
    """
    import torch

    d = cfg.distill
    if d is None or teacher is None:
        ce = torch.nn.CrossEntropyLoss()

        def plain(m, xb, yb, idx, epoch):
            logits = m(xb)
            return ce(logits, yb), logits

        return plain, lambda epoch: False
    t_train = torch.from_numpy(np.asarray(teacher.logits.train, np.float32))
    intervene = None
    if d.intervention_epochs:
        if teacher.module is None:
            raise ValueError("Teacher Intervention needs the teacher model, not only its logits")
        intervene = Intervention(model, teacher.module)

    def on(epoch: int) -> bool:
        return intervene is not None and epoch < d.intervention_epochs

    def distilled(m, xb, yb, idx, epoch):
        if on(epoch):
            logits, mse = intervene(m, xb)
            extra = d.intervention_weight * mse
        else:
            logits, extra = m(xb), 0.0
        return kd_loss_torch(logits, yb, t_train[idx], d.temperature, d.weight) + extra, logits

    return distilled, on
