"""cocotb side of the kernel benches: AXI-Stream ports driven with cocotbext-axi.

Conventions of every kernel in ``hls/`` (see ``hls/README.md``): clock ``ap_clk``, active-low
synchronous reset ``ap_rst_n``, input streams ``s_axis[_<name>]_{tdata,tvalid,tready}``,
output streams ``m_axis[_<name>]_{tdata,tvalid,tready}``, ``P`` elements per beat with
element ``k`` in bits ``[k*W +: W]`` (as finn-plus packs them), no ``tlast``.

cocotbext-axi's ``byte_lanes``/``byte_size`` are the elements per beat and the element width,
so a "frame" here is a list of elements, packed into beats by the library.
"""

from __future__ import annotations

import json
import os
import random
from pathlib import Path

import cocotb
import numpy as np
from cocotb.clock import Clock
from cocotb.triggers import ClockCycles, Combine, First, RisingEdge
from cocotbext.axi import AxiStreamBus, AxiStreamSink, AxiStreamSource

__all__ = [
    "bench_dir",
    "settings",
    "stimulus",
    "write_outputs",
    "start",
    "source",
    "sink",
    "to_signed",
    "read_exactly",
    "Cycles",
    "exchange",
    "random_ints",
    "assert_same",
]


def bench_dir() -> Path:
    return Path(os.environ["HWCD_BENCH_DIR"])


def settings() -> dict:
    """``bench.json``: the HDL parameters and the bench's own settings (gaps, stalls, ...)."""
    return json.loads((bench_dir() / "bench.json").read_text())


def stimulus() -> dict[str, np.ndarray]:
    with np.load(bench_dir() / "stimulus.npz") as f:
        return {k: f[k] for k in f.files}


def write_outputs(**arrays) -> None:
    np.savez(bench_dir() / "outputs.npz", **arrays)


async def start(dut, period_ns: int = 4) -> None:
    """Start the clock and hold reset for a few cycles."""
    cocotb.start_soon(Clock(dut.ap_clk, period_ns, unit="ns").start())
    dut.ap_rst_n.value = 0
    await ClockCycles(dut.ap_clk, 4)
    dut.ap_rst_n.value = 1
    await RisingEdge(dut.ap_clk)


def _pauses(pct: int, seed: int):
    """An endless pause pattern: each cycle paused with probability pct %."""
    rng = random.Random(seed)
    while True:
        yield rng.random() * 100 < pct


def source(dut, prefix: str, lanes: int, width: int, gap_pct: int = 0, seed: int = 1) -> AxiStreamSource:
    """An AXI-Stream source on ``<prefix>_*`` with random ``tvalid`` gaps."""
    src = AxiStreamSource(
        AxiStreamBus.from_prefix(dut, prefix),
        dut.ap_clk,
        dut.ap_rst_n,
        reset_active_level=False,
        byte_lanes=lanes,
    )
    assert src.byte_size == width, f"{prefix}: tdata is {src.width} bits, expected {lanes} x {width}"
    if gap_pct:
        src.set_pause_generator(_pauses(gap_pct, seed))
    return src


def sink(dut, prefix: str, lanes: int, width: int, stall_pct: int = 0, seed: int = 2) -> AxiStreamSink:
    """An AXI-Stream sink on ``<prefix>_*`` with random ``tready`` back-pressure."""
    snk = AxiStreamSink(
        AxiStreamBus.from_prefix(dut, prefix),
        dut.ap_clk,
        dut.ap_rst_n,
        reset_active_level=False,
        byte_lanes=lanes,
    )
    assert snk.byte_size == width, f"{prefix}: tdata is {snk.width} bits, expected {lanes} x {width}"
    if stall_pct:
        snk.set_pause_generator(_pauses(stall_pct, seed))
    return snk


def to_signed(values, width: int) -> np.ndarray:
    """Two's complement reading of unsigned ``width``-bit fields."""
    v = np.asarray(values, dtype=np.int64)
    return np.where(v >= 1 << (width - 1), v - (1 << width), v)


async def read_exactly(snk: AxiStreamSink, n: int) -> list[int]:
    """The next ``n`` elements the sink receives (``AxiStreamSink.read`` returns what it has)."""
    got: list[int] = []
    while len(got) < n:
        got += await snk.read(n - len(got))
    return got


class Cycles:
    """Clock cycle of every accepted beat on a stream (``tvalid & tready``), from reset."""

    def __init__(self, dut, prefix: str) -> None:
        self.valid = getattr(dut, f"{prefix}_tvalid")
        self.ready = getattr(dut, f"{prefix}_tready")
        self.clk = dut.ap_clk
        self.beats: list[int] = []
        cocotb.start_soon(self._watch())

    async def _watch(self) -> None:
        cycle = 0
        while True:
            await RisingEdge(self.clk)
            cycle += 1
            if self.valid.value == 1 and self.ready.value == 1:
                self.beats.append(cycle)


async def _drain(snk: AxiStreamSink, n: int, got: list[int]) -> None:
    while len(got) < n:
        got += await snk.read(n - len(got))


async def exchange(
    dut,
    sends: list[tuple[AxiStreamSource, list[int]]],
    reads: list[tuple[AxiStreamSink, int]],
    timeout_cycles: int = 200_000,
) -> list[list[int]]:
    """Feed every ``(source, elements)`` and drain every ``(sink, n)`` at the same time (several
    input and output streams); the elements each sink received, in the order of ``reads``.

    Raises:
        AssertionError: some sink still lacks elements after ``timeout_cycles`` (a deadlock, or
            beats lost); the message gives how many each sink got.
    """
    got: list[list[int]] = [[] for _ in reads]
    for src, elements in sends:
        cocotb.start_soon(src.send(list(elements)))
    tasks = [cocotb.start_soon(_drain(snk, n, g)) for (snk, n), g in zip(reads, got, strict=True)]
    await First(Combine(*tasks), ClockCycles(dut.ap_clk, timeout_cycles))
    if not all(t.done() for t in tasks):
        counts = ", ".join(f"{len(g)} of {n}" for (_, n), g in zip(reads, got, strict=True))
        raise AssertionError(f"timeout after {timeout_cycles} cycles: the sinks got {counts} elements")
    return got


def random_ints(
    rng: np.random.Generator, shape: tuple[int, ...], width: int, signed: bool = True
) -> np.ndarray:
    """Random ``width``-bit integers (int64) with the edge values planted: the first elements are
    the minimum, the maximum, -1 (signed) and 0, and one element in eight is the minimum or maximum."""
    lo, hi = (-(1 << (width - 1)), (1 << (width - 1)) - 1) if signed else (0, (1 << width) - 1)
    x = rng.integers(lo, hi + 1, size=shape, dtype=np.int64)
    flat = x.reshape(-1)
    edges = [lo, hi, -1, 0] if signed else [lo, hi, 1]
    flat[: len(edges)] = edges[: flat.size]
    n = flat.size // 8
    flat[rng.choice(flat.size, size=n, replace=False)] = rng.choice([lo, hi], size=n)
    return x


def assert_same(got, expected: np.ndarray, what: str) -> None:
    """Bit-exact comparison; the message gives the mismatch count and the first mismatches.

    Raises:
        AssertionError: ``got`` (reshaped to ``expected``) differs anywhere.
    """
    expected = np.asarray(expected)
    got = np.asarray(got).reshape(expected.shape)
    bad = np.argwhere(got != expected)
    if bad.size:
        first = [(tuple(int(i) for i in ix), int(got[tuple(ix)]), int(expected[tuple(ix)])) for ix in bad[:5]]
        raise AssertionError(
            f"{what}: {len(bad)} of {expected.size} elements differ; first (index, got, expected): {first}"
        )
