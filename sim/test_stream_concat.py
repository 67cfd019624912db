"""hls/stream_concat in Verilator: the joined stream equals the NumPy reference, under independent
valid gaps per input and back-pressure; one beat per cycle and 1 cycle latency without stalls."""

from __future__ import annotations

import subprocess

import numpy as np
import pytest
from axis import assert_same, random_ints, to_signed
from harness import Bench, kernel_sources, run_bench
from hwcodesign.hls.stream_concat.reference import hdl_parameters, stream_concat

from hwcodesign.errors import KernelParameterError

# (W, P, slice sizes): two builds, K = 2 at P = 1 and K = 4 at P = 4
CONFIGS = {"P1-K2": (9, 1, (3, 5)), "P4-K4": (8, 4, (8, 4, 12, 8))}


def run(tmp_path, rng, config: str, rows: int, gap: int, stall: int, seed: int = 1) -> dict:
    w, p, sizes = CONFIGS[config]
    xs = [random_ints(rng, (rows, c), w) for c in sizes]
    bench = Bench(
        "stream_concat",
        kernel_sources("stream_concat"),
        hdl_parameters(w, p, sizes),
        "tb_stream_concat",
        {"gap_pct": gap, "stall_pct": stall, "seed": seed},
    )
    out = run_bench(bench, {f"x{k}": x & ((1 << w) - 1) for k, x in enumerate(xs)}, tmp_path, seed)
    assert_same(to_signed(out["y"], w), stream_concat(xs), "output")
    return out


@pytest.mark.parametrize("config", list(CONFIGS))
def test_concat_full_rate(tmp_path, rng, config):
    """No gaps, no stalls: one beat per cycle out, every beat leaves 1 cycle after it came in."""
    w, p, sizes = CONFIGS[config]
    rows = 12
    out = run(tmp_path, rng, config, rows, 0, 0)
    cout = np.asarray(out["out_cycles"])
    assert len(cout) == rows * sum(sizes) // p and (np.diff(cout) == 1).all(), (
        "output not at 1 beat per cycle"
    )
    src = np.tile(np.repeat(np.arange(len(sizes)), np.asarray(sizes) // p), rows)  # input of each output beat
    for k in range(len(sizes)):
        latency = cout[src == k] - np.asarray(out[f"in_cycles{k}"])
        assert (latency == 1).all(), f"input {k}: latency {np.unique(latency)} cycles, expected 1"


@pytest.mark.parametrize("config", list(CONFIGS))
def test_concat_gaps_and_stalls(tmp_path, rng, config):
    run(tmp_path, rng, config, rows=40, gap=30, stall=30)


@pytest.mark.slow
@pytest.mark.parametrize("gap, stall, seed", [(10, 60, 2), (50, 30, 3), (70, 10, 4)])
@pytest.mark.parametrize("config", list(CONFIGS))
def test_concat_long_random(tmp_path, config, gap, stall, seed):
    run(tmp_path, np.random.default_rng(seed), config, rows=400, gap=gap, stall=stall, seed=seed)


def elaborate(top: str, parameters: dict[str, int]) -> subprocess.CompletedProcess:
    """``verilator --lint-only`` of the kernel with these parameters (warnings, USERERROR included, fatal)."""
    from hwcodesign.tools.verilator import environment, find

    params = [f"-G{k}={v}" for k, v in parameters.items()]
    args = [
        str(find()),
        "--lint-only",
        "-Wno-WIDTH",
        "--top-module",
        top,
        *params,
        *map(str, kernel_sources(top)),
    ]
    return subprocess.run(args, env=environment(), capture_output=True, text=True, timeout=120)


def test_concat_refuses_bad_parameters():
    """The Python check and the RTL elaboration ($error) refuse the same impossible parameters."""
    with pytest.raises(KernelParameterError):
        hdl_parameters(8, 4, (6, 16))
    good = hdl_parameters(8, 4, (8, 16))
    assert elaborate("stream_concat", good).returncode == 0, "the good parameters do not elaborate"
    bad = elaborate("stream_concat", {**good, "C0": 6})
    assert bad.returncode != 0 and "multiple of P" in bad.stderr, bad.stderr[-2000:]
