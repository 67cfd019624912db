"""Shared fixtures: seeded RNGs, a fresh run folder per test, and the tiny jet run."""

from __future__ import annotations

import os
import random
from pathlib import Path

import numpy as np
import pytest

REPO = Path(__file__).resolve().parents[1]

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")


@pytest.fixture(autouse=True)
def _seed_everything():
    random.seed(1234)
    np.random.seed(1234)
    yield


#: A folder name that breaks anything that passes paths through a shell, make or a script:
#: spaces, both quotes, ``;``, ``$(...)`` and non-ASCII letters.
HOSTILE_NAME = "we ird;$(touch PWNED)'\"ü µ"


@pytest.fixture
def hostile_dir(tmp_path: Path, monkeypatch) -> Path:
    """``tmp_path/<HOSTILE_NAME>``; the test fails if anything ran ``touch PWNED``."""
    d = tmp_path / HOSTILE_NAME
    d.mkdir()
    monkeypatch.chdir(tmp_path)
    yield d
    pwned = [p for p in (tmp_path, d, REPO, Path.cwd()) if (p / "PWNED").exists()]
    assert not pwned, f"a path reached a shell: PWNED created in {pwned}"


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(1234)


@pytest.fixture
def tiny_config_dict(tmp_path: Path) -> dict:
    """The tiny jet tagger config, with its run folder under tmp_path."""
    import yaml

    raw = yaml.safe_load((REPO / "configs" / "jet_tagger_tiny.yaml").read_text())
    raw["runs_dir"] = str(tmp_path / "runs")
    return raw


def execute_notebook(name: str, runs: Path):
    """Execute notebooks/<name> with its runs folder redirected to ``runs``."""
    import nbformat
    from nbclient import NotebookClient

    nb = nbformat.read(REPO / "notebooks" / name, as_version=4)
    old = os.environ.get("HWCODESIGN_RUNS_DIR")
    os.environ["HWCODESIGN_RUNS_DIR"] = str(runs)
    try:
        NotebookClient(
            nb, timeout=1200, kernel_name="python3", resources={"metadata": {"path": str(REPO / "notebooks")}}
        ).execute()
    finally:
        if old is None:
            del os.environ["HWCODESIGN_RUNS_DIR"]
        else:
            os.environ["HWCODESIGN_RUNS_DIR"] = old
    return nb


@pytest.fixture(scope="session")
def tiny_notebook(tmp_path_factory):
    """Execute notebooks/01_jet_tagger.ipynb (the tiny jet tagger, every step, for real).

    This is one of the suite's end-to-end runs; the report tests read the run it leaves.
    Returns (executed notebook, run folder).
    """
    runs = tmp_path_factory.mktemp("nb") / "runs"
    return execute_notebook("01_jet_tagger.ipynb", runs), runs / "jet_tagger_tiny"


@pytest.fixture(scope="session")
def vit_notebook(tmp_path_factory):
    """Execute notebooks/02_lowbit_vit.ipynb (the tiny ViT through the PyTorch flow)."""
    runs = tmp_path_factory.mktemp("nb_vit") / "runs"
    return execute_notebook("02_lowbit_vit.ipynb", runs), runs / "vit_digits_tiny"


@pytest.fixture(scope="session")
def tiny_run(tiny_notebook):
    from hwcodesign.run import Run

    return Run.open(tiny_notebook[1])


def mismatch_message(a: np.ndarray, b: np.ndarray, what: str) -> str:
    """Count, fraction and a few samples of mismatching rows, for assert messages."""
    a2, b2 = a.reshape(len(a), -1), b.reshape(len(b), -1)
    bad = np.flatnonzero(np.any(a2 != b2, axis=1))
    rows = "; ".join(f"#{i}: {a2[i][:6]} vs {b2[i][:6]}" for i in bad[:3])
    return f"{what}: {len(bad)} of {len(a2)} differ ({len(bad) / max(1, len(a2)):.2%}); {rows}"


@pytest.fixture(scope="session")
def mlp_run(tmp_path_factory):
    """The 4-bit MLP on digits through the whole PyTorch flow (Brevitas -> QONNX -> finn-plus
    RTL layers in Verilator, hls4ml): one of the suite's end-to-end runs."""
    import yaml

    from hwcodesign.config import config_from_dict
    from hwcodesign.flows import run_flow

    raw = yaml.safe_load((REPO / "configs" / "mlp_digits.yaml").read_text())
    raw["runs_dir"] = str(tmp_path_factory.mktemp("mlp") / "runs")
    raw["train"].update(epochs=40, patience=10)
    return run_flow(config_from_dict(raw))
