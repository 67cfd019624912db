"""Interruptions and concurrency through the real CLI: Ctrl-C and SIGTERM exit 130/143 with
one line and resume to the same numbers; kill -9 leaves no tool process behind; two runs
on one folder never corrupt it."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import textwrap
import time

import numpy as np
import pytest

from hwcodesign.flows import make_plan

from .sandbox import RUN_NAME, Sandbox, copy_run, numbers

FLOW = tuple(make_plan("keras_hls4ml").step_names)


@pytest.fixture
def sandbox(tmp_path) -> Sandbox:
    sb = Sandbox(tmp_path)
    sb.write_config()
    return sb


def test_kill9_of_the_caller_takes_the_whole_tool_tree_down(sandbox, tmp_path):
    """A tool that starts grandchildren (make -j2 running two sleeps) under run_logged; the
    Python caller is killed with SIGKILL; every process of the tree is gone within a second."""
    (tmp_path / "Makefile").write_text("all: a b\na:\n\tsleep 300\nb:\n\tsleep 300\n")
    caller = textwrap.dedent(
        f"""
        from pathlib import Path
        from hwcodesign.tools.process import run_logged
        run_logged("make", ["make", "-j2"], Path({str(tmp_path)!r}), Path({str(tmp_path / "make.log")!r}))
        """
    )
    proc = subprocess.Popen([sys.executable, "-c", caller], env=sandbox.env(), cwd=tmp_path)
    sandbox.wait_for(lambda: sum("sleep 300" in p for p in sandbox.tagged_processes()) == 2, 20, "two sleeps")
    sandbox.kill9_and_check_orphans(proc, grace_s=1.5)


def _interrupt_during_train(sandbox: Sandbox, tiny_run, sig: int) -> subprocess.Popen:
    copy_run(tiny_run.root, sandbox.run_dir, drop_from="train", flow=FLOW)
    proc = sandbox.start("run", sandbox.cfg, "--until", "train")
    sandbox.wait_for(lambda: (sandbox.run_dir / ".model.tmp").is_dir(), 120, "the train step", proc)
    time.sleep(3)  # well inside the training loop
    proc.send_signal(sig)
    proc.wait(timeout=60)
    return proc


@pytest.mark.parametrize("sig,code,what", [(signal.SIGINT, 130, "Ctrl-C"), (signal.SIGTERM, 143, "SIGTERM")])
def test_signal_exits_128_plus_signal_and_the_run_resumes(sandbox, tiny_run, sig, code, what):
    proc = _interrupt_during_train(sandbox, tiny_run, sig)
    err = proc.stderr.read()
    assert proc.returncode == code, err
    assert f"interrupted ({what}) during step 'train'" in err and "run the same command again" in err, err
    assert "Traceback" not in err, err
    record = json.loads((sandbox.run_dir / "steps" / "train.json").read_text())
    assert record["status"] == "failed" and record["message"].startswith("interrupted")
    assert not (sandbox.run_dir / "model").exists()  # nothing half-written looks complete
    if sig == signal.SIGTERM:  # resume once: the same model as the uninterrupted run
        res = sandbox.cli("run", sandbox.cfg, "--until", "train")
        assert res.code == 0, res.err
        again = np.load(sandbox.run_dir / "model" / "predictions.npz")
        ref = np.load(tiny_run.root / "model" / "predictions.npz")
        for k in ("float", "quantized"):
            np.testing.assert_array_equal(again[k], ref[k])


def test_sigterm_during_yosys_stops_every_stage_at_once(sandbox, tiny_run):
    """Yosys stages run on worker threads, whose waits no signal interrupts: SIGTERM must
    still end the run within seconds, with no Yosys left (not after the stages finish)."""
    copy_run(tiny_run.root, sandbox.run_dir, drop_from="synth", flow=FLOW)
    proc = sandbox.start("run", sandbox.cfg, "--until", "synth")
    sandbox.wait_for(
        lambda: sum("yosys" in p for p in sandbox.tagged_processes()) >= 2, 300, "Yosys running", proc
    )
    t0 = time.monotonic()
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=30) == 143, proc.stderr.read()
    assert time.monotonic() - t0 < 10
    assert "interrupted (SIGTERM) during step 'synth'" in proc.stderr.read()
    time.sleep(1.5)
    assert not [p for p in sandbox.tagged_processes() if "yosys" in p]


def test_kill9_during_the_verilator_build_leaves_no_process_and_resumes(sandbox, tiny_run):
    """The sandbox has its own (cold) cache, so the rtl step really builds with Verilator."""
    copy_run(tiny_run.root, sandbox.run_dir, drop_from="rtl", flow=FLOW)
    proc = sandbox.start("run", sandbox.cfg, "--until", "rtl")
    sandbox.wait_for(
        lambda: any("verilator" in p for p in sandbox.tagged_processes()), 180, "Verilator building", proc
    )
    time.sleep(1)
    sandbox.kill9_and_check_orphans(proc)
    assert not (sandbox.run_dir / "rtl").exists()
    res = sandbox.cli("run", sandbox.cfg, "--until", "rtl")
    assert res.code == 0, res.err
    assert f"the previous holder, PID {proc.pid}" in res.err and "ended without finishing" in res.err
    got = json.loads((sandbox.run_dir / "steps" / "rtl.json").read_text())["metrics"]
    ref = json.loads((tiny_run.root / "steps" / "rtl.json").read_text())["metrics"]
    for k in ("latency_cycles", "bit_exact_vs_hls4ml", "bit_exact_vs_keras", "accuracy_rtl"):
        assert got[k]["value"] == ref[k]["value"], k
    np.testing.assert_array_equal(
        np.load(sandbox.run_dir / "rtl" / "rtl_outputs.npz")["rtl"],
        np.load(tiny_run.root / "rtl" / "rtl_outputs.npz")["rtl"],
    )


def test_two_runs_on_one_folder(sandbox):
    """The second run stops at once naming the first; the first finishes and its records
    are consistent."""
    sandbox.write_config({"train.epochs": 3, "train.train_float": False})
    first = sandbox.start("run", sandbox.cfg, "--until", "train")
    sandbox.wait_for(
        lambda: (sandbox.run_dir / ".model.tmp").is_dir(), 120, "the first run's train step", first
    )
    second = sandbox.cli("run", sandbox.cfg, "--until", "train", "--force")
    assert second.code == 2, second.err
    assert len(second.error_lines()) == 1, second.err
    assert f"is in use by PID {first.pid}" in second.err, second.err
    assert first.wait(timeout=300) == 0, first.stderr.read()
    records = {
        s: json.loads((sandbox.run_dir / "steps" / f"{s}.json").read_text()) for s in ("data", "train")
    }
    assert all(r["status"] == "ok" for r in records.values())
    assert (sandbox.run_dir / "model" / "quantized.keras").is_file()


@pytest.mark.slow
@pytest.mark.parametrize("step", FLOW)
def test_kill9_in_each_step_then_resume_gives_the_same_report(tmp_path, tiny_run, step):
    """kill -9 inside every step of the tiny flow, then the same command: no process left,
    and the final report's numbers equal the uninterrupted run's. The sandbox's cache starts
    cold, so Verilator and Yosys really run."""
    sb = Sandbox(tmp_path)
    sb.write_config()
    copy_run(tiny_run.root, sb.run_dir, drop_from=step, flow=FLOW)
    proc = sb.start("run", sb.cfg)
    folder = {"train": "model", "convert": "hls", "synth": "synth"}.get(step, step)
    sb.wait_for(lambda: (sb.run_dir / f".{folder}.tmp").is_dir(), 300, f"step {step}", proc)
    if step in ("rtl", "synth"):  # until a tool runs
        sb.wait_for(lambda: len(sb.tagged_processes()) > 2, 300, "a tool process", proc)
    time.sleep(0.5)
    sb.kill9_and_check_orphans(proc)
    res = sb.cli("run", sb.cfg, timeout=1800)
    assert res.code == 0, res.err
    got = numbers(json.loads((sb.run_dir / "report" / "report.json").read_text()))
    ref = numbers(json.loads((tiny_run.root / "report" / "report.json").read_text()))
    assert got == ref
    assert RUN_NAME in str(sb.run_dir)
