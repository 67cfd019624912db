"""The wide float reference of the jet families: a pre-norm float transformer (LayerNorm, GELU,
several blocks, wider than anything that fits a trigger budget) on exactly the hardware model's
inputs (``train.float_reference: true``; a distillation teacher, ``train.distill.teacher:
float_reference``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import keras

__all__ = ["build_float_reference", "REFERENCE_SHAPE"]


#: (embedding width, heads, blocks, feed-forward width) of the reference.
REFERENCE_SHAPE = (64, 4, 3, 128)


def build_float_reference(n_particles: int, n_features: int, n_classes: int, seed: int = 1) -> keras.Model:
    """Build the float reference transformer for (n_particles, n_features) inputs."""
    import keras
    from keras import layers

    keras.utils.set_random_seed(seed)
    d, heads, blocks, ff = REFERENCE_SHAPE
    inp = keras.Input((n_particles, n_features), name="particles")
    x = layers.Dense(d, activation="gelu", name="embed")(inp)
    for b in range(blocks):
        y = layers.LayerNormalization(name=f"ln_attn_{b}")(x)
        y = layers.MultiHeadAttention(heads, d // heads, name=f"attn_{b}")(y, y)
        x = layers.Add(name=f"attn_res_{b}")([x, y])
        y = layers.LayerNormalization(name=f"ln_ff_{b}")(x)
        y = layers.Dense(ff, activation="gelu", name=f"ff_in_{b}")(y)
        y = layers.Dense(d, name=f"ff_out_{b}")(y)
        x = layers.Add(name=f"ff_res_{b}")([x, y])
    x = layers.LayerNormalization(name="ln_out")(x)
    x = layers.GlobalAveragePooling1D(name="pool")(x)
    x = layers.Dense(d, activation="gelu", name="head")(x)
    out = layers.Dense(n_classes, name="logits")(x)
    return keras.Model(inp, out, name="float_reference")
