"""hls4ml back end: Keras 3 (``keras``) and QONNX (``qonnx``) models to hls4ml projects,
compiled C++ emulation, and the checks naming what hls4ml cannot convert. Projects are
written and compiled in a plain private folder (``project``), then copied out."""
