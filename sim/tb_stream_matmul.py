"""cocotb testbench of hls/stream_matmul: B matrices on s_axis_b, A rows on s_axis_a (both
streaming from the start), C rows out."""

import cocotb
from axis import Cycles, exchange, settings, sink, source, start, stimulus, write_outputs
from cocotb.triggers import ClockCycles


@cocotb.test()
async def stream(dut):
    cfg = settings()
    prm = cfg["parameters"]
    p = prm["P"]
    st = stimulus()
    a, b = st["a"], st["b"]  # (matrices, M, D) and (matrices, N, D) or (matrices, D, N), unsigned fields
    seed, gap, stall = cfg["seed"], cfg["gap_pct"], cfg["stall_pct"]
    await start(dut)
    src_a = source(dut, "s_axis_a", p, prm["WA"], gap, seed=seed)
    src_b = source(dut, "s_axis_b", p, prm["WB"], gap, seed=seed + 1)
    snk = sink(dut, "m_axis", p, prm["WO"], stall, seed=seed + 2)
    cycles = {name: Cycles(dut, name) for name in ("s_axis_a", "s_axis_b", "m_axis")}
    n_out = a.shape[0] * a.shape[1] * prm["N"]
    (got,) = await exchange(
        dut, [(src_b, b.reshape(-1).tolist()), (src_a, a.reshape(-1).tolist())], [(snk, n_out)]
    )
    await ClockCycles(dut.ap_clk, 4)
    write_outputs(y=got, **{f"cycles_{name}": c.beats for name, c in cycles.items()})
