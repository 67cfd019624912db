"""LayerNorm without affine parameters, in the form finn-plus' InferLayerNorm accepts."""

from __future__ import annotations

import numpy as np
from qonnx.core.modelwrapper import ModelWrapper
from qonnx.transformation.base import Transformation

__all__ = ["ExplicitLayerNormBias"]


class ExplicitLayerNormBias(Transformation):
    """Give a bias-less ``LayerNormalization`` an explicit zero bias input.

    torch exports ``LayerNorm(elementwise_affine=False)`` with a scale of ones and no bias;
    finn-plus 1.6.1 InferLayerNorm only converts nodes whose bias input exists and is zero.
    """

    def apply(self, model: ModelWrapper) -> tuple[ModelWrapper, bool]:
        changed = False
        for node in model.graph.node:
            if node.op_type != "LayerNormalization" or len(node.input) != 2:
                continue
            scale = model.get_initializer(node.input[1])
            if scale is None:
                continue
            name = model.make_new_valueinfo_name()
            model.set_initializer(name, np.zeros_like(scale))
            node.input.append(name)
            changed = True
        return model, changed
