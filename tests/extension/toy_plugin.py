"""A plugin written outside hwcodesign, as a user would: a model family, a step, a board and a
flow, each added with one registration (``docs/extending.md`` shows the same code).

The family is a nearest-class-mean classifier (numpy: small enough for a test, real enough to
have an accuracy); the step reads the model step's predictions and the board of the run's
target, and contributes its own numbers to the report; the flow strings them together with
hwcodesign's own ``data``, ``train`` and ``report`` steps.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Literal

import numpy as np
from pydantic import Field

from hwcodesign.artifacts import load_dataset, load_predictions
from hwcodesign.boards import BOARDS, Board
from hwcodesign.config_base import Section
from hwcodesign.families import FAMILIES, ModelFamily
from hwcodesign.flows import register_flow
from hwcodesign.models.common import evaluate, finish_model_step
from hwcodesign.records import Metric, ReportPart, StepResult
from hwcodesign.steps import STEPS, StepSpec


class ToyConfig(Section):
    """The ``model:`` section of ``kind: toy_means``."""

    kind: Literal["toy_means"] = Field(description="Model family.")
    path: Path | None = Field(None, description="A .toy file (ignored: the model is trained here).")
    shrink: float = Field(0.0, ge=0, lt=1, description="Pull the class means toward the global mean.")


def check(config) -> None:
    """Cheap check before any step: the model needs labels."""
    from hwcodesign.data.load import has_labels
    from hwcodesign.errors import ConfigError

    if not has_labels(config.data):
        raise ConfigError("model.kind toy_means needs labelled data")


def prepare(run, out: Path) -> StepResult:
    """Train the nearest-class-mean model on the training split and evaluate it."""
    ds = load_dataset(run)
    x, y = ds.x_train.reshape(len(ds.x_train), -1), ds.y_train
    mean = x.mean(0)
    means = np.stack([x[y == c].mean(0) for c in range(len(ds.classes))])
    means = (1 - run.config.model.shrink) * means + run.config.model.shrink * mean
    np.save(out / "means.npy", means)
    xt = ds.x_test.reshape(len(ds.x_test), -1)
    logits = -((xt[:, None, :] - means[None]) ** 2).sum(-1)
    summary = {"quantized": evaluate(logits, ds, None, int(means.size))}
    metrics, report = finish_model_step(out, ds, {"quantized": logits}, summary, "toy nearest-mean model")
    return StepResult(metrics=metrics, report=report)


def step_toy_board(run, out: Path) -> StepResult:
    """How many of the test predictions a board-sized batch holds, and the board's clock."""
    preds = load_predictions(run)
    board = BOARDS.get(run.config.target.board)
    per_batch = board.bus_bits // 8
    (out / "toy.json").write_text(json.dumps({"board": board.name, "samples": len(preds.reference)}))
    m = {
        "toy_batches": Metric(
            value=-(-len(preds.reference) // per_batch), unit="batches", source=f"toy step on {board.name}"
        ),
        "toy_clock_mhz": Metric(value=board.default_clock_mhz, unit="MHz", source="toy board", kind="config"),
    }
    return StepResult(metrics=m, report=ReportPart(deployment=m, notes=[f"toy step ran for {board.name}"]))


# -- one registration each --------------------------------------------------------------
FAMILIES.register(
    ModelFamily(
        kind="toy_means",
        config=ToyConfig,
        prepare=prepare,
        check=check,
        flow="toy_flow",
        description="a nearest-class-mean classifier (toy plugin)",
        file_suffixes=(".toy",),
    )
)
STEPS.register(
    StepSpec(
        "toy_board",
        step_toy_board,
        "toy",
        ("predictions",),
        (),
        ("target.board",),
        "the toy plugin's step: batches of the test set on the run's board",
    )
)
BOARDS.register(
    Board(
        "toy-board",
        "xc7z020clg400-1",
        "Zynq-7000",
        "zynq-ps7",
        "axi-dma",
        125.0,
        True,
        64,
        None,
        {"part": "the toy plugin"},
    )
)
register_flow("toy_flow", ("data", "train", "toy_board", "report"), "the toy plugin's flow")
