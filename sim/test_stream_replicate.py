"""hls/stream_replicate in Verilator: every output carries every beat once, in order, while the
outputs stall independently; one beat per cycle and 1 cycle latency without stalls."""

from __future__ import annotations

import subprocess

import numpy as np
import pytest
from axis import assert_same, random_ints, to_signed
from harness import Bench, kernel_sources, run_bench
from hwcodesign.hls.stream_replicate.reference import check_params, stream_replicate

from hwcodesign.errors import KernelParameterError

# (W, P, K): two builds
CONFIGS = {"P1-K2": (9, 1, 2), "P4-K4": (8, 4, 4)}


def run(tmp_path, rng, config: str, beats: int, gap: int, stall: int, seed: int = 1) -> dict:
    w, p, k = CONFIGS[config]
    check_params(w, p, k)
    x = random_ints(rng, (beats, p), w)
    bench = Bench(
        "stream_replicate",
        kernel_sources("stream_replicate"),
        {"W": w, "P": p, "K": k},
        "tb_stream_replicate",
        {"gap_pct": gap, "stall_pct": stall, "seed": seed},
    )
    out = run_bench(bench, {"x": x & ((1 << w) - 1)}, tmp_path, seed)
    for i, expected in enumerate(stream_replicate(x, k)):
        assert_same(to_signed(out[f"y{i}"], w), expected, f"output {i}")
    return out


@pytest.mark.parametrize("config", list(CONFIGS))
def test_replicate_full_rate(tmp_path, rng, config):
    """No gaps, no stalls: one beat per cycle in and out, every copy 1 cycle after its input beat."""
    k = CONFIGS[config][2]
    out = run(tmp_path, rng, config, 100, 0, 0)
    cin = np.asarray(out["in_cycles"])
    assert (np.diff(cin) == 1).all(), "input not taken at 1 beat per cycle"
    for i in range(k):
        latency = np.asarray(out[f"out_cycles{i}"]) - cin
        assert (latency == 1).all(), f"output {i}: latency {np.unique(latency)} cycles, expected 1"


@pytest.mark.parametrize("config", list(CONFIGS))
def test_replicate_independent_stalls(tmp_path, rng, config):
    """Each output has its own random back-pressure (30 %), the input random gaps (30 %)."""
    run(tmp_path, rng, config, 400, 30, 30)


@pytest.mark.slow
@pytest.mark.parametrize("gap, stall, seed", [(0, 60, 2), (50, 30, 3), (70, 10, 4)])
@pytest.mark.parametrize("config", list(CONFIGS))
def test_replicate_long_random(tmp_path, config, gap, stall, seed):
    run(tmp_path, np.random.default_rng(seed), config, 4000, gap, stall, seed)


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


def test_replicate_refuses_bad_parameters():
    """The Python check and the RTL elaboration ($error) refuse the same impossible parameters."""
    with pytest.raises(KernelParameterError):
        check_params(8, 4, 5)
    good = {"W": 8, "P": 4, "K": 2}
    assert elaborate("stream_replicate", good).returncode == 0, "the good parameters do not elaborate"
    bad = elaborate("stream_replicate", {**good, "K": 5})
    assert bad.returncode != 0 and "K must be 2, 3 or 4" in bad.stderr, bad.stderr[-2000:]
