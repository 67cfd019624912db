"""Model family ``jet_linear``: a JEDI-linear-style HGQ2 jet tagger (per-particle layers and one
jet-wide aggregate, cost linear in N, 0 DSP) and its float twin."""

from ...families import ModelFamily

__all__ = ["FAMILY"]

FAMILY = ModelFamily(
    kind="jet_linear",
    config=f"{__name__}.config:JetLinearConfig",
    prepare=f"{__name__}.frontend:prepare",
    check=f"{__name__}.frontend:check",
    flow="keras_hls4ml",
    quantization="hgq2",
    description="train hwcodesign's JEDI-linear-style HGQ2 jet tagger, linear in N (and its float twin)",
)
