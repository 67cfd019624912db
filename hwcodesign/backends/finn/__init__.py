"""finn-plus back end without Vivado: scoped settings (``settings``), the build stages and
their tables (``build``), qonnx-style passes filling finn-plus gaps for Brevitas
transformers (``passes``), and Verilator simulation of its RTL layers (``rtlsim``,
``axis_sim``). Report-file parsers: ``reports``."""
