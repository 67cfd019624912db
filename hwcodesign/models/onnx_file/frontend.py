"""The model step of ``kind: onnx_file``: your QONNX model (e.g. exported from Brevitas with
``brevitas.export.export_qonnx``), into the finn-plus and hls4ml QONNX paths.

The file is cleaned up (qonnx ``cleanup_model``), checked against the data (input shape per
sample), and run on the whole test set with qonnx's executor: those outputs are the
reference the hardware paths are compared with.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from ..keras_file.frontend import check_model_file  # the same check for every model file

if TYPE_CHECKING:
    from ...config import RunConfig
    from ...records import StepResult
    from ...run import Run

__all__ = ["check", "check_model_file", "prepare", "load_qonnx", "adopt", "accepts"]


def accepts(path: Path) -> bool:
    """Every ``.onnx`` but a readable float one (no quantizers: onnx_float's)."""
    from ..onnx_float.graph import is_float_onnx

    return not is_float_onnx(path)


def _refuse_float(path: Path) -> None:
    """A float ONNX model (no Quant nodes) has nothing for finn-plus to implement.

    Raises:
        ConfigError: naming the family that takes it.
    """
    from ...errors import ConfigError
    from ..onnx_float.graph import is_float_onnx

    if is_float_onnx(path):
        raise ConfigError(
            f"{path.name} has no quantizers (no Quant / BipolarQuant / Trunc nodes): it is a float model; "
            f"set model.kind: onnx_float (--set model.kind=onnx_float): it is then quantized after training"
        )


def load_qonnx(path: Path):
    """Load and clean up a QONNX file; unreadable files are one line.

    Raises:
        DataNotFoundError: missing, or not an ONNX model.
    """
    from ...errors import DataNotFoundError

    if not path.is_file():
        raise DataNotFoundError(f"model file not found: {path} (model.path)")
    try:
        from qonnx.core.modelwrapper import ModelWrapper
        from qonnx.util.cleanup import cleanup_model

        return cleanup_model(ModelWrapper(str(path)))
    except Exception as e:  # a user file: every failure to read it is the user's to fix
        first = (str(e).strip().splitlines() or [type(e).__name__])[0][:200]
        raise DataNotFoundError(
            f"model.path {path} is not a readable ONNX model ({type(e).__name__}: {first})"
        ) from None


def _sample_shape(model) -> tuple:
    shape = model.get_tensor_shape(model.graph.input[0].name)
    return tuple(shape[1:]) if shape else ()


def check(config: RunConfig) -> None:
    from ...data.load import input_shape
    from ..common import check_input_shape

    model = load_qonnx(config.model.path)
    _refuse_float(config.model.path)
    check_input_shape(_sample_shape(model), input_shape(config.data), config.model.path.name)


def prepare(run: Run, out: Path) -> StepResult:
    """Cleaned QONNX model + its own outputs on the test set (the reference)."""
    import numpy as np

    from ...artifacts import QONNX_MODEL, QONNX_OUTPUTS, load_dataset
    from ...backends.qonnx import batch_size_of, execute_qonnx
    from ...frameworks import versions
    from ...records import StepResult
    from ..common import evaluate, finish_model_step

    ds = load_dataset(run)
    model = load_qonnx(run.config.model.path)
    _refuse_float(run.config.model.path)
    model.save(str(out / QONNX_MODEL.filename))
    batch = batch_size_of(out / QONNX_MODEL.filename) or 1
    y = execute_qonnx(
        out / QONNX_MODEL.filename,
        ds.x_test,
        batch,
        lambda d, n: run.progress("QONNX execution of the test set", d, n),
    )
    np.savez(
        out / QONNX_OUTPUTS.filename, qonnx=y, **({"labels": ds.y_test} if ds.y_test is not None else {})
    )
    summary = {"quantized": evaluate(y, ds, None, None)}
    src = f"qonnx {versions('qonnx')['qonnx']} execution of {run.config.model.path.name}"
    metrics, report = finish_model_step(
        out, ds, {"quantized": y}, summary, src, {"quantized": "your QONNX model"}
    )
    return StepResult(metrics=metrics, report=report, tools=versions("qonnx", "onnx"), info={"batch": batch})


def adopt(model, store, data=None) -> dict | None:
    """The ``model:`` section for an in-memory Brevitas ``nn.Module`` (``hw.run(module, (x, y))``):
    exported to QONNX once (its input shape from the data), named by its weights; a module
    without quantizers (plain PyTorch) exports to a float ONNX model, which is onnx_float's.

    Raises:
        ConfigError: no arrays to trace the input shape from.
    """
    if not hasattr(model, "state_dict"):
        return None
    import hashlib

    import numpy as np

    from ...backends.qonnx import export_qonnx
    from ...errors import ConfigError

    x = data[0] if isinstance(data, tuple | list) else data
    if not hasattr(x, "shape"):
        raise ConfigError("a torch model needs the data as arrays (x, y) to trace its input shape")
    h = hashlib.sha256(repr(model).encode())
    for k, v in model.state_dict().items():
        h.update(k.encode())
        h.update(v.detach().cpu().numpy().tobytes())
    example = np.ascontiguousarray(x[:1], dtype=np.float32)
    path = store(lambda p: export_qonnx(model, example, p), ".onnx", h.hexdigest()[:16])
    from ..onnx_float.graph import is_float_onnx

    return {"kind": "onnx_float" if is_float_onnx(path) else "onnx_file", "path": str(path)}
