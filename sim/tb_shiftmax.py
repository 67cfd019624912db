"""cocotb testbench of hls/shiftmax: stream rows through, record what leaves and when."""

import cocotb
from axis import Cycles, exchange, settings, sink, source, start, stimulus, write_outputs
from cocotb.triggers import ClockCycles


@cocotb.test()
async def stream(dut):
    cfg = settings()
    par = cfg["parameters"]
    x = stimulus()["x"]  # (rows, N) unsigned WI-bit fields
    await start(dut)
    src = source(dut, "s_axis", par["P"], par["WI"], cfg.get("gap_pct", 0), seed=cfg.get("seed", 1))
    snk = sink(dut, "m_axis", par["P"], par["WO"], cfg.get("stall_pct", 0), seed=cfg.get("seed", 1) + 1)
    in_cycles, out_cycles = Cycles(dut, "s_axis"), Cycles(dut, "m_axis")
    (got,) = await exchange(dut, [(src, x.reshape(-1).tolist())], [(snk, x.size)])
    await ClockCycles(dut.ap_clk, 2)
    write_outputs(y=got, in_cycles=in_cycles.beats, out_cycles=out_cycles.beats)
