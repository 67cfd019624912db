"""hls/stream_transpose in Verilator: a stream of matrices comes out transposed, equal to the
NumPy reference, under valid gaps and back-pressure; without stalls one beat per cycle in and
out across matrices (ping-pong) and the first beat 3 cycles after the matrix's last."""

from __future__ import annotations

import subprocess

import numpy as np
import pytest
from axis import assert_same, random_ints, to_signed
from harness import Bench, kernel_sources, run_bench
from hwcodesign.hls.stream_transpose.reference import check_params, stream_transpose

from hwcodesign.errors import KernelParameterError

# (W, P, T, C): two builds (odd sizes at P = 1; T/P = 2, C/P = 3 at P = 4); tiny ViT in the slow set
CONFIGS = {"P1": (8, 1, 3, 5), "P4": (8, 4, 8, 12)}
SLOW_CONFIGS = {**CONFIGS, "P2-vit": (8, 2, 16, 32)}
LATENCY = 3  # cycles from a matrix's last input beat to its first output beat


def run(tmp_path, rng, shape: tuple[int, int, int, int], matrices: int, gap: int, stall: int, seed: int = 1):
    w, p, t, c = shape
    check_params(w, p, t, c)
    x = random_ints(rng, (matrices, t, c), w)
    bench = Bench(
        "stream_transpose",
        kernel_sources("stream_transpose"),
        {"W": w, "P": p, "T": t, "C": c},
        "tb_stream_transpose",
        {"gap_pct": gap, "stall_pct": stall, "seed": seed},
    )
    out = run_bench(bench, {"x": x & ((1 << w) - 1)}, tmp_path, seed)
    assert_same(to_signed(out["y"], w), stream_transpose(x), "output")
    return out


@pytest.mark.parametrize("config", list(CONFIGS))
def test_transpose_full_rate(tmp_path, rng, config):
    """No gaps, no stalls: T*C/P cycles per matrix in and out, no bubble between matrices."""
    w, p, t, c = CONFIGS[config]
    out = run(tmp_path, rng, CONFIGS[config], 4, 0, 0)
    cin, cout = np.asarray(out["in_cycles"]), np.asarray(out["out_cycles"])
    beats = t * c // p
    assert (np.diff(cin) == 1).all(), f"input stalled: gaps {np.unique(np.diff(cin))}"
    assert (np.diff(cout) == 1).all(), f"output has bubbles: gaps {np.unique(np.diff(cout))}"
    assert cout[0] - cin[beats - 1] == LATENCY, (
        f"first beat {cout[0] - cin[beats - 1]} cycles after the matrix"
    )


@pytest.mark.parametrize("config", list(CONFIGS))
def test_transpose_gaps_and_stalls(tmp_path, rng, config):
    run(tmp_path, rng, CONFIGS[config], 5, 30, 30)


@pytest.mark.slow
@pytest.mark.parametrize("gap, stall, seed", [(10, 60, 2), (50, 30, 3), (70, 10, 4)])
@pytest.mark.parametrize("config", list(SLOW_CONFIGS))
def test_transpose_long_random(tmp_path, config, gap, stall, seed):
    run(tmp_path, np.random.default_rng(seed), SLOW_CONFIGS[config], 20, gap, stall, seed)


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


def test_transpose_refuses_bad_parameters():
    """The Python check and the RTL elaboration ($error) refuse the same impossible parameters."""
    with pytest.raises(KernelParameterError):
        check_params(8, 4, 6, 12)
    good = {"W": 8, "P": 4, "T": 8, "C": 12}
    assert elaborate("stream_transpose", good).returncode == 0, "the good parameters do not elaborate"
    bad = elaborate("stream_transpose", {**good, "T": 6})
    assert bad.returncode != 0 and "P must divide T and C" in bad.stderr, bad.stderr[-2000:]
