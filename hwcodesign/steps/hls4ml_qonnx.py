"""Step ``hls4ml_qonnx``: the QONNX model through hls4ml's ONNX front end.

When every op has an hls4ml handler the model is converted, compiled and run on the whole
test set, and compared bit for bit with the source model's outputs (hls4ml is bit-exact
only with power-of-two scales). Otherwise the unsupported ops are named and the step
records that no conversion was possible.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..artifacts import HLS_EMULATION, QONNX_MODEL, load_dataset, load_predictions, locate
from ..backends.hls4ml.qonnx import convert_qonnx, prepare_for_hls4ml, unsupported_onnx_ops
from ..frameworks import versions
from ..records import Metric, ReportPart, StepResult
from ..run import Run
from ..train.metrics import identical_fraction

__all__ = ["step_hls4ml_qonnx"]


def step_hls4ml_qonnx(run: Run, out: Path) -> StepResult:
    from qonnx.core.modelwrapper import ModelWrapper

    target = run.config.target
    model = prepare_for_hls4ml(ModelWrapper(str(locate(run, QONNX_MODEL))))
    model.save(str(out / "model_hls4ml_ready.onnx"))
    missing = unsupported_onnx_ops(model)
    version = versions("hls4ml")["hls4ml"]
    if missing:
        listed = ", ".join(f"{op} ({len(names)}x, e.g. {names[0]})" for op, names in missing.items())
        note = f"hls4ml {version} has no ONNX handler for: {listed}; not converted"
        return StepResult(
            report=ReportPart(notes=[note]),
            tools=versions("hls4ml"),
            info={"unsupported_ops": missing},
            message=note,
        )

    ds = load_dataset(run)
    run.progress("hls4ml compile (g++) + emulation", 0, 1)
    y_hls = convert_qonnx(model, ds.x_test, target, out / "project")
    run.progress("hls4ml compile (g++) + emulation", 1, 1)
    y_ref = load_predictions(run).reference.reshape(len(y_hls), -1)
    frac, n_bad, idx = identical_fraction(y_hls, y_ref)
    np.savez(
        out / HLS_EMULATION.filename,
        hls=y_hls,
        reference=y_ref,
        **({"labels": ds.y_test} if ds.labelled else {}),
    )
    src = f"hls4ml {version} C++ emulation of the QONNX model vs the source model"
    n = len(y_hls)
    m = {
        "bit_exact_vs_source": Metric(value=frac, unit="fraction", n=n, source=src),
        "argmax_agreement": Metric(
            value=float((y_hls.argmax(1) == y_ref.argmax(1)).mean()), unit="fraction", n=n, source=src
        ),
    }
    report = ReportPart(bit_exactness={"hls4ml_vs_source": m["bit_exact_vs_source"]})
    if ds.labelled:
        m["accuracy_hls4ml"] = Metric(
            value=float((y_hls.argmax(1) == ds.y_test).mean()), unit="fraction", n=n, source=src
        )
        report = report.model_copy(update={"accuracy": {"hls4ml": m["accuracy_hls4ml"]}})
    if frac < 1.0:
        scaling = getattr(run.config.quantization, "scaling", "unknown")
        report = report.model_copy(
            update={
                "notes": [
                    f"hls4ml QONNX emulation differs from the source model on {n_bad} of {n} samples "
                    f"(scales: {scaling}; bit-exactness needs power-of-two scales)"
                ]
            }
        )
    return StepResult(metrics=m, report=report, tools=versions("hls4ml"), info={"mismatch_samples": idx})
