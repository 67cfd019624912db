"""Step ``convert``: hls4ml project of the quantized Keras model, compiled to its C++
emulation, which runs the whole test set; outputs are compared with Keras bit for bit.

Writes ``hls/project/`` (the hls4ml project, ready for vitis_hls), ``hls/hls4ml_config.yml``
(the per-layer config hls4ml used: edit and re-use it) and ``hls/emulation.npz``.
"""

from __future__ import annotations

import logging
import shutil
import time
from pathlib import Path

import numpy as np
import yaml

from ..errors import UnsupportedLayerError
from ..frameworks import import_hls4ml, versions
from ..records import Metric, StepResult
from ..run import Run
from ..tools._workdir import plain_workdir
from ..train.metrics import identical_fraction
from .data import load_dataset
from .train import load_quantized_model

__all__ = ["step_convert", "check_hls4ml_support", "hls4ml_supported_layers"]

log = logging.getLogger(__name__)

#: Layers hls4ml registers but cannot convert in the form used here, with the way out.
_KNOWN_LIMITS = {
    "Dot": ("3-D inputs", "hls4ml's Dot handles 2-D inputs only; use an EinsumDense/QEinsum"),
}
_HINTS = {
    "MultiHeadAttention": "hls4ml converts attention only as HGQ2's hgq.layers.QMultiHeadAttention",
    "LayerNormalization": "no bit-exact LayerNorm exists in hls4ml for HGQ2 models; remove it or "
    "fold it into the neighbouring EinsumDense",
}


def hls4ml_supported_layers() -> dict[str, str]:
    """Keras layer class path -> short name, for every layer hls4ml's Keras 3 parser knows."""
    import_hls4ml()
    from hls4ml.converters.keras_v3._base import registry

    return {path: path.rsplit(".", 1)[1] for path in registry}


def check_hls4ml_support(model) -> None:
    """Raise UnsupportedLayerError for the first layer hls4ml cannot convert.

    Raises:
        UnsupportedLayerError: naming the layer, its index and the supported layers.
    """
    supported = hls4ml_supported_layers()
    short = sorted(set(supported.values()))
    for i, layer in enumerate(model.layers):
        cls = type(layer)
        path = f"{cls.__module__}.{cls.__name__}"
        name = cls.__name__
        if path not in supported:
            raise UnsupportedLayerError(
                layer.name, name, i, "hls4ml 1.3 (Keras 3)", short, _HINTS.get(name, "")
            )
        if name in _KNOWN_LIMITS and any(len(t.shape) > 2 for t in _inputs(layer)):
            what, hint = _KNOWN_LIMITS[name]
            raise UnsupportedLayerError(layer.name, f"{name} on {what}", i, "hls4ml 1.3", short, hint)


def _inputs(layer) -> list:
    x = layer.input
    return list(x) if isinstance(x, list | tuple) else [x]


def step_convert(run: Run, out: Path) -> StepResult:
    hls4ml = import_hls4ml()
    target = run.config.target
    model = load_quantized_model(run)
    ds = load_dataset(run)
    check_hls4ml_support(model)

    hls_config = hls4ml.utils.config_from_keras_model(model, granularity="name", backend=target.backend)
    hls_config["Model"]["Strategy"] = (
        "distributed_arithmetic" if target.strategy == "distributed_arithmetic" else "Latency"
    )
    (out / "hls4ml_config.yml").write_text(yaml.safe_dump(hls_config, sort_keys=False))
    x = ds.x_test
    y_keras = model.predict(x, batch_size=1024, verbose=0)
    # hls4ml's build_lib.sh re-parses its folder's path: build where the path is plain
    with plain_workdir("hls4ml") as wd:
        hls_model = hls4ml.converters.convert_from_keras_model(
            model,
            output_dir=str(wd / "project"),
            project_name="myproject",
            backend=target.backend,
            io_type=target.io_type,
            hls_config=hls_config,
            part=target.part,
            clock_period=target.clock_ns,
        )
        t0 = time.perf_counter()
        run.progress("hls4ml compile (g++)", 0, 1)
        hls_model.compile()
        compile_s = time.perf_counter() - t0
        run.progress("hls4ml compile (g++)", 1, 1)
        y_hls = np.asarray(hls_model.predict(np.ascontiguousarray(x))).reshape(y_keras.shape)
        shutil.copytree(wd / "project", out / "project", symlinks=True)
    frac, n_bad, bad_idx = identical_fraction(y_keras, y_hls)
    np.savez(out / "emulation.npz", hls=y_hls, keras=y_keras, labels=ds.y_test)
    if n_bad:
        log.warning(
            "hls4ml emulation differs from Keras on %d of %d samples (first: %s)", n_bad, len(x), bad_idx
        )
    emu_src = f"hls4ml {versions('hls4ml')['hls4ml']} C++ emulation (g++)"
    acc = float((y_hls.argmax(1) == ds.y_test).mean())
    n = len(x)
    return StepResult(
        metrics={
            "bit_exact_fraction": Metric(
                value=frac, unit="fraction", n=n, source=f"{emu_src} vs Keras, all output bits"
            ),
            "accuracy_emulated": Metric(value=acc, unit="fraction", n=n, source=emu_src),
            "max_abs_diff": Metric(
                value=float(np.abs(y_keras - y_hls).max()), unit="", n=n, source=f"{emu_src} vs Keras"
            ),
            "compile_seconds": Metric(value=round(compile_s, 2), unit="s", source="wall clock"),
        },
        tools=versions("hls4ml"),
        info={
            "project": "hls/project",
            "mismatch_samples": bad_idx,
            "strategy": target.strategy,
            "backend": target.backend,
        },
    )
