"""PyTorch training for Brevitas QAT models and their float twins."""

from __future__ import annotations

import copy
import logging
from typing import TYPE_CHECKING

import numpy as np

from ..config import TrainConfig
from ..data.splits import SplitDataset
from .keras_qat import EpochCallback

if TYPE_CHECKING:
    from torch import nn

__all__ = ["fit_torch", "predict_torch"]

log = logging.getLogger(__name__)


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
    model: nn.Module, data: SplitDataset, cfg: TrainConfig, on_epoch: EpochCallback | None = None
) -> dict[str, list[float]]:
    """AdamW + cosine schedule with warm-up, early stopping on validation accuracy; the best
    weights are restored. Returns the history (loss, accuracy, val_accuracy per epoch)."""
    import torch

    torch.manual_seed(cfg.seed)
    rng = np.random.default_rng(cfg.seed)
    opt = torch.optim.AdamW(model.parameters(), lr=cfg.learning_rate, weight_decay=cfg.weight_decay)
    steps_per_epoch = int(np.ceil(len(data.y_train) / cfg.batch_size))
    sched = torch.optim.lr_scheduler.OneCycleLR(
        opt, max_lr=cfg.learning_rate, pct_start=0.1, total_steps=steps_per_epoch * cfg.epochs
    )
    loss_fn = torch.nn.CrossEntropyLoss()
    x_train = torch.from_numpy(data.x_train)
    y_train = torch.from_numpy(data.y_train.astype(np.int64))
    history: dict[str, list[float]] = {"loss": [], "accuracy": [], "val_accuracy": []}
    best, best_acc, since_best = None, -1.0, 0
    for epoch in range(cfg.epochs):
        model.train()
        order = torch.from_numpy(rng.permutation(len(y_train)))
        total, correct, seen = 0.0, 0, 0
        for i in range(0, len(order), cfg.batch_size):
            idx = order[i : i + cfg.batch_size]
            xb, yb = x_train[idx], y_train[idx]
            opt.zero_grad()
            logits = model(xb)
            loss = loss_fn(logits, yb)
            loss.backward()
            opt.step()
            sched.step()
            total += loss.item() * len(idx)
            correct += int((logits.argmax(1) == yb).sum())
            seen += len(idx)
        val_acc = float((predict_torch(model, data.x_val).argmax(1) == data.y_val).mean())
        history["loss"].append(total / seen)
        history["accuracy"].append(correct / seen)
        history["val_accuracy"].append(val_acc)
        log.info(
            "epoch %d: loss %.4f acc %.4f val_acc %.4f", epoch + 1, total / seen, correct / seen, val_acc
        )
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
