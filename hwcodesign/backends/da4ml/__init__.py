"""da4ml back end: HGQ2 model -> pipelined Verilog (``project``), its cycle-accurate
simulation in Verilator (``stream_sim``, with the simulation-only operator flattening of
``verilog``), and its resources (``synth``: da4ml's estimate, Yosys per pipeline stage).

Modules are imported by what needs them; nothing here imports Keras at import time.
"""

from .project import RtlProject, decode_outputs, encode_inputs, write_rtl

__all__ = ["RtlProject", "write_rtl", "encode_inputs", "decode_outputs"]
