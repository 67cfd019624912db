"""hwcodesign: quantization-aware transformers to FPGAs, with measured numbers."""

__version__ = "0.1.0"
__all__ = ["__version__"]
