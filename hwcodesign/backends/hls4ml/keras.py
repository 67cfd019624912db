"""hls4ml's Keras 3 front end: support checks by full class path, project + emulation of an
HGQ2 model, and the "hls4ml used directly" comparison at a default precision."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import numpy as np

from ...errors import UnsupportedLayerError
from ...frameworks import import_hls4ml
from .project import emulate

__all__ = [
    "hls4ml_supported_layers",
    "check_hls4ml_support",
    "hls4ml_config",
    "convert_keras",
    "emulate_at_precision",
]

#: Layers hls4ml registers but cannot convert in the form used here, with the way out.
_KNOWN_LIMITS = {
    "Dot": ("3-D inputs", "hls4ml's Dot handles 2-D inputs only; use an EinsumDense/QEinsum"),
}
_HINTS = {
    "MultiHeadAttention": "hls4ml converts attention only as HGQ2's hgq.layers.QMultiHeadAttention",
    "LayerNormalization": "no bit-exact LayerNorm exists in hls4ml for HGQ2 models; remove it or "
    "fold it into the neighbouring EinsumDense",
}


def hls4ml_supported_layers() -> set[str]:
    """Full class paths of every layer hls4ml's Keras 3 parser knows."""
    import_hls4ml()
    from hls4ml.converters.keras_v3._base import registry

    return set(registry)


def _grouped(paths: set[str]) -> list[str]:
    """'hgq.layers: QAdd, QDense, ...', 'keras.layers: Add, Dense, ...' (unambiguous, short)."""
    groups: dict[str, set[str]] = defaultdict(set)
    for p in paths:
        top = (
            "hgq.layers"
            if p.startswith("hgq.")
            else "keras.layers"
            if p.startswith("keras.")
            else p.rsplit(".", 1)[0]
        )
        groups[top].add(p.rsplit(".", 1)[1])
    return [f"{g}.{{{', '.join(sorted(names))}}}" for g, names in sorted(groups.items())]


def check_hls4ml_support(model) -> None:
    """Raise UnsupportedLayerError for the first layer hls4ml cannot convert.

    Raises:
        UnsupportedLayerError: naming the layer (full class path), its index and the supported layers.
    """
    supported = hls4ml_supported_layers()
    for i, layer in enumerate(model.layers):
        cls = type(layer)
        path = f"{cls.__module__}.{cls.__name__}"
        if path not in supported:
            raise UnsupportedLayerError(
                layer.name, path, i, "hls4ml 1.3 (Keras 3)", _grouped(supported), _HINTS.get(cls.__name__, "")
            )
        if cls.__name__ in _KNOWN_LIMITS and any(len(t.shape) > 2 for t in _inputs(layer)):
            what, hint = _KNOWN_LIMITS[cls.__name__]
            raise UnsupportedLayerError(
                layer.name, f"{path} on {what}", i, "hls4ml 1.3", _grouped(supported), hint
            )


def _inputs(layer) -> list:
    x = layer.input
    return list(x) if isinstance(x, list | tuple) else [x]


def hls4ml_config(model, backend: str, strategy: str) -> dict:
    """hls4ml's per-layer config for an HGQ2 model (precisions come from its quantizers)."""
    hls4ml = import_hls4ml()
    cfg = hls4ml.utils.config_from_keras_model(model, granularity="name", backend=backend)
    cfg["Model"]["Strategy"] = "distributed_arithmetic" if strategy == "distributed_arithmetic" else "Latency"
    return cfg


def convert_keras(
    model, x: np.ndarray, hls_config: dict, target, destination: Path | None
) -> tuple[np.ndarray, float]:
    """hls4ml project of a Keras model, compiled; returns (emulated outputs, compile seconds)."""
    hls4ml = import_hls4ml()

    def convert(output_dir: Path):
        return hls4ml.converters.convert_from_keras_model(
            model,
            output_dir=str(output_dir),
            project_name="myproject",
            backend=target.backend,
            io_type=target.io_type,
            hls_config=hls_config,
            part=target.part,
            clock_period=target.clock_ns,
        )

    return emulate(convert, x, destination)


def emulate_at_precision(model, x: np.ndarray, precision: str, target) -> np.ndarray:
    """hls4ml used directly on a (float) model with one default precision, as a user would."""
    hls4ml = import_hls4ml()
    cfg = hls4ml.utils.config_from_keras_model(
        model,
        granularity="model",
        backend=target.backend,
        default_precision=precision.replace("fixed<", "ap_fixed<")
        if not precision.startswith("ap_")
        else precision,
    )
    y, _ = convert_keras(model, x, cfg, target, None)
    return y
