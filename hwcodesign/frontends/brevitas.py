"""Frontends ``mlp`` and ``vit``: train hwcodesign's Brevitas models (QAT) and their float
twins; the ``export`` step then writes them as QONNX (``export_qonnx``).

The architecture comes from the config, the weights from ``model/quantized.pt``.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Literal

import numpy as np
from pydantic import Field, model_validator

from ..config_base import Section, heads_divide

if TYPE_CHECKING:
    from ..config import RunConfig
    from ..records import StepResult
    from ..run import Run

__all__ = [
    "MLPConfig",
    "ViTConfig",
    "check",
    "prepare",
    "build_torch_model",
    "load_torch_model",
    "export_qonnx",
]


class MLPConfig(Section):
    """Brevitas multilayer perceptron (e.g. 64-64-64-10 on digits)."""

    kind: Literal["mlp"] = Field(description="Model family.")
    hidden: tuple[int, ...] = Field((64, 64), min_length=1, description="Hidden layer widths.")


class ViTConfig(Section):
    """Brevitas tiny Vision Transformer, formulated for finn-plus (see models/brevitas_nets.py)."""

    kind: Literal["vit"] = Field(description="Model family.")
    patch_size: int = Field(7, ge=1, description="Square patch side in pixels (stride = size).")
    embed_dim: int = Field(32, ge=2, description="Token width D.")
    num_heads: int = Field(2, ge=1, description="Attention heads (embed_dim % heads == 0).")
    num_blocks: int = Field(1, ge=1, le=8, description="Encoder blocks.")
    mlp_dim: int = Field(64, ge=1, description="Hidden width of each block's MLP.")
    norm_affine: bool = Field(
        False, description="LayerNorm with learned scale/bias (finn-plus maps only without)."
    )
    mlp_activation: Literal["relu", "gelu"] = Field(
        "relu", description="Activation in the MLP (ReLU is a threshold stage; GELU is not)."
    )
    pooling: Literal["flatten", "mean"] = Field(
        "flatten", description="Tokens to classifier: flatten (MVAU) or mean over tokens (ReduceMean)."
    )

    @model_validator(mode="after")
    def _heads_divide(self) -> ViTConfig:
        heads_divide(self.embed_dim, self.num_heads)
        return self


def check(config: RunConfig) -> None:
    """A ViT needs images (channels, height, width) divisible into patches; labels are needed
    to train."""
    from ..data.load import has_labels, input_shape
    from ..errors import ConfigError

    shape = input_shape(config.data)
    if config.model.kind == "vit":
        p = config.model.patch_size
        if len(shape) != 3 or shape[1] % p or shape[2] % p:
            raise ConfigError(
                f"model.kind vit needs images (channels, height, width) divisible into {p}x{p} "
                f"patches (model.patch_size); the data give {shape} per sample"
            )
    if not has_labels(config.data):
        raise ConfigError(f"model.kind {config.model.kind} is trained here, which needs labels (data.y_key)")


def build_torch_model(cfg: RunConfig, input_shape: tuple[int, ...], n_classes: int, quantized: bool):
    """The run's model (quantized, or its float twin)."""
    from ..frameworks import import_torch
    from ..models.brevitas_nets import build_mlp, build_vit

    import_torch().manual_seed(cfg.train.seed)
    quant = cfg.quantization if quantized else None
    if cfg.model.kind == "mlp":
        return build_mlp(int(np.prod(input_shape)), n_classes, cfg.model, quant)
    return build_vit(tuple(input_shape), n_classes, cfg.model, quant)


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


def prepare(run: Run, out: Path) -> StepResult:
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


def export_qonnx(model, example: np.ndarray, path: Path, opset: int = 19) -> None:
    """Export with Brevitas (opset <= 19 for finn-plus), then qonnx's cleanup."""
    from ..frameworks import import_torch

    torch = import_torch()
    from brevitas.export import export_qonnx as brevitas_export
    from qonnx.core.modelwrapper import ModelWrapper
    from qonnx.util.cleanup import cleanup_model

    raw = path.with_name(path.stem + "_raw.onnx")
    model.eval()
    brevitas_export(model, torch.from_numpy(example), export_path=str(raw), opset_version=opset)
    cleanup_model(ModelWrapper(str(raw))).save(str(path))
    raw.unlink()
    for extra in path.parent.glob(raw.name + "*"):  # torch's external-data sidecar, if any
        extra.unlink()
