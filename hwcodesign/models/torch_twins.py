"""The model step of hwcodesign's own PyTorch families (``mlp``, ``vit``): train the float twin
and the Brevitas QAT model, evaluate both; and the model rebuilt from a run folder.

The architecture comes from the config (the family's ``build_torch``), the weights from
``model/quantized.pt`` (and ``float.pt``).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..config import RunConfig
    from ..records import StepResult
    from ..run import Run

__all__ = ["check_labels", "build_torch_model", "load_torch_model", "train_torch_twins"]


def check_labels(config: RunConfig) -> None:
    """The model is trained here, which needs labels.

    Raises:
        ConfigError: unlabelled data.
    """
    from ..data.load import has_labels
    from ..errors import ConfigError

    if not has_labels(config.data):
        raise ConfigError(f"model.kind {config.model.kind} is trained here, which needs labels (data.y_key)")


def build_torch_model(cfg: RunConfig, input_shape: tuple[int, ...], n_classes: int, quantized: bool):
    """The run's model (quantized, or its float twin), built by its family's ``build_torch``.

    Raises:
        ConfigError: the family builds no PyTorch model.
    """
    from ..errors import ConfigError
    from ..families import FAMILIES
    from ..frameworks import import_torch

    build = FAMILIES.get(cfg.model.kind).load("build_torch")
    if build is None:
        raise ConfigError(f"model.kind {cfg.model.kind} has no PyTorch model (it is not trained by torch)")
    import_torch().manual_seed(cfg.train.seed)
    return build(cfg.model, tuple(input_shape), n_classes, cfg.quantization if quantized else None)


def load_torch_model(run: Run, which: str = "quantized"):
    """Rebuild the model from the config and load the weights written by its model step."""
    from ..artifacts import TORCH_WEIGHTS, load_dataset, locate
    from ..frameworks import import_torch

    torch = import_torch()
    ds = load_dataset(run)
    model = build_torch_model(run.config, ds.x_train.shape[1:], len(ds.classes), which == "quantized")
    weights = locate(run, TORCH_WEIGHTS).with_name(f"{which}.pt")
    model.load_state_dict(torch.load(weights, weights_only=True))
    model.eval()
    return model


def train_torch_twins(run: Run, out: Path) -> StepResult:
    """Train the float twin and the Brevitas QAT model; evaluate both on the test set."""
    from ..artifacts import load_dataset
    from ..frameworks import import_torch, versions
    from ..records import StepResult
    from ..train.torch_qat import fit_torch, predict_torch
    from .common import evaluate, finish_model_step

    torch = import_torch()
    torch.set_num_threads(max(1, torch.get_num_threads()))
    cfg = run.config
    ds = load_dataset(run)
    shape, n_classes = ds.x_train.shape[1:], len(ds.classes)
    logits, summary = {}, {}
    kinds = (["float"] if cfg.train.train_float else []) + ["quantized"]
    for kind in kinds:
        model = build_torch_model(cfg, shape, n_classes, kind == "quantized")
        hist = fit_torch(model, ds, cfg.train, lambda e, n, logs, k=kind: run.progress(f"{k} epochs", e, n))
        torch.save(model.state_dict(), out / f"{kind}.pt")
        logits[kind] = predict_torch(model, ds.x_test)
        n_params = sum(p.numel() for p in model.parameters() if p.requires_grad)
        summary[kind] = evaluate(logits[kind], ds, hist, int(n_params))
    q = cfg.quantization
    metrics, report = finish_model_step(
        out,
        ds,
        logits,
        summary,
        f"PyTorch evaluation on the test set ({len(ds.y_test)} images)",
        {"float": "float", "quantized": f"quantized (W{q.weight_bits}A{q.act_bits})"},
    )
    return StepResult(
        metrics=metrics,
        report=report,
        tools=versions("torch", "brevitas"),
        info={"epochs_run": len(summary["quantized"]["history"]["loss"])},
    )
