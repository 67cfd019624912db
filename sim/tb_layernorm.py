"""cocotb testbench of hls/layernorm: rows in, normalised rows out.

The first ``timed_rows`` rows go through without valid gaps or back-pressure (their cycles give
the throughput); the rest with the gaps and stalls of ``bench.json``.
"""

import random

import cocotb
from axis import Cycles, read_exactly, settings, sink, source, start, stimulus, write_outputs
from cocotb.triggers import ClockCycles


def _pauses(pct: int, seed: int):
    rng = random.Random(seed)
    while True:
        yield rng.random() * 100 < pct


@cocotb.test()
async def stream(dut):
    cfg = settings()
    par = cfg["parameters"]
    p = par["P"]
    x = stimulus()["x"]  # (rows, C) unsigned fields
    timed = cfg.get("timed_rows", 0)
    await start(dut)
    src = source(dut, "s_axis", p, par["WI"])
    snk = sink(dut, "m_axis", p, par["WO"])
    in_cycles = Cycles(dut, "s_axis")
    out_cycles = Cycles(dut, "m_axis")
    got = []
    if timed:
        await src.send(x[:timed].reshape(-1).tolist())
        got += await read_exactly(snk, x[:timed].size)
    if cfg.get("gap_pct", 0):
        src.set_pause_generator(_pauses(cfg["gap_pct"], 21))
    if cfg.get("stall_pct", 0):
        snk.set_pause_generator(_pauses(cfg["stall_pct"], 22))
    await src.send(x[timed:].reshape(-1).tolist())
    got += await read_exactly(snk, x[timed:].size)
    await ClockCycles(dut.ap_clk, 2)
    write_outputs(y=got, in_cycles=in_cycles.beats, out_cycles=out_cycles.beats)
