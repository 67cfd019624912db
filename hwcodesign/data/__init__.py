"""Real datasets: Pythia8 particle-level jets, hls4ml jet formats, Fashion-MNIST, digits."""

from .splits import SplitDataset, stratified_split

__all__ = ["SplitDataset", "stratified_split"]
