"""Frontend ``jet_transformer``: train hwcodesign's HGQ2 transformer jet tagger (QAT with
EBOPs control) and its float twin, then calibrate it for bit-exact hardware."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Literal

from pydantic import Field, model_validator

from ..config_base import Section, heads_divide

if TYPE_CHECKING:
    from collections.abc import Callable

    import keras

    from ..config import RunConfig
    from ..records import StepResult
    from ..run import Run

__all__ = ["JetTransformerConfig", "check", "prepare", "train_twins"]


class JetTransformerConfig(Section):
    """HGQ2 transformer jet tagger (and its float twin)."""

    kind: Literal["jet_transformer"] = Field("jet_transformer", description="Model family.")
    embed_dim: int = Field(16, ge=2, description="D: width of the per-particle embedding.")
    num_heads: int = Field(2, ge=1, description="H: attention heads (embed_dim % H == 0).")
    num_blocks: int = Field(1, ge=1, le=8, description="L: encoder blocks.")
    ff_dim: int = Field(16, ge=1, description="Width of the feed-forward layer in each block.")
    pooling: Literal["average", "max"] = Field("average", description="Pooling over particles.")

    @model_validator(mode="after")
    def _heads_divide(self) -> JetTransformerConfig:
        heads_divide(self.embed_dim, self.num_heads)
        return self


def check(config: RunConfig) -> None:
    """The particle models need per-particle inputs: (particles, features).

    Raises:
        ConfigError: the data are flat (e.g. the 16-feature hls4ml table).
    """
    from ..data.load import input_shape
    from ..errors import ConfigError

    shape = input_shape(config.data)
    if len(shape) != 2:
        raise ConfigError(
            f"model.kind {config.model.kind} needs per-particle inputs (particles, features), but the "
            f"data give {shape} per sample; use data.source pythia/sample/hls4ml_zenodo, or bring "
            f"a model for flat inputs (model.kind keras_file)"
        )


def prepare(run: Run, out: Path) -> StepResult:
    """Train (float twin, then HGQ2 QAT), calibrate, evaluate; write the model artifacts."""
    from ..models.jet_transformer import build_jet_transformer

    return train_twins(run, out, build_jet_transformer)


def train_twins(run: Run, out: Path, build: Callable[..., keras.Model]) -> StepResult:
    """The model step of hwcodesign's own particle models: ``build(n, f, c, model_cfg,
    quant_or_None, seed=)`` gives the float twin and the HGQ2 model, trained here in turn."""
    from ..artifacts import KERAS_MODEL, load_dataset
    from ..frameworks import import_keras, versions
    from ..records import Metric, StepResult
    from ..train.keras_qat import calibrate_hgq, fit_keras
    from .common import evaluate, finish_model_step
    from .keras3 import count_weights

    import_keras()
    cfg = run.config
    ds = load_dataset(run)
    n, f = ds.x_train.shape[1:]
    n_classes = len(ds.classes)
    logits, summary = {}, {}

    def epochs(what: str):
        return lambda epoch, total, logs: run.progress(f"{what} epochs", epoch, total)

    if cfg.train.train_float:
        fmodel = build(n, f, n_classes, cfg.model, None, seed=cfg.train.seed)
        hist = fit_keras(fmodel, ds, cfg.train, None, epochs("float twin"))
        fmodel.save(out / "float.keras")
        logits["float"] = fmodel.predict(ds.x_test, batch_size=1024, verbose=0)
        summary["float"] = evaluate(logits["float"], ds, hist, count_weights(fmodel))
    if cfg.train.float_reference:
        from ..models.reference import build_float_reference

        ref = build_float_reference(n, f, n_classes, seed=cfg.train.seed)
        rtrain = cfg.train.model_copy(update={"learning_rate": min(cfg.train.learning_rate, 1e-3)})
        hist = fit_keras(ref, ds, rtrain, None, epochs("float reference"))
        logits["float_reference"] = ref.predict(ds.x_test, batch_size=1024, verbose=0)
        summary["float_reference"] = evaluate(logits["float_reference"], ds, hist, count_weights(ref))
    qmodel = build(n, f, n_classes, cfg.model, cfg.quantization, seed=cfg.train.seed)
    pareto = out / "pareto" if cfg.train.pareto_checkpoints else None
    hist = fit_keras(qmodel, ds, cfg.train, cfg.quantization, epochs("QAT"), pareto)
    ebops = calibrate_hgq(qmodel, ds.x_train)
    qmodel.save(out / KERAS_MODEL.filename)
    logits["quantized"] = qmodel.predict(ds.x_test, batch_size=1024, verbose=0)
    summary["quantized"] = {**evaluate(logits["quantized"], ds, hist, count_weights(qmodel)), "ebops": ebops}
    metrics, report = finish_model_step(
        out, ds, logits, summary, f"Keras evaluation on the test set ({len(ds.x_test)} samples)"
    )
    metrics["ebops"] = Metric(value=ebops, unit="EBOPs", source="HGQ2 trace_minmax", kind="estimate")
    report = report.model_copy(update={"model": {**report.model, "ebops": metrics["ebops"]}})
    return StepResult(
        metrics=metrics,
        report=report,
        tools=versions("keras", "tensorflow-cpu", "hgq2"),
        info={"model": qmodel.name, "epochs_run": len(hist.get("loss", []))},
    )
