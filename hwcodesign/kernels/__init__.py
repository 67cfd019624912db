"""The software faces of hwcodesign's hardware kernels (``hls/<kernel>/``).

Each kernel has one specification, its NumPy integer reference
(``hwcodesign.hls.<kernel>.reference``, i.e. ``hls/<kernel>/reference.py``), and two more forms
tested bit for bit against it: the SystemVerilog in ``hls/<kernel>/`` (cocotb benches in
``sim/``) and a PyTorch module here (``kernels/<kernel>.py``) whose forward pass computes exactly
the integer result, so that quantization-aware training sees what the hardware computes
(straight-through gradients). Modules here import torch at import time: import them only
where a torch model is built.
"""
