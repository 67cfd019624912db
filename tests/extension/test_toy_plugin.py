"""docs/extending.md, checked: a model family, a step, a board and a flow added from outside the
package, each with one registration, run end to end; and plugins found through entry points."""

from __future__ import annotations

import json
import sys
import textwrap

import numpy as np
import pytest

import hwcodesign as hw
from hwcodesign.registry import Registry


@pytest.fixture(scope="module")
def toy():
    from . import toy_plugin

    yield toy_plugin
    from hwcodesign.boards import BOARDS
    from hwcodesign.families import FAMILIES
    from hwcodesign.flows import FLOWS
    from hwcodesign.steps import STEPS

    FAMILIES.unregister("toy_means")
    STEPS.unregister("toy_board")
    BOARDS.unregister("toy-board")
    FLOWS.unregister("toy_flow")


def test_toy_family_step_board_and_flow_run_end_to_end(toy, tmp_path):
    from sklearn.datasets import load_digits

    x, y = load_digits(return_X_y=True)
    model_file = tmp_path / "mine.toy"
    model_file.write_text("toy")  # the family is chosen by the file's suffix
    handle = hw.run(
        model_file,
        data=(x.astype(np.float32), y),
        target={"board": "toy-board"},
        runs_dir=tmp_path / "runs",
        model__shrink=0.1,
        progress=False,
    )
    cfg = handle.config
    assert cfg.model.kind == "toy_means" and cfg.flow == "toy_flow"
    assert cfg.target.part == "xc7z020clg400-1" and cfg.target.clock_ns == pytest.approx(8.0)
    plan = json.loads((handle.root / "plan.json").read_text())
    assert [s["name"] for s in plan["steps"]] == ["data", "train", "toy_board", "report"]
    assert plan["artifacts"]["predictions"] == "model/predictions.npz"

    report = handle.report
    n_test = len(np.load(handle.root / "model" / "predictions.npz")["quantized"])
    assert report.data["deployment"]["toy_batches"]["value"] == -(-n_test // 8)
    # the family's accuracy, recomputed from its stored predictions
    with np.load(handle.root / "model" / "predictions.npz") as f:
        acc = float((f["quantized"].argmax(1) == f["labels"]).mean())
    assert report.data["accuracy"]["quantized"]["value"] == pytest.approx(acc)
    assert acc > 0.8, acc  # nearest class means on digits: a real classifier
    assert "toy step ran for toy-board" in report.notes


def test_toy_flow_refuses_a_family_made_by_another_model_step(toy, tmp_path):
    from hwcodesign.errors import ConfigError

    with pytest.raises(ConfigError, match=r"model.kind vit is made by step 'train_torch'.*flow toy_flow"):
        hw.make_config(
            config={
                "name": "v",
                "model": {"kind": "vit"},
                "quantization": {"framework": "brevitas"},
                "flow": "toy_flow",
            }
        )


def test_plugins_come_in_through_entry_points(tmp_path, monkeypatch):
    """A package that declares an entry point in ``hwcodesign.<plural>`` is loaded on first use."""
    pkg = tmp_path / "site"
    (pkg / "toy_boards_pkg").mkdir(parents=True)
    (pkg / "toy_boards_pkg" / "__init__.py").write_text(
        textwrap.dedent(
            """
            from hwcodesign.boards import Board
            BOARD = Board("ep-board", "xczu7ev-ffvc1156-2-e", "Zynq UltraScale+", "zynq-ps8", "axi-dma",
                          100.0, True, 64, None, {"part": "entry point test"})
            """
        )
    )
    dist = pkg / "toy_boards_pkg-1.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: toy-boards-pkg\nVersion: 1.0\n")
    (dist / "entry_points.txt").write_text("[hwcodesign.test_boards]\nep = toy_boards_pkg:BOARD\n")
    monkeypatch.syspath_prepend(str(pkg))
    registry = Registry("test board", group="hwcodesign.test_boards")
    assert registry.get("ep-board").part == "xczu7ev-ffvc1156-2-e"
    with pytest.raises(Exception, match=r"unknown test board 'nope'; known: ep-board"):
        registry.get("nope")
    assert "toy_boards_pkg" in sys.modules
