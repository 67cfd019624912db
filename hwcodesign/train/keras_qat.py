"""Keras training: the float twin and HGQ2 quantization-aware training with EBOPs control, with
optional distillation from a teacher's cached logits (``train/distill.py``)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from ..config import HGQQuantConfig, TrainConfig
from ..data.splits import SplitDataset

if TYPE_CHECKING:
    import keras

    from .distill import TeacherLogits

__all__ = ["fit_keras", "calibrate_hgq", "model_ebops", "count_weights", "EpochCallback", "PARETO_NAME"]

log = logging.getLogger(__name__)

#: File names of HGQ2's in-training Pareto checkpoints (``key=value`` fields split by ``-``).
PARETO_NAME = "epoch={epoch}-val_accuracy={val_accuracy:.5f}-ebops={ebops:.0f}.keras"

#: on_epoch(epoch, total_epochs, logs) is called after every epoch (for progress bars).
EpochCallback = Callable[[int, int, dict], None]


def fit_keras(
    model: keras.Model,
    data: SplitDataset,
    cfg: TrainConfig,
    quant: HGQQuantConfig | None = None,
    on_epoch: EpochCallback | None = None,
    pareto_dir: Path | None = None,
    teacher: TeacherLogits | None = None,
) -> dict[str, list[float]]:
    """Train with Adam + cosine decay and early stopping on validation accuracy.

    For HGQ2 models (``quant`` given) the EBOPs regularisation strength follows a log
    schedule from ``beta_initial`` to ``beta_final`` and EBOPs are logged each epoch.
    The best weights (validation accuracy) are restored. Returns the history. With
    ``pareto_dir``, HGQ2's ``ParetoFront`` keeps every epoch not dominated in (validation
    accuracy, EBOPs) there, the metrics in the file names (see :data:`PARETO_NAME`). With
    ``cfg.distill`` and ``teacher``, the loss is the distillation loss on the teacher's logits.
    """
    import keras

    keras.utils.set_random_seed(cfg.seed)
    steps = int(np.ceil(len(data.y_train) / cfg.batch_size)) * cfg.epochs
    schedule = keras.optimizers.schedules.CosineDecay(cfg.learning_rate, steps, alpha=0.05)
    y_train, y_val = data.y_train, data.y_val
    if cfg.distill is not None and teacher is not None:
        from .distill import keras_distill_loss, keras_label_accuracy, pack_targets

        loss = keras_distill_loss(cfg.distill.temperature, cfg.distill.weight)
        metrics: list = [keras_label_accuracy()]
        y_train, y_val = pack_targets(y_train, teacher.train), pack_targets(y_val, teacher.val)
    else:
        loss, metrics = keras.losses.SparseCategoricalCrossentropy(from_logits=True), ["accuracy"]
    model.compile(optimizer=keras.optimizers.Adam(schedule), loss=loss, metrics=metrics)
    hist = model.fit(
        data.x_train,
        y_train,
        validation_data=(data.x_val, y_val),
        epochs=cfg.epochs,
        batch_size=cfg.batch_size,
        callbacks=_callbacks(cfg, quant, on_epoch, pareto_dir),
        verbose=0,
        shuffle=True,
    )
    return {k: [float(v) for v in vals] for k, vals in hist.history.items()}


def _callbacks(
    cfg: TrainConfig, quant: HGQQuantConfig | None, on_epoch: EpochCallback | None, pareto_dir: Path | None
) -> list:
    """Early stopping, and for HGQ2 the EBOPs logging, beta schedule and Pareto checkpoints."""
    import keras

    callbacks: list = [
        keras.callbacks.EarlyStopping(
            monitor="val_accuracy", patience=cfg.patience, restore_best_weights=True, mode="max"
        )
    ]
    if quant is not None:
        from hgq.utils.sugar import BetaScheduler, FreeEBOPs, PieceWiseSchedule

        callbacks.append(FreeEBOPs())
        if quant.beta_final > 0 and quant.beta_initial > 0:
            sched = PieceWiseSchedule(
                [(0, quant.beta_initial, "log"), (cfg.epochs, quant.beta_final, "constant")]
            )
            callbacks.append(BetaScheduler(sched))
        if pareto_dir is not None:
            from hgq.utils.sugar import ParetoFront

            callbacks.append(ParetoFront(pareto_dir, ["val_accuracy", "ebops"], [1, -1], PARETO_NAME))
    if on_epoch is not None:
        callbacks.append(_EpochReporter(on_epoch, cfg.epochs))
    return callbacks


def count_weights(model: keras.Model) -> int:
    """Weights and biases (not HGQ2's bit-width variables)."""
    return int(sum(np.prod(w.shape) for w in model.weights if w.name in ("kernel", "bias")))


def calibrate_hgq(model: keras.Model, x: np.ndarray) -> int:
    """Set the integer bits of WRAP quantizers from the data range (needed for bit-exact
    hardware) and return the model's exact EBOPs afterwards."""
    from hgq.utils import trace_minmax

    return int(trace_minmax(model, x, batch_size=1024, verbose=0))


def model_ebops(model: keras.Model) -> int:
    """Sum of the current EBOPs of all HGQ2 layers."""
    from hgq.layers import QLayerBase
    from keras import ops

    return int(
        sum(
            float(ops.convert_to_numpy(layer._ebops))
            for layer in model._flatten_layers()
            if isinstance(layer, QLayerBase) and layer.enable_ebops
        )
    )


class _EpochReporter:
    """Adapter from a Keras callback to a plain function."""

    def __new__(cls, fn: EpochCallback, total: int):
        import keras

        class Reporter(keras.callbacks.Callback):
            def on_epoch_end(self, epoch, logs=None):
                fn(epoch + 1, total, dict(logs or {}))

        return Reporter()
