"""Build a kernel of ``hls/`` in Verilator and run its cocotb testbench on given stimulus.

The pytest side (``sim/test_<kernel>.py``) makes the inputs and the expected outputs (from the
kernel's NumPy reference, ``hls/<kernel>/reference.py``), calls :func:`run_bench`, and compares
bit for bit. The cocotb side (``sim/tb_<kernel>.py``) only drives the design: it reads
``stimulus.npz`` and ``bench.json`` from ``$HWCD_BENCH_DIR`` and writes ``outputs.npz``
(what the design produced, plus cycle counts) back, using the AXI-Stream helpers of
``sim/axis.py``.

Verilator builds are cached by content (sources, top, parameters, Verilator version) in
``$XDG_CACHE_HOME/hwcodesign/cocotb``, so a second run of the same bench only simulates.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
HLS = REPO / "hls"
SIM = REPO / "sim"

__all__ = ["Bench", "run_bench", "kernel_sources", "REPO", "HLS"]


def kernel_sources(*kernels: str) -> list[Path]:
    """The SystemVerilog files of the named kernels (``hls/<kernel>/*.sv``), in name order."""
    files: list[Path] = []
    for k in kernels:
        found = sorted((HLS / k).glob("*.sv"))
        if not found:
            raise FileNotFoundError(f"hls/{k}/ has no .sv file")
        files += found
    return files


@dataclass
class Bench:
    """One build + run of a kernel bench."""

    top: str  # HDL top module
    sources: list[Path]
    parameters: dict[str, int]
    tb_module: str  # cocotb test module in sim/, e.g. "tb_shiftmax"
    settings: dict = field(default_factory=dict)  # passed to the testbench (bench.json)

    def key(self) -> str:
        from importlib.metadata import version

        h = hashlib.sha256()
        for f in self.sources:
            h.update(f.name.encode())
            h.update(f.read_bytes())
        h.update(json.dumps([self.top, sorted(self.parameters.items()), version("verilator")]).encode())
        return h.hexdigest()[:20]


def _verilator_env() -> dict[str, str]:
    from hwcodesign.tools.verilator import environment

    return environment()


def _build(bench: Bench, out: Path) -> None:
    from cocotb_tools.runner import get_runner

    os.environ.update(_verilator_env())  # cocotb's runner looks for `verilator` on PATH
    runner = get_runner("verilator")
    runner.build(
        sources=[str(s) for s in bench.sources],
        hdl_toplevel=bench.top,
        parameters=bench.parameters,
        build_args=[
            "-Wno-fatal",
            "-Werror-USERERROR",  # $error in a kernel's parameter checks stops the build
            "-Wno-WIDTH",
            "--x-assign",
            "unique",
            "--x-initial",
            "unique",
        ],
        build_dir=out,
        log_file=out / "build.log",
    )


def build(bench: Bench) -> Path:
    """The Verilator build folder of ``bench`` (made once, then taken from the cache)."""
    from hwcodesign.cache import ContentCache, cache_dir

    folder, _ = ContentCache(cache_dir("cocotb")).get_or_make(bench.key(), lambda out: _build(bench, out))
    return folder


def run_bench(bench: Bench, stimulus: dict[str, np.ndarray], workdir: Path, seed: int = 1) -> dict:
    """Build (cached) and run the cocotb testbench; return the arrays the testbench wrote.

    Raises:
        AssertionError: a cocotb test failed (its log is in ``workdir/sim.log``).
    """
    from cocotb_tools.check_results import get_results
    from cocotb_tools.runner import get_runner

    build_dir = build(bench)
    workdir.mkdir(parents=True, exist_ok=True)
    np.savez(workdir / "stimulus.npz", **stimulus)
    (workdir / "bench.json").write_text(json.dumps({"parameters": bench.parameters, **bench.settings}))
    os.environ.update(_verilator_env())
    runner = get_runner("verilator")
    results = runner.test(
        test_module=bench.tb_module,
        hdl_toplevel=bench.top,
        hdl_toplevel_lang="verilog",
        build_dir=build_dir,
        test_dir=workdir,
        seed=seed,
        extra_env={
            "HWCD_BENCH_DIR": str(workdir),
            "PYTHONPATH": os.pathsep.join([str(SIM), str(REPO), *sys.path]),
        },
        log_file=workdir / "sim.log",
    )
    _, failed = get_results(results)
    if failed:
        tail = (workdir / "sim.log").read_text()[-3000:]
        raise AssertionError(f"{failed} cocotb test(s) failed in {bench.tb_module}; log tail:\n{tail}")
    with np.load(workdir / "outputs.npz") as f:
        return {k: f[k] for k in f.files}
