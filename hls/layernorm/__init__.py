"""layernorm: I-LayerNorm, integer-only LayerNorm with an exact integer square root (I-ViT, I-BERT)."""
