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
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..brevitas_layers import QuantLayers

if TYPE_CHECKING:
    from torch import nn

    from ...config import BrevitasQuantConfig
    from .config import ViTConfig

__all__ = ["build_vit", "build_torch"]


def build_vit(
    image_shape: tuple[int, int, int], n_classes: int, cfg: ViTConfig, quant: BrevitasQuantConfig | None
) -> nn.Module:
    """A tiny ViT: patch embedding (strided conv), L encoder blocks, flatten, classifier."""
    import torch
    from torch import nn

    q = QuantLayers(quant)
    c, h, w = image_shape
    if h % cfg.patch_size or w % cfg.patch_size:
        raise ValueError(f"image {h}x{w} is not divisible into {cfg.patch_size}x{cfg.patch_size} patches")
    n_tokens = (h // cfg.patch_size) * (w // cfg.patch_size)
    d = cfg.embed_dim

    class Attention(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.q_proj, self.k_proj, self.v_proj = q.linear(d, d), q.linear(d, d), q.linear(d, d)
            self.q_quant, self.k_quant, self.v_quant = q.act(), q.act(), q.act()
            self.score_quant = q.act()
            self.softmax_quant = q.act(signed=False)
            self.head_quant = q.act()
            self.o_proj = q.linear(d, d)
            self.scale = (d // cfg.num_heads) ** -0.5

        def forward(self, x):
            qs = torch.split(self.q_quant(self.q_proj(x)), d // cfg.num_heads, dim=-1)
            ks = torch.split(self.k_quant(self.k_proj(x)), d // cfg.num_heads, dim=-1)
            vs = torch.split(self.v_quant(self.v_proj(x)), d // cfg.num_heads, dim=-1)
            heads = []
            for qh, kh, vh in zip(qs, ks, vs, strict=True):
                scores = self.score_quant(torch.matmul(qh * self.scale, kh.transpose(-1, -2)))
                weights = self.softmax_quant(torch.softmax(scores, dim=-1))
                heads.append(torch.matmul(weights, vh))
            return self.o_proj(self.head_quant(torch.cat(heads, dim=-1)))

    class Block(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.norm1 = nn.LayerNorm(d, elementwise_affine=cfg.norm_affine)
            self.norm1_quant = q.act()
            self.attn = Attention()
            self.res1_quant = q.act()
            self.norm2 = nn.LayerNorm(d, elementwise_affine=cfg.norm_affine)
            self.norm2_quant = q.act()
            self.fc1, self.fc2 = q.linear(d, cfg.mlp_dim), q.linear(cfg.mlp_dim, d)
            self.act = q.relu() if cfg.mlp_activation == "relu" else nn.Sequential(nn.GELU(), q.act())
            self.res2_quant = q.act()

        def forward(self, x):
            x = self.res1_quant(x + self.attn(self.norm1_quant(self.norm1(x))))
            return self.res2_quant(x + self.fc2(self.act(self.fc1(self.norm2_quant(self.norm2(x))))))

    class ViT(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.inp = q.act(quant.input_bits if quant else None)
            self.patch = q.conv(c, d, cfg.patch_size)
            self.pos = nn.Parameter(torch.zeros(1, n_tokens, d))
            self.embed_quant = q.act()
            self.blocks = nn.Sequential(*[Block() for _ in range(cfg.num_blocks)])
            self.head = q.linear(n_tokens * d if cfg.pooling == "flatten" else d, n_classes)
            self.out_quant = q.act(quant.output_bits if quant else None)

        def forward(self, x):
            x = self.patch(self.inp(x))  # (B, D, h, w)
            x = x.permute(0, 2, 3, 1).reshape(x.shape[0], n_tokens, d)  # tokens, channels last
            x = self.blocks(self.embed_quant(x + self.pos))
            x = x.reshape(x.shape[0], n_tokens * d) if cfg.pooling == "flatten" else x.mean(dim=1)
            return self.out_quant(self.head(x))

    return ViT()


def build_torch(
    cfg: ViTConfig, input_shape: tuple[int, ...], n_classes: int, quant: BrevitasQuantConfig | None
):
    """The family's builder (``ModelFamily.build_torch``)."""
    return build_vit(tuple(input_shape), n_classes, cfg, quant)
