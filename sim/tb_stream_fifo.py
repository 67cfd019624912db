"""cocotb testbench of hls/stream_fifo: stream the stimulus through, record what leaves."""

import cocotb
from axis import Cycles, read_exactly, settings, sink, source, start, stimulus, write_outputs
from cocotb.triggers import ClockCycles


@cocotb.test()
async def stream(dut):
    cfg = settings()
    w, p = cfg["parameters"]["W"], cfg["parameters"]["P"]
    x = stimulus()["x"]  # (beats, P) unsigned fields
    await start(dut)
    src = source(dut, "s_axis", p, w, cfg.get("gap_pct", 0))
    snk = sink(dut, "m_axis", p, w, cfg.get("stall_pct", 0))
    out_cycles = Cycles(dut, "m_axis")
    await src.send(x.reshape(-1).tolist())
    got = await read_exactly(snk, x.size)
    await ClockCycles(dut.ap_clk, 2)
    write_outputs(y=got, out_cycles=out_cycles.beats)
