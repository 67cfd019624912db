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

__all__ = ["QuantLayers", "set_weight_bits", "quantized_weight"]


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

    def unit_act(self) -> nn.Module:
        """Unsigned quantizer of the fixed range [0, 1] (``act_bits``), identity for the float twin.
        Its saturation is a clip to [0, 1]: float scales give the levels k / (2^b - 1), up to
        exactly 1; power-of-two scales k / 2^b, up to 1 - 2^-b."""
        from torch import nn

        if self.q is None:
            return nn.Identity()
        import brevitas.nn as qnn

        return qnn.QuantIdentity(act_quant=self._unit(), bit_width=self.q.act_bits, return_quant_tensor=False)

    def sigmoid(self, hard: bool = False) -> nn.Module:
        """Sigmoid, or the hard sigmoid ``clip(x / 6 + 1/2, 0, 1)``, quantized on the fixed range
        [0, 1] like :meth:`unit_act`. The hard one is an affine map and that quantizer's own
        saturation, which finn-plus turns into thresholds; a Sigmoid has no finn-plus HW layer."""
        from torch import nn

        if self.q is None:  # a clamp, not nn.Hardsigmoid: twice differentiable (Hessian traces)
            return _Affine(1 / 6, 0.5, nn.Hardtanh(0.0, 1.0)) if hard else nn.Sigmoid()
        import brevitas.nn as qnn

        if hard:
            return _Affine(1 / 6, 0.5, self.unit_act())
        return qnn.QuantSigmoid(act_quant=self._unit(), bit_width=self.q.act_bits, return_quant_tensor=False)

    def _unit(self):
        from brevitas.inject.enum import ScalingImplType

        _, _, uint, _ = self._quants()
        return uint.let(scaling_impl_type=ScalingImplType.CONST, scaling_init=1.0)

    def relu(self) -> nn.Module:
        from torch import nn

        if self.q is None:
            return nn.ReLU()
        import brevitas.nn as qnn

        _, _, uint, _ = self._quants()
        return qnn.QuantReLU(act_quant=uint, bit_width=self.q.act_bits, return_quant_tensor=False)


def _Affine(scale: float, offset: float, after):  # noqa: N802 - a module factory
    """``after(scale * x + offset)`` (constants: exported as Mul and Add, absorbed into thresholds)."""
    from torch import nn

    class Affine(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.after = after

        def forward(self, x):
            return self.after(scale * x + offset)

    return Affine()


def _rebuilt(module, quant: BrevitasQuantConfig, bits: int):
    """A quantized copy of a weight layer (``nn.Linear``/``nn.Conv2d`` or their Brevitas forms)
    made by :class:`QuantLayers` with ``bits`` weight bits, holding the same weights."""
    import torch
    from torch import nn

    q = QuantLayers(quant.model_copy(update={"weight_bits": bits}))
    if isinstance(module, nn.Conv2d):
        new = q.conv(module.in_channels, module.out_channels, module.kernel_size[0])
    else:
        new = q.linear(module.in_features, module.out_features, bias=module.bias is not None)
    with torch.no_grad():
        new.weight.copy_(module.weight)
        if module.bias is not None:
            new.bias.copy_(module.bias)
    return new


def quantized_weight(module, quant: BrevitasQuantConfig, bits: int):
    """``Q_b(W)``: the layer's weights through its Brevitas weight quantizer at ``bits`` bits."""
    return _rebuilt(module, quant, bits).quant_weight().value.detach()


def set_weight_bits(model, bits: dict[str, int], quant: BrevitasQuantConfig) -> None:
    """Give the named weight layers of a quantized model their own weight bits (mixed precision):
    each is replaced by the same layer with ``bits[name]`` weight bits and the same weights.

    Raises:
        KeyError: a name that is not a module of the model.
    """
    for name, b in bits.items():
        parent_name, _, child = name.rpartition(".")
        parent = model.get_submodule(parent_name) if parent_name else model
        setattr(parent, child, _rebuilt(model.get_submodule(name), quant, b))
