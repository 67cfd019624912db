"""cocotb testbench of hls/requant_add: two input streams (a, b) joined into one, record what leaves."""

import cocotb
from axis import Cycles, read_exactly, settings, sink, source, start, stimulus, write_outputs
from cocotb.triggers import ClockCycles


@cocotb.test()
async def stream(dut):
    cfg = settings()
    par = cfg["parameters"]
    p = par["P"]
    data = stimulus()  # a, b: (beats, P) unsigned fields
    await start(dut)
    src_a = source(dut, "s_axis_a", p, par["WA"], cfg.get("gap_a_pct", 0), seed=11)
    src_b = source(dut, "s_axis_b", p, par["WB"], cfg.get("gap_b_pct", 0), seed=12)
    snk = sink(dut, "m_axis", p, par["WO"], cfg.get("stall_pct", 0), seed=13)
    in_cycles = Cycles(dut, "s_axis_a")
    out_cycles = Cycles(dut, "m_axis")
    await src_a.send(data["a"].reshape(-1).tolist())
    await src_b.send(data["b"].reshape(-1).tolist())
    got = await read_exactly(snk, data["a"].size)
    await ClockCycles(dut.ap_clk, 2)
    write_outputs(y=got, in_cycles=in_cycles.beats, out_cycles=out_cycles.beats)
