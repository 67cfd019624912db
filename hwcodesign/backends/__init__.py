"""Library code of each hardware back end, used by the thin ``steps`` and by benchmarks:

* ``hls4ml``: Keras / QONNX -> hls4ml project, compiled C++ emulation, support checks;
* ``da4ml``: HGQ2 model -> pipelined Verilog, Verilator stream simulation, Yosys per stage;
* ``finn``: finn-plus without Vivado (settings, build stages, passes, RTL layer simulation);
* ``qonnx``: executing QONNX models;
* ``vendor``: Vivado / Vitis HLS runs when they are on PATH.
"""
