"""Transformations that take Brevitas transformers through finn-plus: small qonnx-style
passes (``apply(model) -> (model, changed)``), each fixing one gap found on real models
(see docs/findings.md). Import only inside ``backends.finn.settings.finn_session``."""

from .folding import FoldIntegerLayers
from .integer import (
    InferActMatMul,
    InferIntegerAdd,
    InferIntegerKernels,
    RoundThresholdTiesToEven,
    has_integer_kernels,
    has_po2_scales,
)
from .layouts import FixMultiThresholdLayout
from .norm import ExplicitLayerNormBias
from .split import SplitSizesAsInput

__all__ = [
    "FoldIntegerLayers",
    "ExplicitLayerNormBias",
    "FixMultiThresholdLayout",
    "SplitSizesAsInput",
    "InferIntegerKernels",
    "InferActMatMul",
    "InferIntegerAdd",
    "RoundThresholdTiesToEven",
    "has_integer_kernels",
    "has_po2_scales",
]
