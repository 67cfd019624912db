"""The Brevitas tiny ViT designed for FINN / hls4ml, and its float twin.

Hardware-driven choices (each one measured, see docs/findings.md, "ViT formulation"):

* power-of-two (fixed-point) scales everywhere: hls4ml's QONNX front end is bit-exact only
  with them, and FINN turns them into integer thresholds all the same;
* a signed 8-bit input quantizer;
* attention heads as explicit splits (one 2-D [tokens, head_dim] product per head), the
  query scaled before Q.K^T, quantizers on the scores and on the softmax output: the layout
  finn-plus' ScaledDotProductAttention operator is inferred from;
* LayerNorm without affine parameters (finn-plus maps only scale 1 / bias 0);
* ReLU in the MLP (a threshold stage) instead of GELU;
* no ReduceMean pooling: the tokens are flattened into the classifier;
* opset 19 at export (finn-plus' front end needs <= 19).

``quant=None`` builds the float twin with the same architecture (plain torch layers).

Integer-only options (``softmax``, ``norm``, ``adds``, ``mlp_activation: shiftgelu``) replace the
float operations by hwcodesign's integer kernels (``hls/``: I-ViT Shiftmax, I-LayerNorm,
ShiftGELU, log2 quantizers, requantizing adds), whose forward passes are what the RTL computes;
with all of them the graph is integer from the input quantizer to the output. This module
imports torch (it is only imported to build a model).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from torch import nn

from ..brevitas_layers import QuantLayers

if TYPE_CHECKING:
    from ...config import BrevitasQuantConfig
    from .config import ViTConfig

__all__ = ["build_vit", "build_torch"]


def build_vit(
    image_shape: tuple[int, int, int], n_classes: int, cfg: ViTConfig, quant: BrevitasQuantConfig | None
) -> nn.Module:
    """A tiny ViT: patch embedding (strided conv), L encoder blocks, flatten, classifier."""
    c, h, w = image_shape
    if h % cfg.patch_size or w % cfg.patch_size:
        raise ValueError(f"image {h}x{w} is not divisible into {cfg.patch_size}x{cfg.patch_size} patches")
    n_tokens = (h // cfg.patch_size) * (w // cfg.patch_size)
    return _ViT(c, n_tokens, n_classes, cfg, QuantLayers(quant), _Kernels(cfg, quant))


class _Attention(nn.Module):
    """Split heads, Q.K^T (query scaled), softmax (float or a kernel), A.V, concat, output projection.

    Options (``model.attention``, Bondarenko et al. 2023): a clipped softmax, ``clip((zeta - gamma)
    p + gamma, 0, 1)``, whose clip is the saturation of a fixed-range [0, 1] unsigned quantizer in
    the quantized model (an explicit clamp in the float twin); a gate ``sigmoid(G(x))`` multiplying
    the concatenated heads before the output projection. Without them the modules (and weight
    names) are those of the plain formulation.
    """

    #: Teacher Intervention (``train/distill.py``) swaps the outputs of modules marked so.
    is_attention = True

    def __init__(self, n_tokens: int, cfg: ViTConfig, q: QuantLayers, k: _Kernels) -> None:
        super().__init__()
        d = cfg.embed_dim
        self.k, self.head_dim = k, d // cfg.num_heads
        self.q_proj, self.k_proj, self.v_proj = q.linear(d, d), q.linear(d, d), q.linear(d, d)
        self.q_quant, self.k_quant, self.v_quant = q.act(), q.act(), q.act()
        self.score_quant = q.act()
        self.softmax = k.softmax(n_tokens)
        self.clip = (cfg.clip.gamma, cfg.clip.zeta) if cfg.clip is not None else None
        self.clamp = self.clip is not None and q.q is None  # the float twin clips explicitly
        if self.clip is not None:
            self.softmax_quant = q.unit_act()
        else:
            self.softmax_quant = q.act(signed=False) if not k.integer_softmax else nn.Identity()
        self.head_quant = q.act()
        if cfg.gate:
            hard = cfg.attention.gate_function == "hard_sigmoid"
            self.gate_proj, self.gate_act, self.gate_quant = q.linear(d, d), q.sigmoid(hard), q.act()
        self.o_proj = q.linear(d, d)
        self.o_quant = q.act() if k.integer_adds else nn.Identity()
        self.scale = self.head_dim**-0.5

    def forward(self, x):
        import torch

        qs = torch.split(self.q_quant(self.q_proj(x)), self.head_dim, dim=-1)
        ks = torch.split(self.k_quant(self.k_proj(x)), self.head_dim, dim=-1)
        vs = torch.split(self.v_quant(self.v_proj(x)), self.head_dim, dim=-1)
        heads = []
        for qh, kh, vh in zip(qs, ks, vs, strict=True):
            scores = self.score_quant(torch.matmul(qh * self.scale, kh.transpose(-1, -2)))
            weights = self.softmax_quant(self._clipped(self.k.apply(self.softmax, scores, self.score_quant)))
            heads.append(torch.matmul(weights, vh))
        h = self.head_quant(torch.cat(heads, dim=-1))
        if hasattr(self, "gate_proj"):
            h = self.gate_quant(self.gate_act(self.gate_proj(x)) * h)
        return self.o_quant(self.o_proj(h))

    def _clipped(self, p):
        """The stretch of the clipped softmax (its clip: the quantizer after it, or a clamp)."""
        import torch

        if self.clip is None:
            return p
        gamma, zeta = self.clip
        p = (zeta - gamma) * p + gamma
        return torch.clamp(p, 0.0, 1.0) if self.clamp else p


class _Block(nn.Module):
    """Pre-norm encoder block: x + attention(norm(x)), then x + MLP(norm(x)), each requantized."""

    def __init__(self, n_tokens: int, cfg: ViTConfig, q: QuantLayers, k: _Kernels) -> None:
        super().__init__()
        d = cfg.embed_dim
        self.k = k
        self.norm1, self.norm1_quant = k.norm(d), q.act()
        self.attn = _Attention(n_tokens, cfg, q, k)
        self.res1_quant = q.act()
        self.norm2, self.norm2_quant = k.norm(d), q.act()
        self.fc1, self.fc2 = q.linear(d, cfg.mlp_dim), q.linear(cfg.mlp_dim, d)
        self.fc1_quant = q.act(k.bits) if k.integer_gelu else nn.Identity()
        self.act = k.activation(q)
        self.fc2_quant = q.act() if k.integer_adds else nn.Identity()
        self.res2_quant = q.act()

    def forward(self, x, x_quant):
        """``x_quant``: the quantizer ``x`` came from (its scale feeds an integer LayerNorm)."""
        k = self.k
        x = self.res1_quant(x + self.attn(self.norm1_quant(k.apply(self.norm1, x, x_quant))))
        h = self.fc1_quant(self.fc1(self.norm2_quant(k.apply(self.norm2, x, self.res1_quant))))
        return self.res2_quant(
            x + self.fc2_quant(self.fc2(k.apply(self.act, h, self.fc1_quant)))
        ), self.res2_quant


class _ViT(nn.Module):
    def __init__(
        self, channels: int, n_tokens: int, n_classes: int, cfg: ViTConfig, q: QuantLayers, k: _Kernels
    ) -> None:
        import torch

        super().__init__()
        d, quant = cfg.embed_dim, q.q
        self.n_tokens, self.d, self.flatten = n_tokens, d, cfg.pooling == "flatten"
        self.inp = q.act(quant.input_bits if quant else None)
        self.patch = q.conv(channels, d, cfg.patch_size)
        self.patch_quant = q.act() if k.integer_adds else nn.Identity()
        self.pos = nn.Parameter(torch.zeros(1, n_tokens, d))
        self.pos_quant = q.act() if k.integer_adds else nn.Identity()
        self.embed_quant = q.act()
        self.blocks = nn.ModuleList([_Block(n_tokens, cfg, q, k) for _ in range(cfg.num_blocks)])
        self.head = q.linear(n_tokens * d if self.flatten else d, n_classes)
        self.out_quant = q.act(quant.output_bits if quant else None)

    def forward(self, x):
        x = self.patch(self.inp(x))  # (B, D, h, w)
        x = x.permute(0, 2, 3, 1).reshape(x.shape[0], self.n_tokens, self.d)  # tokens, channels last
        x, x_quant = self.embed_quant(self.patch_quant(x) + self.pos_quant(self.pos)), self.embed_quant
        for block in self.blocks:
            x, x_quant = block(x, x_quant)
        x = x.reshape(x.shape[0], self.n_tokens * self.d) if self.flatten else x.mean(dim=1)
        return self.out_quant(self.head(x))


def build_torch(
    cfg: ViTConfig, input_shape: tuple[int, ...], n_classes: int, quant: BrevitasQuantConfig | None
):
    """The family's builder (``ModelFamily.build_torch``)."""
    return build_vit(tuple(input_shape), n_classes, cfg, quant)


class _Kernels:
    """The ViT's choice of float operations or hwcodesign's integer kernels (``hls/``), for the
    quantized model; the float twin always takes the float operation.

    A kernel takes a tensor on the power-of-two grid of the quantizer before it and computes
    exactly what its RTL computes (``hwcodesign/kernels``). While Brevitas still collects the
    statistics of a new quantizer (its first training steps), that quantizer's output is not on
    its grid yet: the kernel's input is then rounded onto it (straight-through).
    """

    def __init__(self, cfg: ViTConfig, quant: BrevitasQuantConfig | None) -> None:
        self.cfg, self.quant = cfg, quant
        on = quant is not None
        self.integer_softmax = on and cfg.softmax != "float"
        self.integer_norm = on and cfg.norm == "integer"
        self.integer_gelu = on and cfg.mlp_activation == "shiftgelu"
        self.integer_adds = on and cfg.adds == "integer"
        self.bits = cfg.kernel_bits

    def softmax(self, n_tokens: int):
        """Float softmax, Shiftmax (``act_bits`` outputs), or Shiftmax then a log2 quantizer. Under
        a clipped softmax, Shiftmax gives ``kernel_bits``: the stretch by ``zeta - gamma > 1`` then
        maps distinct inputs to distinct ``act_bits`` levels, and no two thresholds of the
        quantizer that follows coincide (coinciding ones are not exact with ties to even)."""
        from torch import nn

        if not self.integer_softmax:
            return nn.Softmax(dim=-1)
        from ...kernels.log2quant import Log2Quant
        from ...kernels.shiftmax import Shiftmax

        a = self.quant.act_bits
        if self.cfg.softmax == "shiftmax":
            return _Kernel(Shiftmax(out_bits=self.bits if self.cfg.clip is not None else a, in_bits=a))
        mode = 0 if self.cfg.softmax == "shiftmax_log2" else 1
        return _Kernel(Shiftmax(out_bits=self.bits, in_bits=a), Log2Quant(a, mode), 2.0**-self.bits)

    def norm(self, d: int):
        """LayerNorm, or I-LayerNorm with ``kernel_bits`` outputs (range +-8) before ``norm_quant``."""
        from torch import nn

        if not self.integer_norm:
            return nn.LayerNorm(d, elementwise_affine=self.cfg.norm_affine)
        from ...kernels.layernorm import ILayerNorm

        a = self.quant.act_bits
        return _Kernel(ILayerNorm(d, self.bits, self.bits - 4, affine=self.cfg.norm_affine, in_bits=a))

    def activation(self, q):
        """ReLU (a threshold stage), GELU + quantizer, or ShiftGELU (``kernel_bits``) + quantizer."""
        from torch import nn

        if self.cfg.mlp_activation == "relu":
            return q.relu()
        if not self.integer_gelu:
            return nn.Sequential(nn.GELU(), q.act())
        from ...kernels.gelu import ShiftGELU

        return _Kernel(ShiftGELU(self.bits, self.bits - 4, in_bits=self.bits), after=q.act())

    @staticmethod
    def apply(op, x, quantizer):
        """``op(x)`` for a float operation (the modules of the formulation before the kernels, so
        their weights keep their names); a kernel also gets ``quantizer``, the one ``x`` came from."""
        return op(x, quantizer) if isinstance(op, _Kernel) else op(x)


class _Kernel(nn.Module):
    """An integer kernel fed by a quantizer (optionally followed by a second kernel on the first
    one's fixed output grid ``then_scale``, and by a module ``after``)."""

    def __init__(self, kernel, then=None, then_scale: float | None = None, after=None) -> None:
        super().__init__()
        self.kernel, self.then, self.then_scale, self.after = kernel, then, then_scale, after

    def forward(self, x, quantizer):
        import torch

        from ...kernels.export import exporting

        if exporting():  # the kernels export with the scales of their last eager pass
            y = self.kernel(x, None)
            y = self.then(y, None) if self.then is not None else y
            return self.after(y) if self.after is not None else y
        scale = quantizer.act_quant.scale().detach()
        if self.training:  # a quantizer still collecting statistics: put x on its grid
            lim = 2.0 ** (self.kernel.in_bits - 1)
            xi = torch.clamp(torch.round(x / scale), -lim, lim - 1)
            x = x + (xi * scale - x).detach()
        y = self.kernel(x, scale)
        if self.then is not None:
            y = self.then(y, self.then_scale)
        return self.after(y) if self.after is not None else y
