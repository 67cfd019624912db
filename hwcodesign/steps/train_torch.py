"""Step ``train`` of the PyTorch flow: float twin + Brevitas QAT, both evaluated on the
test set. Writes ``model/float.pt``, ``model/quantized.pt`` (state dicts; the architecture
comes from the run config), ``model/predictions.npz`` and ``model/metrics.json``.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from ..config import MLPConfig, RunConfig
from ..frameworks import import_torch, versions
from ..records import Metric, StepResult
from ..run import Run
from ..train.metrics import classification_metrics
from ..train.torch_qat import fit_torch, predict_torch
from .data import load_dataset

__all__ = ["step_train_torch", "build_torch_model", "load_torch_model", "brevitas_logits"]


def build_torch_model(cfg: RunConfig, input_shape: tuple[int, ...], n_classes: int, quantized: bool):
    """The run's model (quantized, or its float twin)."""
    import_torch().manual_seed(cfg.train.seed)
    from ..models.brevitas_nets import build_mlp, build_vit

    quant = cfg.quantization if quantized else None
    if isinstance(cfg.model, MLPConfig):
        return build_mlp(int(np.prod(input_shape)), n_classes, cfg.model, quant)
    return build_vit(tuple(input_shape), n_classes, cfg.model, quant)


def load_torch_model(run: Run, which: str = "quantized"):
    """Rebuild the model from the config and load the weights written by step ``train``."""
    torch = import_torch()
    ds = load_dataset(run)
    model = build_torch_model(run.config, ds.x_train.shape[1:], len(ds.classes), which == "quantized")
    model.load_state_dict(torch.load(run.path("model") / f"{which}.pt", weights_only=True))
    model.eval()
    return model


def brevitas_logits(run: Run) -> np.ndarray:
    """Test-set logits of the quantized model, as stored by step ``train``."""
    return np.load(run.path("model") / "predictions.npz")["quantized"]


def step_train_torch(run: Run, out: Path) -> StepResult:
    torch = import_torch()
    torch.set_num_threads(max(1, torch.get_num_threads()))
    cfg = run.config
    ds = load_dataset(run)
    shape, n_classes = ds.x_train.shape[1:], len(ds.classes)
    summary: dict = {"classes": ds.classes}
    logits: dict[str, np.ndarray] = {"labels": ds.y_test}
    kinds = (["float"] if cfg.train.train_float else []) + ["quantized"]
    for kind in kinds:
        model = build_torch_model(cfg, shape, n_classes, kind == "quantized")
        hist = fit_torch(model, ds, cfg.train, lambda e, n, logs, k=kind: run.progress(f"{k} epochs", e, n))
        torch.save(model.state_dict(), out / f"{kind}.pt")
        logits[kind] = predict_torch(model, ds.x_test)
        m = classification_metrics(logits[kind], ds.y_test, ds.classes)
        n_params = sum(p.numel() for p in model.parameters() if p.requires_grad)
        summary[kind] = {**m.summary(), "roc": m.roc, "history": hist, "params": int(n_params)}
    np.savez(out / "predictions.npz", **logits)
    (out / "metrics.json").write_text(json.dumps(summary, indent=2))

    q = cfg.quantization
    src = f"PyTorch evaluation on the test set ({len(ds.y_test)} images)"
    metrics = {}
    for kind in kinds:
        label = "float" if kind == "float" else f"quantized (W{q.weight_bits}A{q.act_bits})"
        metrics[f"accuracy_{kind}"] = Metric(
            value=summary[kind]["accuracy"], unit="fraction", n=len(ds.y_test), source=f"{src}, {label}"
        )
        metrics[f"params_{kind}"] = Metric(
            value=summary[kind]["params"], unit="weights", source="model", kind="config"
        )
    return StepResult(
        metrics=metrics,
        tools=versions("torch", "brevitas"),
        info={"epochs_run": len(summary["quantized"]["history"]["loss"])},
    )
