"""cocotb testbench of hls/stream_replicate: one stream in, K copies out, each sink stalling on its own."""

import cocotb
from axis import Cycles, exchange, settings, sink, source, start, stimulus, write_outputs
from cocotb.triggers import ClockCycles


@cocotb.test()
async def stream(dut):
    cfg = settings()
    prm = cfg["parameters"]
    w, p, k = prm["W"], prm["P"], prm["K"]
    x = stimulus()["x"]  # (beats, P) unsigned fields
    seed, gap, stall = cfg["seed"], cfg["gap_pct"], cfg["stall_pct"]
    await start(dut)
    src = source(dut, "s_axis", p, w, gap, seed=seed)
    sinks = [sink(dut, f"m_axis_{i}", p, w, stall, seed=seed + 1 + i) for i in range(k)]
    in_cycles = Cycles(dut, "s_axis")
    out_cycles = [Cycles(dut, f"m_axis_{i}") for i in range(k)]
    got = await exchange(dut, [(src, x.reshape(-1).tolist())], [(s, x.size) for s in sinks])
    await ClockCycles(dut.ap_clk, 4)
    write_outputs(
        in_cycles=in_cycles.beats,
        **{f"y{i}": g for i, g in enumerate(got)},
        **{f"out_cycles{i}": c.beats for i, c in enumerate(out_cycles)},
    )
