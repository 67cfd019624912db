"""The built-in flows (registered the first time the flow registry is read)."""

from .spec import register_flow

_FINN = (
    "finn",
    "finn_rtlsim",
    "stitch",
    "finn_synth",
    "hls4ml_qonnx",
    "package_finn",
    "virtual_board",
    "report",
)

register_flow(
    "keras_hls4ml",
    ("data", "train", "convert", "rtl", "emulate", "synth", "package", "virtual_board", "report"),
    "HGQ2 / Keras models: hls4ml project and C++ emulation, da4ml RTL in Verilator, emulator, "
    "Yosys resources, package, virtual board, report",
)
register_flow(
    "torch_finn",
    ("data", "train_torch", "export", *_FINN),
    "Brevitas models: QONNX export, finn-plus dataflow (RTL layers in Verilator), hls4ml's QONNX path, "
    "package, virtual board, report",
)
register_flow(
    "qonnx_finn",
    ("data", "import_qonnx", *_FINN),
    "your QONNX file through finn-plus and hls4ml's QONNX path",
)
