"""Transformations that take Brevitas transformers through finn-plus: small qonnx-style
passes (``apply(model) -> (model, changed)``), each fixing one gap found on real models
(see docs/findings.md). Import only inside ``backends.finn.settings.finn_session``."""

from .layouts import FixMultiThresholdLayout
from .norm import ExplicitLayerNormBias
from .split import SplitSizesAsInput

__all__ = ["ExplicitLayerNormBias", "FixMultiThresholdLayout", "SplitSizesAsInput"]
