"""hwcodesign's own hardware kernels, one folder each (see README.md); importable as
``hwcodesign.hls.<kernel>.reference`` (the NumPy specifications)."""
