"""The virtual board: the deployment package's own accelerator RTL in Verilator behind a
model of the board's DMA, offering the driver the PYNQ objects it uses (``allocate``,
``axi_dma_0.sendchannel / recvchannel .transfer() / .wait()``). ``predict`` and
``throughput_test`` of ``driver.py`` run unchanged against it.

Timing: the RTL is cycle-accurate; the DMA is a model with stated parameters
(``DmaModel``): bus width (the package's), beats per burst and idle cycles between bursts
for the memory side, and a fixed processor-side cost per transfer (descriptor set-up,
cache maintenance, interrupt). Runtimes are ``cycles / fclk + ps_overhead``: kind
``simulated`` in the report, never presented as measured on a board.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from ..tools import verilator
from ..tools.process import run_logged

__all__ = ["DmaModel", "VirtualBoard", "build_board_sim", "TESTBENCH"]

TESTBENCH = Path(__file__).resolve().parents[1] / "sim" / "axis_board_tb.cpp"


@dataclass(frozen=True)
class DmaModel:
    """Parameters of the DMA model (all stated in the report next to its numbers)."""

    burst_beats: int = 16  # AXI DMA default max burst length (c_mm2s_burst_size)
    burst_gap_cycles: int = 8  # idle cycles between bursts: DDR / interconnect latency, assumed
    ps_overhead_us: float = 25.0  # processor-side cost per transfer (PYNQ transfer + wait), assumed
    valid_gap_pct: int = 0  # random tvalid gaps on MM2S (0 on a healthy board; used by tests)
    stall_pct: int = 0  # random tready stalls on S2MM
    seed: int = 1

    def describe(self) -> str:
        return ", ".join(f"{k}={v}" for k, v in asdict(self).items())


def build_board_sim(deploy: Path, workdir: Path, cache_dir: Path | None = None) -> tuple[Path, dict]:
    """The Verilator model of the package's accelerator (``deploy/ip``) with the DMA testbench."""
    spec = json.loads((deploy / "accelerator.json").read_text())
    ip = deploy / "ip"
    sources = tuple(ip / f for f in spec["sim_sources"])
    workdir.mkdir(parents=True, exist_ok=True)
    top = spec["top"]
    (workdir / "tb_config.h").write_text(
        f'#pragma once\n#include "V{top}.h"\n#define TOP_CLASS V{top}\n#define BUS {spec["bus_bits"]}\n'
    )
    include = tuple(d for d in (ip / "src", ip / "src" / "static", ip, workdir) if d.is_dir())
    return verilator.build_cached(
        spec["top"],
        sources,
        TESTBENCH,
        workdir,
        include,
        verilator.BuildOptions(cxx_opt="-O1"),
        cache_dir,
        extra_args=spec.get("verilator_args", []),
    )


class _Buffer(np.ndarray):
    """A numpy array standing in for a PYNQ buffer (cache maintenance is a no-op here)."""

    def flush(self) -> None:  # noqa: D102
        pass

    def invalidate(self) -> None:  # noqa: D102
        pass


class _Channel:
    def __init__(self, board: VirtualBoard, direction: str) -> None:
        self.board, self.direction, self.buffer = board, direction, None

    def transfer(self, buffer) -> None:
        self.buffer = buffer

    def wait(self) -> None:
        self.board._complete()


class _Dma:
    def __init__(self, board: VirtualBoard) -> None:
        self.sendchannel = _Channel(board, "MM2S")
        self.recvchannel = _Channel(board, "S2MM")


class VirtualBoard:
    """What ``pynq.Overlay`` gives the driver, backed by simulation.

    Args:
        deploy: the package folder (``runs/<name>/deploy``).
        workdir: where the simulator and its transfer files go.
        dma: the DMA model.
        cache_dir: Verilator build cache.
    """

    def __init__(
        self, deploy: Path, workdir: Path, dma: DmaModel | None = None, cache_dir: Path | None = None
    ):
        self.spec = json.loads((deploy / "accelerator.json").read_text())
        self.deploy, self.workdir, self.dma_model = deploy, workdir, dma or DmaModel()
        self.exe, self.build = build_board_sim(deploy, workdir, cache_dir)
        self.fclk_mhz = float(self.spec["clock_mhz"])
        setattr(self, self.spec["dma"], _Dma(self))
        self.last_transfer_s: float | None = None
        self.last_cycles: int | None = None
        self.last_first_result_cycles: int | None = None
        self.transfers = 0

    def allocate(self, shape, dtype=np.uint8) -> _Buffer:
        return np.zeros(shape, dtype=dtype).view(_Buffer)

    def _complete(self) -> None:
        """Run the pending MM2S + S2MM transfer pair (once both are set up)."""
        dma = getattr(self, self.spec["dma"])
        send, recv = dma.sendchannel.buffer, dma.recvchannel.buffer
        if send is None or recv is None:
            return
        dma.sendchannel.buffer = dma.recvchannel.buffer = None
        s, m = self.spec, self.dma_model
        n = len(send)
        if len(recv) < n:
            raise ValueError(f"the receive buffer holds {len(recv)} samples, fewer than the {n} sent")
        in_words = np.ascontiguousarray(send[:n]).view(np.uint32).reshape(-1)
        (self.workdir / "in.bin").write_bytes(in_words.tobytes())
        n_in, n_out = n * s["in_beats"], n * s["out_beats"]
        max_cycles = 100_000 + 50 * (n_in + n_out + (s["latency_cycles"] or 0)) * (1 + m.burst_gap_cycles)
        memfiles = self.deploy / "ip" / "src" / "memfiles"  # $readmem tables are read from the cwd
        work = self.workdir.resolve()
        res = run_logged(
            "virtual-board",
            [
                self.exe.resolve(),
                work / "in.bin",
                n_in,
                work / "out.bin",
                n_out,
                m.burst_beats,
                m.burst_gap_cycles,
                m.valid_gap_pct,
                m.stall_pct,
                m.seed + self.transfers,
                max_cycles,
            ],
            memfiles if memfiles.is_dir() else work,
            work / "board_sim.log",
            check=False,
        )
        self.transfers += 1
        stats = json.loads(res.log().strip().splitlines()[-1]) if res.log().strip().endswith("}") else {}
        if not res.ok or stats.get("timed_out") or "$readmem file not found" in res.log():
            from ..errors import ToolError
            from ..tools.process import tail

            raise ToolError(
                "virtual board", res.command, self.workdir, res.returncode, tail(res.log()), res.log_file
            )
        out = np.frombuffer((self.workdir / "out.bin").read_bytes(), dtype=np.uint8).reshape(
            n, s["out_bytes"]
        )
        recv[:n] = out
        self.last_cycles = int(stats["cycles"])
        beat_cycles = np.fromfile(self.workdir / "out.bin.cycles", dtype=np.uint64)
        # first input beat accepted -> last beat of the first result accepted
        self.last_first_result_cycles = int(beat_cycles[s["out_beats"] - 1]) - int(stats["first_in"])
        self.last_transfer_s = self.last_cycles / (self.fclk_mhz * 1e6) + m.ps_overhead_us * 1e-6
