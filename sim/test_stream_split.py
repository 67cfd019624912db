"""hls/stream_split in Verilator: every slice equals the NumPy reference, under valid gaps and
independent back-pressure per output; one beat per cycle and 1 cycle latency without stalls."""

from __future__ import annotations

import subprocess

import numpy as np
import pytest
from axis import assert_same, random_ints, to_signed
from harness import Bench, kernel_sources, run_bench
from hwcodesign.hls.stream_split.reference import hdl_parameters, stream_split

from hwcodesign.errors import KernelParameterError

# (W, P, slice sizes): two builds, K = 2 at P = 1 and K = 4 at P = 4
CONFIGS = {"P1-K2": (9, 1, (3, 5)), "P4-K4": (8, 4, (8, 4, 12, 8))}


def run(tmp_path, rng, config: str, rows: int, gap: int, stall: int, seed: int = 1) -> dict:
    w, p, sizes = CONFIGS[config]
    x = random_ints(rng, (rows, sum(sizes)), w)
    bench = Bench(
        "stream_split",
        kernel_sources("stream_split"),
        hdl_parameters(w, p, sizes),
        "tb_stream_split",
        {"gap_pct": gap, "stall_pct": stall, "seed": seed},
    )
    out = run_bench(bench, {"x": x & ((1 << w) - 1)}, tmp_path, seed)
    for k, expected in enumerate(stream_split(x, sizes)):
        assert_same(to_signed(out[f"y{k}"], w), expected, f"output {k}")
    return out


@pytest.mark.parametrize("config", list(CONFIGS))
def test_split_full_rate(tmp_path, rng, config):
    """No gaps, no stalls: one beat per cycle in, every beat leaves 1 cycle after it came in."""
    w, p, sizes = CONFIGS[config]
    rows = 12
    out = run(tmp_path, rng, config, rows, 0, 0)
    cin = np.asarray(out["in_cycles"])
    assert len(cin) == rows * sum(sizes) // p and (np.diff(cin) == 1).all(), (
        "input not taken at 1 beat per cycle"
    )
    dest = np.tile(
        np.repeat(np.arange(len(sizes)), np.asarray(sizes) // p), rows
    )  # output of each input beat
    for k in range(len(sizes)):
        latency = np.asarray(out[f"out_cycles{k}"]) - cin[dest == k]
        assert (latency == 1).all(), f"output {k}: latency {np.unique(latency)} cycles, expected 1"


@pytest.mark.parametrize("config", list(CONFIGS))
def test_split_gaps_and_stalls(tmp_path, rng, config):
    run(tmp_path, rng, config, rows=40, gap=30, stall=30)


@pytest.mark.slow
@pytest.mark.parametrize("gap, stall, seed", [(10, 60, 2), (50, 30, 3), (70, 10, 4)])
@pytest.mark.parametrize("config", list(CONFIGS))
def test_split_long_random(tmp_path, config, gap, stall, seed):
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


def test_split_refuses_bad_parameters():
    """The Python check and the RTL elaboration ($error) refuse the same impossible parameters."""
    with pytest.raises(KernelParameterError):
        hdl_parameters(8, 4, (8, 6))
    good = hdl_parameters(8, 4, (8, 16))
    assert elaborate("stream_split", good).returncode == 0, "the good parameters do not elaborate"
    bad = elaborate("stream_split", {**good, "C1": 6})
    assert bad.returncode != 0 and "multiple of P" in bad.stderr, bad.stderr[-2000:]
