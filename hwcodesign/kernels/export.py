"""Exporting a kernel's torch module to ONNX as the custom node of ``kernels/onnx_ops.py``.

torch 2.13 exports through dynamo (Brevitas' default), where ``torch.autograd.Function.symbolic``
is ignored; ``torch.onnx.ops.symbolic`` inside ``torch.onnx.is_in_onnx_export()`` is the way.
Scales cannot be read during that trace (Brevitas' fake tensors), so a module records its
integer parameters in every eager forward pass (``KernelExport.remember``) and the export uses
the last ones: run the model once on real data before exporting it (the export step does).
"""

from __future__ import annotations

import torch

from ..errors import KernelParameterError

__all__ = ["exporting", "onnx_kernel", "KernelExport", "DOMAIN"]

#: The ONNX domain of the kernels' custom nodes: the module qonnx imports to execute them.
DOMAIN = "hwcodesign.kernels.onnx_ops"


def exporting() -> bool:
    """Whether torch is tracing the model for ONNX export right now."""
    return bool(torch.onnx.is_in_onnx_export())


def onnx_kernel(op: str, x: torch.Tensor, in_frac: int, attrs: dict, out_frac: int) -> torch.Tensor:
    """``Mul(2**in_frac) -> <DOMAIN>::<op>(attrs) -> Mul(2**-out_frac)`` in the exported graph."""
    xi = x * float(2.0**in_frac)
    clean = {k: (list(map(int, v)) if hasattr(v, "__len__") else v) for k, v in attrs.items()}
    y = torch.onnx.ops.symbolic(f"{DOMAIN}::{op}", (xi,), clean, dtype=x.dtype, shape=x.shape, version=1)
    return y * float(2.0**-out_frac)


class KernelExport:
    """Mixin: the integer parameters of the last eager forward pass, for the export trace."""

    _export_params: dict | None = None

    def remember(self, params: dict) -> None:
        if not exporting():
            self._export_params = params

    def exported(self, kernel: str) -> dict:
        """The remembered parameters.

        Raises:
            KernelParameterError: the module never ran eagerly (nothing to export from).
        """
        if self._export_params is None:
            raise KernelParameterError(kernel, "export", "run the model once on data before exporting it")
        return self._export_params
