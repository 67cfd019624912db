"""Hostile paths end to end: spaces, both quotes, ``;``, ``$(...)`` and non-ASCII letters in
every path-valued config field (runs_dir, model.path, data.path, data.cache_dir) and in the
cache folder. Nothing may reach a shell (no PWNED file anywhere) and every step works."""

from __future__ import annotations

import json
import shutil

import h5py
import numpy as np
import pytest
import yaml

from hwcodesign.data.jets import SAMPLE_FILE, load_pythia_file
from hwcodesign.data.pythia import CLASSES, KIN_COLUMNS

from .sandbox import RUN_NAME, Sandbox

HOSTILE = "we ird;$(touch PWNED)'\"ü µ"


def write_zenodo_file(path, kin: np.ndarray, labels: np.ndarray) -> None:
    """The committed sample in the hls4ml Zenodo HDF5 layout (columns found by name)."""
    names = {
        "pt": "j1_pt",
        "e": "j1_e",
        "ptrel": "j1_ptrel",
        "erel": "j1_erel",
        "deta": "j1_etarel",
        "dphi": "j1_phirel",
    }
    with h5py.File(path, "w") as h5:
        h5["jetConstituentList"] = kin
        h5["particleFeatureNames"] = np.array([names[c].encode() for c in KIN_COLUMNS])
        h5["jets"] = np.eye(len(CLASSES), dtype=np.float32)[labels]
        h5["jetFeatureNames"] = np.array([f"j_{c.lower()}".encode() for c in CLASSES])


def _pwned(sb: Sandbox) -> list[str]:
    return [str(p) for p in sb.root.rglob("PWNED")]


def test_hostile_paths_through_every_step(tmp_path, tiny_run):
    sb = Sandbox(tmp_path)
    hostile = tmp_path / HOSTILE
    (hostile / "in").mkdir(parents=True)
    shutil.copy(tiny_run.root / "model" / "quantized.keras", hostile / "in" / "my model;x.keras")
    kin, labels, _ = load_pythia_file(SAMPLE_FILE)
    write_zenodo_file(hostile / "in" / "jets $(x).h5", kin, labels)
    cfg = yaml.safe_load((tiny_run.root / "config.yaml").read_text())
    cfg.update(runs_dir=str(hostile / "runs"), name=RUN_NAME)
    cfg["data"].update(source="hls4ml_zenodo", path=str(hostile / "in" / "jets $(x).h5"))
    cfg["model"] = {"kind": "keras_file", "path": str(hostile / "in" / "my model;x.keras")}
    cfg["target"]["synth"]["yosys_timeout_s"] = 30  # enough for some stages: Yosys runs for real
    sb.cfg.write_text(yaml.safe_dump(cfg))

    res = sb.cli("run", sb.cfg, env=sb.env(XDG_CACHE_HOME=str(hostile / "cache")), timeout=900)
    assert res.code == 0, res.err[-3000:]
    assert not _pwned(sb)
    run_dir = hostile / "runs" / RUN_NAME
    report = json.loads((run_dir / "report" / "report.json").read_text())
    assert [s["step"] for s in report["steps"]] == [
        "data",
        "train",
        "convert",
        "rtl",
        "emulate",
        "synth",
        "package",
        "virtual_board",
    ]
    assert report["bit_exactness"]["hls4ml_vs_keras"]["value"] == 1.0
    assert report["bit_exactness"]["rtl_vs_hls4ml"]["value"] == 1.0
    assert (
        report["latency"]["latency_cycles"]["value"] == tiny_run.record("rtl").metrics["latency_cycles"].value
    )
    stages = report["layers"]["Pipeline stages (da4ml estimate, Yosys per stage)"]
    assert any("LUT" in row for row in stages), "Yosys synthesised no stage"
    assert list((hostile / "cache" / "hwcodesign" / "verilator").glob("*/.manifest.json"))


@pytest.mark.physics
def test_hostile_jet_cache_dir(tmp_path):
    pytest.importorskip("pythia8mc", reason="physics extra not installed (make physics)")
    sb = Sandbox(tmp_path)
    hostile = tmp_path / HOSTILE
    sb.write_config(
        {"data.source": "pythia", "data.jets_per_class": 10, "data.cache_dir": str(hostile / "jets")}
    )
    res = sb.cli("run", sb.cfg, "--until", "data")
    assert res.code == 0, res.err[-3000:]
    assert not _pwned(sb)
    assert len(list((hostile / "jets").glob("*/chunk.npz"))) == 5  # one chunk per class
