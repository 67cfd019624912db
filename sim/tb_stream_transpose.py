"""cocotb testbench of hls/stream_transpose: matrices in row after row, transposes out."""

import cocotb
from axis import Cycles, exchange, settings, sink, source, start, stimulus, write_outputs
from cocotb.triggers import ClockCycles


@cocotb.test()
async def stream(dut):
    cfg = settings()
    prm = cfg["parameters"]
    w, p = prm["W"], prm["P"]
    x = stimulus()["x"]  # (matrices, T, C) unsigned fields
    seed, gap, stall = cfg["seed"], cfg["gap_pct"], cfg["stall_pct"]
    await start(dut)
    src = source(dut, "s_axis", p, w, gap, seed=seed)
    snk = sink(dut, "m_axis", p, w, stall, seed=seed + 1)
    in_cycles = Cycles(dut, "s_axis")
    out_cycles = Cycles(dut, "m_axis")
    (got,) = await exchange(dut, [(src, x.reshape(-1).tolist())], [(snk, x.size)])
    await ClockCycles(dut.ap_clk, 4)
    write_outputs(y=got, in_cycles=in_cycles.beats, out_cycles=out_cycles.beats)
