"""Brevitas layers designed for FINN / hls4ml, and their float twins.

Power-of-two (fixed-point) scales unless ``quantization.scaling: float``: hls4ml's QONNX
front end is bit-exact only with them, and FINN turns them into integer thresholds all the
same. Biases carry their own (internal) scale, so no QuantTensor has to flow between layers.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from torch import nn

    from ..config import BrevitasQuantConfig

__all__ = ["QuantLayers"]


class QuantLayers:
    """Factories for quantized (Brevitas) or float (torch) layers of one model (``quant=None``:
    the float twin, with the same architecture)."""

    def __init__(self, quant: BrevitasQuantConfig | None) -> None:
        self.q = quant

    def _quants(self):
        # biases carry their own (internal) scale, so no QuantTensor has to flow between layers
        from brevitas.quant.fixed_point import (
            Int8ActPerTensorFixedPoint,
            Int8BiasPerTensorFixedPointInternalScaling,
            Int8WeightPerTensorFixedPoint,
            Uint8ActPerTensorFixedPoint,
        )
        from brevitas.quant.scaled_int import (
            Int8ActPerTensorFloat,
            Int8BiasPerTensorFloatInternalScaling,
            Int8WeightPerTensorFloat,
            Uint8ActPerTensorFloat,
        )

        if self.q is not None and self.q.scaling == "po2":
            return (
                Int8WeightPerTensorFixedPoint,
                Int8ActPerTensorFixedPoint,
                Uint8ActPerTensorFixedPoint,
                Int8BiasPerTensorFixedPointInternalScaling,
            )
        return (
            Int8WeightPerTensorFloat,
            Int8ActPerTensorFloat,
            Uint8ActPerTensorFloat,
            Int8BiasPerTensorFloatInternalScaling,
        )

    def linear(self, n_in: int, n_out: int, bias: bool = True) -> nn.Module:
        from torch import nn

        if self.q is None:
            return nn.Linear(n_in, n_out, bias=bias)
        import brevitas.nn as qnn

        w, _, _, b = self._quants()
        return qnn.QuantLinear(
            n_in,
            n_out,
            bias=bias,
            weight_quant=w,
            weight_bit_width=self.q.weight_bits,
            bias_quant=b if bias else None,
            return_quant_tensor=False,
        )

    def conv(self, c_in: int, c_out: int, k: int) -> nn.Module:
        """Patch embedding: stride = kernel. No bias: the positional embedding added next
        subsumes it (and qonnx' ExtractBiasFromConv fails on per-tensor bias scales)."""
        from torch import nn

        if self.q is None:
            return nn.Conv2d(c_in, c_out, k, stride=k, bias=False)
        import brevitas.nn as qnn

        w, _, _, _ = self._quants()
        return qnn.QuantConv2d(
            c_in, c_out, k, stride=k, bias=False, weight_quant=w, weight_bit_width=self.q.weight_bits
        )

    def act(self, bits: int | None = None, signed: bool = True) -> nn.Module:
        """Quantizer on a data path (identity for the float twin)."""
        from torch import nn

        if self.q is None:
            return nn.Identity()
        import brevitas.nn as qnn

        _, sint, uint, _ = self._quants()
        return qnn.QuantIdentity(
            act_quant=sint if signed else uint, bit_width=bits or self.q.act_bits, return_quant_tensor=False
        )

    def relu(self) -> nn.Module:
        from torch import nn

        if self.q is None:
            return nn.ReLU()
        import brevitas.nn as qnn

        _, _, uint, _ = self._quants()
        return qnn.QuantReLU(act_quant=uint, bit_width=self.q.act_bits, return_quant_tensor=False)
