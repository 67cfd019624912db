"""hwcodesign's integer kernels (``hls/``) as finn-plus HW layers with RTL backends.

HW classes live in finn-plus' domain ``finn.custom_op.fpgadataflow`` and RTL classes
(``<Op>_rtl``) in ``finn.custom_op.fpgadataflow.rtl``: finn-plus' steps test those exact
domains (partitioning, SpecializeLayers, PrepareIP), so the classes are registered into them
at run time by :func:`register_ops` (qonnx' op registry for ``getCustomOp``, finn-plus'
``custom_op`` dicts for SpecializeLayers). Call it before a model holding these ops is
loaded, executed or transformed; every process needs it once (the registration is not
persistent).

| op | kernel | module |
|---|---|---|
| IntLayerNorm(_rtl) | hls/layernorm | ``layernorm`` |
| IntAdd(_rtl) | hls/requant_add | ``requant_add`` |
| ActMatMul(_rtl) | hls/stream_matmul | ``matmul`` |
| IntShiftmax(_rtl), IntGELU(_rtl), IntLog2Quant(_rtl) | hls/shiftmax, gelu, log2quant | ``shiftmax`` ... |
| StreamingSplit_rtl, StreamingConcat_rtl, ReplicateStream_rtl | hls/stream_split, ... | ``plumbing`` |
"""

from __future__ import annotations

import threading

__all__ = ["register_ops", "HW_OPS", "RTL_OPS"]

#: our HW op -> module (relative) holding it and its ``_rtl`` class
HW_OPS = {
    "IntLayerNorm": ".layernorm",
    "IntAdd": ".requant_add",
    "ActMatMul": ".matmul",
    "IntShiftmax": ".shiftmax",
    "IntGELU": ".gelu",
    "IntLog2Quant": ".log2quant",
}
#: RTL classes for finn-plus' own HW ops
RTL_OPS = {
    "StreamingSplit_rtl": ".plumbing",
    "StreamingConcat_rtl": ".plumbing",
    "ReplicateStream_rtl": ".plumbing",
}
HW_DOMAIN = "finn.custom_op.fpgadataflow"
RTL_DOMAIN = "finn.custom_op.fpgadataflow.rtl"

_LOCK = threading.Lock()


def register_ops() -> list[str]:
    """Register every op into finn-plus' domains (idempotent); returns the names registered.

    Raises:
        MissingDependencyError: finn-plus is not installed.
    """
    import importlib

    from ....errors import MissingDependencyError
    from ..settings import INSTALL

    try:
        import finn.custom_op.fpgadataflow as hw
        import finn.custom_op.fpgadataflow.rtl as rtl
    except ImportError:
        raise MissingDependencyError("finn-plus", "hwcodesign's finn-plus RTL layers", INSTALL) from None

    names = []
    with _LOCK:
        for op, module in HW_OPS.items():
            mod = importlib.import_module(module, __name__)
            names += [
                _register(HW_DOMAIN, hw.custom_op, getattr(mod, op)),
                _register(RTL_DOMAIN, rtl.custom_op, getattr(mod, f"{op}_rtl")),
            ]
        for op, module in RTL_OPS.items():
            names.append(
                _register(RTL_DOMAIN, rtl.custom_op, getattr(importlib.import_module(module, __name__), op))
            )
    return names


def _register(domain: str, table: dict, cls: type) -> str:
    from qonnx.custom_op.registry import add_op_to_domain

    add_op_to_domain(domain, cls)
    table[cls.__name__] = cls
    return cls.__name__
