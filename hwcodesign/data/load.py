"""One entry point per data question, whatever the source: load the splits, the input
shape per sample (before loading), whether there are labels, and the cheap checks."""

from __future__ import annotations

from collections.abc import Callable

from ..config import FileDataConfig, ImageDataConfig, JetDataConfig
from .splits import SplitDataset

__all__ = ["load_data", "input_shape", "has_labels", "check_data_source"]

DataConfig = JetDataConfig | ImageDataConfig | FileDataConfig


def load_data(cfg: DataConfig, on_progress: Callable[[int, int], None] | None = None) -> SplitDataset:
    """The standardised train/val/test splits of the configured source."""
    if isinstance(cfg, JetDataConfig):
        from .jets import load_jets

        return load_jets(cfg, on_progress)
    if isinstance(cfg, FileDataConfig):
        from .files import load_file_data

        return load_file_data(cfg)
    from .images import load_images

    return load_images(cfg)


def input_shape(cfg: DataConfig) -> tuple[int, ...]:
    """Shape of one input sample (no batch axis), known before the data step runs."""
    if isinstance(cfg, JetDataConfig):
        if cfg.source == "hls4ml_openml":
            from .jets import OPENML_FEATURES

            return (len(OPENML_FEATURES),)
        return (cfg.n_particles, len(cfg.features))
    if isinstance(cfg, FileDataConfig):
        from .files import peek_file

        return peek_file(cfg)[0]
    return (1, 28, 28) if cfg.dataset == "fashion_mnist" else (1, 8, 8)


def has_labels(cfg: DataConfig) -> bool:
    if isinstance(cfg, FileDataConfig):
        from .files import peek_file

        return peek_file(cfg)[1]
    return True


def check_data_source(cfg: DataConfig) -> None:
    """Cheap checks before any step runs: files present and readable, generator installed.

    Raises:
        UserError: the first problem, in one line.
    """
    if isinstance(cfg, JetDataConfig):
        from .jets import check_jet_source

        check_jet_source(cfg)
    elif isinstance(cfg, FileDataConfig):
        from .files import peek_file

        peek_file(cfg)
    else:
        from .images import check_images

        check_images(cfg)
