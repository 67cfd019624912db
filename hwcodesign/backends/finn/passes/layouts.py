"""MultiThreshold data layouts for rank-3 (token) tensors."""

from __future__ import annotations

from qonnx.core.modelwrapper import ModelWrapper
from qonnx.custom_op.registry import getCustomOp
from qonnx.transformation.base import Transformation

__all__ = ["FixMultiThresholdLayout"]

_BY_RANK = {2: "NC", 3: "NWC", 4: "NHWC"}


class FixMultiThresholdLayout(Transformation):
    """Give channels-last MultiThresholds the layout of their input's rank.

    finn-plus' QONNX conversion labels per-tensor activation quantizers ``NHWC`` whatever
    the rank, so on transformer tokens ``[batch, tokens, channels]`` execution looks for a
    fourth axis and fails. A channels-last rank-3 tensor is ``NWC``.
    """

    def apply(self, model: ModelWrapper) -> tuple[ModelWrapper, bool]:
        changed = False
        for node in model.graph.node:
            if node.op_type != "MultiThreshold":
                continue
            inst = getCustomOp(node)
            layout = inst.get_nodeattr("data_layout")
            rank = len(model.get_tensor_shape(node.input[0]))
            channels_last = layout.endswith("C")
            if channels_last and len(layout) != rank and rank in _BY_RANK:
                inst.set_nodeattr("data_layout", _BY_RANK[rank])
                changed = True
        return model, changed
