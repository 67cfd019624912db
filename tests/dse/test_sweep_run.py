"""Real sweeps on a LocalCluster: the tiny jet tagger's model step (HGQ2 QAT on the committed
Pythia8 sample) as the trial, so each trial takes seconds, not minutes."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import yaml

from hwcodesign.dse import load_sweep
from hwcodesign.dse.trial import attempts_file
from hwcodesign.errors import ConfigError

REPO = Path(__file__).resolve().parents[2]


def _write_spec(tmp_path: Path, tiny_config_dict: dict, **spec) -> Path:
    base = dict(tiny_config_dict)
    base["data"] = {**base["data"], "jets_per_class": 300}
    base["train"] = {**base["train"], "epochs": 2, "train_float": False}
    (tmp_path / "base.yaml").write_text(yaml.safe_dump(base))
    raw = {
        "name": "s",
        "base": "base.yaml",
        "runs_dir": "sweeps",
        "until": "train",
        "objectives": [
            {"metric": "accuracy_quantized", "direction": "maximize"},
            {"metric": "ebops", "direction": "minimize"},
        ],
        "cluster": {"kind": "local", "workers": 1},
        **spec,
    }
    path = tmp_path / "sweep.yaml"
    path.write_text(yaml.safe_dump(raw))
    return path


def _trials(spec):
    from hwcodesign.dse.sweep import open_study

    return open_study(spec, create=False).get_trials(deepcopy=False)


def test_failed_trial_is_stored_with_its_error_and_a_second_run_redoes_nothing(tmp_path, tiny_config_dict):
    from hwcodesign.dse.sweep import run_sweep

    spec = load_sweep(
        _write_spec(
            tmp_path, tiny_config_dict, axes={"model.num_heads": {"values": [2, 3]}}, sampler={"kind": "grid"}
        )
    )
    updates = []
    run_sweep(spec, updates.append)
    trials = {t.params["model.num_heads"]: t for t in _trials(spec)}
    assert sorted(trials) == [2, 3]
    bad, good = trials[3], trials[2]
    assert bad.state.name == "FAIL"
    assert "embed_dim" in bad.user_attrs["error"] and "\n" not in bad.user_attrs["error"]
    assert good.state.name == "COMPLETE"
    # the stored objectives are the trial run's own numbers
    record = json.loads((Path(good.user_attrs["run"]) / "steps" / "train.json").read_text())
    assert good.values[0] == pytest.approx(record["metrics"]["accuracy_quantized"]["value"])
    assert good.values[1] == pytest.approx(record["metrics"]["ebops"]["value"])
    assert updates[-1].total == 2 and updates[-1].done == 1 and updates[-1].failed == 1

    trained = (Path(good.user_attrs["run"]) / "steps" / "train.json").stat().st_mtime_ns
    run_sweep(spec)
    assert len(_trials(spec)) == 2
    assert (Path(good.user_attrs["run"]) / "steps" / "train.json").stat().st_mtime_ns == trained

    from hwcodesign.dse.report import write_sweep_report

    index = write_sweep_report(open_study_of(spec), spec)
    page = index.read_text()
    assert "embed_dim" in page and (index.parent / "trials.csv").is_file()


def open_study_of(spec):
    from hwcodesign.dse.sweep import open_study

    return open_study(spec, create=False)


def test_a_worker_killed_mid_trial_is_retried_and_counted_once(tmp_path, tiny_config_dict):
    from hwcodesign.dse.sweep import run_sweep

    spec = load_sweep(
        _write_spec(tmp_path, tiny_config_dict, axes={"model.embed_dim": {"values": [8]}}, trials=1)
    )
    spec = spec.model_copy(update={"fixed": {"train.epochs": 8}})
    trial = spec.folder / "trials" / "trial_0000"
    attempts_log = attempts_file(trial)
    killed: list[int] = []

    def kill_the_worker_once_it_trains() -> None:
        deadline = time.monotonic() + 600
        while time.monotonic() < deadline:
            if attempts_log.is_file() and (trial / "steps" / "train.log").is_file():
                pid = json.loads(attempts_log.read_text().splitlines()[0])["pid"]
                time.sleep(2)  # well inside the training
                os.kill(pid, signal.SIGKILL)
                killed.append(pid)
                return
            time.sleep(0.2)

    killer = threading.Thread(target=kill_the_worker_once_it_trains, daemon=True)
    killer.start()
    run_sweep(spec)
    killer.join(5)
    assert killed, "the trial never started training"
    (t,) = _trials(spec)
    assert t.state.name == "COMPLETE" and t.number == 0
    attempts = [json.loads(line) for line in attempts_log.read_text().splitlines()]
    assert len(attempts) == 2 and attempts[0]["pid"] == killed[0] != attempts[1]["pid"]
    assert t.user_attrs["attempts"] == 2


@pytest.mark.slow
def test_kill9_of_the_driver_then_the_same_command_finishes_every_trial_once(tmp_path, tiny_config_dict):
    import sqlite3

    path = _write_spec(
        tmp_path,
        tiny_config_dict,
        axes={"model.embed_dim": {"values": [4, 8]}, "quantization.beta_final": {"log_range": [1e-7, 1e-5]}},
        trials=5,
        sampler={"kind": "random", "seed": 3},
        cluster={"kind": "local", "workers": 2},
    )
    spec = load_sweep(path)
    cmd = [sys.executable, "-m", "hwcodesign", "sweep", "run", str(path)]
    db = spec.folder / "study.db"

    def finished() -> list[int]:
        if not db.is_file():
            return []
        with sqlite3.connect(db) as c:
            return [n for (n,) in c.execute("select number from trials where state = 'COMPLETE'")]

    driver = subprocess.Popen(cmd, cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 900
    while len(finished()) < 2 and time.monotonic() < deadline and driver.poll() is None:
        time.sleep(0.5)
    done_before = finished()
    assert len(done_before) >= 2 and driver.poll() is None
    driver.send_signal(signal.SIGKILL)
    driver.wait()

    again = subprocess.run(cmd, cwd=tmp_path, capture_output=True, text=True, timeout=1800)
    assert again.returncode == 0, again.stderr[-3000:]
    with sqlite3.connect(db) as c:
        rows = c.execute("select number, state from trials order by number").fetchall()
    assert [n for n, _ in rows] == list(range(5)), rows  # distinct, none lost
    assert all(state == "COMPLETE" for _, state in rows), rows
    for n in done_before:  # finished before the kill: not run again
        attempts = attempts_file(spec.folder / "trials" / f"trial_{n:04d}").read_text().splitlines()
        assert len(attempts) == 1


def test_trials_start_from_a_finished_run_and_keep_its_trained_model(tmp_path, tiny_config_dict):
    """``start_from``: each trial folder begins as a copy of the base run; the trained model is
    reused (same record, not retrained), a step the axis changes re-runs."""
    from hwcodesign.config import config_from_dict
    from hwcodesign.dse.sweep import run_sweep
    from hwcodesign.flows import run_flow

    path = _write_spec(
        tmp_path,
        tiny_config_dict,
        until="convert",
        start_from="base_runs/base",
        axes={"target.clock_ns": {"values": [4.0, 5.0]}},
        sampler={"kind": "grid"},
        objectives=[{"metric": "accuracy_quantized", "direction": "maximize"}],
    )
    spec = load_sweep(path)
    with pytest.raises(ConfigError, match="start_from: .* is not a run folder"):
        run_sweep(spec)
    raw = yaml.safe_load((tmp_path / "base.yaml").read_text())
    raw.update(name="base", runs_dir=str(tmp_path / "base_runs"))
    run_flow(config_from_dict(raw), until="train")
    base_train = json.loads((tmp_path / "base_runs" / "base" / "steps" / "train.json").read_text())

    run_sweep(spec)
    trials = _trials(spec)
    assert [t.state.name for t in trials] == ["COMPLETE", "COMPLETE"]
    for t in trials:
        steps = Path(t.user_attrs["run"]) / "steps"
        train = json.loads((steps / "train.json").read_text())
        assert train["started_at"] == base_train["started_at"]  # copied and cached, not retrained
        assert t.values[0] == pytest.approx(base_train["metrics"]["accuracy_quantized"]["value"])
        convert = json.loads((steps / "convert.json").read_text())
        assert convert["status"] == "ok"
