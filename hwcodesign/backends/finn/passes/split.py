"""Split sizes as an input, as finn-plus' InferSplitLayer expects."""

from __future__ import annotations

import numpy as np
from onnx import helper
from qonnx.core.modelwrapper import ModelWrapper
from qonnx.transformation.base import Transformation

__all__ = ["SplitSizesAsInput"]


class SplitSizesAsInput(Transformation):
    """Rewrite ``Split(x) {num_outputs=n}`` (torch's opset >= 18 export) as
    ``Split(x, sizes)`` with a constant ``sizes`` input taken from the output shapes."""

    def apply(self, model: ModelWrapper) -> tuple[ModelWrapper, bool]:
        changed = False
        for node in model.graph.node:
            if node.op_type != "Split" or len(node.input) != 1:
                continue
            axis = next((a.i for a in node.attribute if a.name == "axis"), 0)
            shapes = [model.get_tensor_shape(o) for o in node.output]
            if any(s is None for s in shapes):
                continue
            sizes = np.array([s[axis] for s in shapes], dtype=np.int64)
            name = model.make_new_valueinfo_name()
            model.set_initializer(name, sizes)
            node.input.append(name)
            kept = [a for a in node.attribute if a.name != "num_outputs"]
            del node.attribute[:]
            node.attribute.extend(kept or [helper.make_attribute("axis", axis)])
            changed = True
        return model, changed
