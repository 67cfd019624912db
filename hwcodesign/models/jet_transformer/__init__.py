"""Model family ``jet_transformer``: hwcodesign's HGQ2 transformer jet tagger (embedding,
attention blocks, pooling, logits) and its float twin, trained on the run's jets."""

from ...families import ModelFamily

__all__ = ["FAMILY"]

FAMILY = ModelFamily(
    kind="jet_transformer",
    config=f"{__name__}.config:JetTransformerConfig",
    prepare=f"{__name__}.frontend:prepare",
    check=f"{__name__}.frontend:check",
    flow="keras_hls4ml",
    quantization="hgq2",
    description="train hwcodesign's HGQ2 transformer jet tagger (and its float twin)",
)
