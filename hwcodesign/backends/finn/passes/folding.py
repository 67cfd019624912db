"""Parallelism of the layers finn-plus' ``SetFolding`` does not know: hwcodesign's integer layers
and the RTL plumbing (it warns "doesn't know how to handle" and leaves them at 1)."""

from __future__ import annotations

from qonnx.core.modelwrapper import ModelWrapper
from qonnx.custom_op.registry import getCustomOp
from qonnx.transformation.base import Transformation

__all__ = ["FoldIntegerLayers"]

#: op type (with or without _rtl) -> (parallelism attribute, attribute its value must divide)
_PARALLEL = {
    "IntAdd": ("PE", "NumChannels"),
    "IntLayerNorm": ("PE", "NumChannels"),
    "IntShiftmax": ("PE", "NumChannels"),
    "IntGELU": ("PE", "NumChannels"),
    "IntLog2Quant": ("PE", "NumChannels"),
    "ActMatMul": ("PE", "N"),
    "ReplicateStream": ("PE", "num_elems"),
}


class FoldIntegerLayers(Transformation):
    """Give each such layer the least parallelism (a divisor of its channels) whose cycles per
    frame meet ``target_cycles`` (frames per second -> cycles at the clock), or the most it has.

    Split/Concat keep the ``SIMD`` finn-plus' conversion gave them: a slice must be a multiple of it.
    """

    def __init__(self, target_cycles: int) -> None:
        super().__init__()
        self.target_cycles = max(1, int(target_cycles))

    def apply(self, model: ModelWrapper) -> tuple[ModelWrapper, bool]:
        changed = False
        for node in model.graph.node:
            rule = _PARALLEL.get(node.op_type.removesuffix("_rtl").removesuffix("_hls"))
            if rule is None:
                continue
            inst = getCustomOp(node)
            attr, of = rule
            if of not in inst.get_nodeattr_types():
                continue
            size = int(inst.get_nodeattr(of))
            before = inst.get_nodeattr(attr)
            for pe in [d for d in range(1, size + 1) if size % d == 0]:
                inst.set_nodeattr(attr, pe)
                if inst.get_exp_cycles() <= self.target_cycles:
                    break
            changed |= inst.get_nodeattr(attr) != before
        return model, changed
