"""cocotb + Verilator benches of the kernels in hls/ (pytest collects them; see harness.py)."""
