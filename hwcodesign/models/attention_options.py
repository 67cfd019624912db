"""Attention options against activation outliers (Bondarenko et al., "Quantizable Transformers:
Removing Outliers by Helping Attention Heads Do Nothing", NeurIPS 2023), shared by the ViT and
the jet transformer: the clipped softmax and the gated attention."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from ..config_base import Section

__all__ = ["SoftmaxClip", "AttentionConfig", "omit_when_off"]


class SoftmaxClip(Section):
    """Clipped softmax (Bondarenko et al., NeurIPS 2023): ``clip((zeta - gamma) softmax(x) + gamma,
    0, 1)``, so a head can give exact zeros (and ones) without pushing its scores to extremes.
    The paper sets ``gamma = -alpha / T`` for T tokens."""

    gamma: float = Field(
        -0.05,
        lt=0,
        description="Lower stretch (below 0): probabilities under -gamma / (zeta - gamma) become exactly 0.",
    )
    zeta: float = Field(1.0, ge=1, description="Upper stretch (1: no clipping at the top).")


class AttentionConfig(Section):
    """Options of the attention against activation outliers (Bondarenko et al., NeurIPS 2023)."""

    softmax_clip: SoftmaxClip | None = Field(
        None,
        description="Clipped softmax. ViT: the clip is the saturation of the unsigned [0, 1] quantizer "
        "after the affine map (finn-plus: thresholds); jet transformer: a frozen affine map + ReLU "
        "(zeta 1 only), bit-exact through hls4ml and da4ml.",
    )
    gate: bool = Field(
        False,
        description="Gated attention: sigmoid(G(x)) * attention output, G a linear layer of the attention "
        "input (one gate per channel); the product is an activation x activation elementwise product.",
    )
    gate_function: Literal["hard_sigmoid", "sigmoid"] = Field(
        "hard_sigmoid",
        description="The gate's squashing: hard_sigmoid clip(x/6 + 1/2, 0, 1) (finn-plus: thresholds; "
        "hls4ml/da4ml: a table) or sigmoid (the paper's; finn-plus has no HW layer for Sigmoid; refused "
        "for the jet transformer).",
    )


def omit_when_off(data: Any, names: tuple[str, ...]) -> Any:
    """Drop the optional sections ``names`` that are off (None) from a dump, so that a run without
    an option added later keeps the config (and the step hashes) it had."""
    if isinstance(data, dict):
        for name in names:
            if data.get(name, 0) is None:
                del data[name]
    return data
