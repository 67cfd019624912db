"""cocotb testbench of hls/stream_concat: K slice streams in, one token stream out."""

import cocotb
from axis import Cycles, exchange, settings, sink, source, start, stimulus, write_outputs
from cocotb.triggers import ClockCycles


@cocotb.test()
async def stream(dut):
    cfg = settings()
    prm = cfg["parameters"]
    w, p, k = prm["W"], prm["P"], prm["K"]
    xs = [stimulus()[f"x{i}"] for i in range(k)]  # (T, C_k) unsigned fields
    seed, gap, stall = cfg["seed"], cfg["gap_pct"], cfg["stall_pct"]
    await start(dut)
    sources = [source(dut, f"s_axis_{i}", p, w, gap, seed=seed + 1 + i) for i in range(k)]
    snk = sink(dut, "m_axis", p, w, stall, seed=seed)
    in_cycles = [Cycles(dut, f"s_axis_{i}") for i in range(k)]
    out_cycles = Cycles(dut, "m_axis")
    n = sum(x.size for x in xs)
    (got,) = await exchange(
        dut, [(s, x.reshape(-1).tolist()) for s, x in zip(sources, xs, strict=True)], [(snk, n)]
    )
    await ClockCycles(dut.ap_clk, 4)
    write_outputs(
        y=got, out_cycles=out_cycles.beats, **{f"in_cycles{i}": c.beats for i, c in enumerate(in_cycles)}
    )
