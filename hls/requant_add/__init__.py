"""requant_add: residual add of two integer streams with different scales (dyadic requantization)."""
