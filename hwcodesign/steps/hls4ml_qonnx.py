"""Step ``hls4ml_qonnx``: the QONNX model through hls4ml's ONNX front end.

The model is prepared as hls4ml documents (qonnx cleanup, channels-last, Gemm -> MatMul).
When every op has an hls4ml handler it is converted, compiled and run on the whole test
set; outputs are compared with Brevitas bit for bit (hls4ml is bit-exact only with
power-of-two scales, ``quantization.scaling: po2``). Otherwise the unsupported ops are
named and the step records that no conversion was possible.
"""

from __future__ import annotations

import logging
import shutil
from pathlib import Path

import numpy as np

from ..frameworks import import_hls4ml, versions
from ..records import Metric, StepResult
from ..run import Run
from ..tools._workdir import plain_workdir
from ..train.metrics import identical_fraction
from .data import load_dataset
from .train_torch import brevitas_logits

__all__ = ["step_hls4ml_qonnx", "prepare_for_hls4ml", "unsupported_onnx_ops"]

log = logging.getLogger(__name__)


def prepare_for_hls4ml(model):
    from qonnx.transformation.channels_last import ConvertToChannelsLastAndClean
    from qonnx.transformation.gemm_to_matmul import GemmToMatMul
    from qonnx.util.cleanup import cleanup_model

    model = cleanup_model(model)
    model = model.transform(ConvertToChannelsLastAndClean())
    model = model.transform(GemmToMatMul())
    return cleanup_model(model)


def unsupported_onnx_ops(model) -> dict[str, list[str]]:
    """op type -> node names, for ops hls4ml's ONNX front end has no handler for."""
    import_hls4ml()
    from hls4ml.converters.onnx_to_hls import get_supported_onnx_layers

    supported = set(get_supported_onnx_layers())
    out: dict[str, list[str]] = {}
    for node in model.graph.node:
        if node.op_type not in supported:
            out.setdefault(node.op_type, []).append(node.name)
    return out


def step_hls4ml_qonnx(run: Run, out: Path) -> StepResult:
    hls4ml = import_hls4ml()
    from qonnx.core.modelwrapper import ModelWrapper

    target = run.config.target
    model = prepare_for_hls4ml(ModelWrapper(str(run.path("qonnx") / "model.onnx")))
    model.save(str(out / "model_hls4ml_ready.onnx"))
    missing = unsupported_onnx_ops(model)
    if missing:
        listed = ", ".join(f"{op} ({len(names)}x, e.g. {names[0]})" for op, names in missing.items())
        note = f"hls4ml {versions('hls4ml')['hls4ml']} has no ONNX handler for: {listed}; not converted"
        return StepResult(
            info={"unsupported_ops": missing, "notes": [note]}, tools=versions("hls4ml"), message=note
        )

    cfg = hls4ml.utils.config.config_from_onnx_model(model, granularity="name", backend=target.backend)
    ds = load_dataset(run)
    shape = model.get_tensor_shape(model.graph.input[0].name)
    x = ds.x_test
    if len(shape) == 4 and x.ndim == 4:  # the model was made channels-last
        x = x.transpose(0, 2, 3, 1)
    with plain_workdir("hls4ml") as wd:  # build_lib.sh re-parses its folder's path
        hls_model = hls4ml.converters.convert_from_onnx_model(
            model,
            output_dir=str(wd / "project"),
            backend=target.backend,
            io_type=target.io_type,
            hls_config=cfg,
            part=target.part,
            clock_period=target.clock_ns,
        )
        run.progress("hls4ml compile (g++)", 0, 1)
        hls_model.compile()
        run.progress("hls4ml compile (g++)", 1, 1)
        y_hls = np.asarray(hls_model.predict(np.ascontiguousarray(x.reshape(len(x), *shape[1:])))).reshape(
            len(x), -1
        )
        shutil.copytree(wd / "project", out / "project", symlinks=True)
    y_ref = brevitas_logits(run)
    frac, n_bad, idx = identical_fraction(y_hls, y_ref)
    np.savez(out / "emulation.npz", hls=y_hls, brevitas=y_ref, labels=ds.y_test)
    src = f"hls4ml {versions('hls4ml')['hls4ml']} C++ emulation of the QONNX model vs Brevitas"
    n = len(x)
    notes = []
    if frac < 1.0:
        scaling = run.config.quantization.scaling
        notes.append(
            f"hls4ml QONNX emulation differs from Brevitas on {n_bad} of {n} images "
            f"(scales: {scaling}; bit-exactness needs power-of-two scales)"
        )
    return StepResult(
        metrics={
            "bit_exact_vs_brevitas": Metric(value=frac, unit="fraction", n=n, source=src),
            "argmax_agreement": Metric(
                value=float((y_hls.argmax(1) == y_ref.argmax(1)).mean()), unit="fraction", n=n, source=src
            ),
            "accuracy_hls4ml": Metric(
                value=float((y_hls.argmax(1) == ds.y_test).mean()), unit="fraction", n=n, source=src
            ),
        },
        tools=versions("hls4ml"),
        info={"notes": notes, "mismatch_samples": idx},
    )
