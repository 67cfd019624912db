"""Reading a user's ONNX file: loading it, telling float models from quantized ones (QONNX,
FINN, QDQ), the ops the float import supports, and node attributes in Keras terms."""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

from ...errors import DataNotFoundError

if TYPE_CHECKING:
    import onnx

__all__ = [
    "SUPPORTED_OPS",
    "QUANTIZER_OPS",
    "STANDARD_DOMAINS",
    "is_float_onnx",
    "quantizer_nodes",
    "load_onnx",
    "attrs",
    "tensor_dims",
    "padding",
    "conv_out",
    "clean_name",
    "op_hint",
]

SUPPORTED_OPS = (
    "Add",
    "AveragePool",
    "BatchNormalization",
    "Constant",
    "Conv",
    "Dropout",
    "Flatten",
    "Gemm",
    "GlobalAveragePool",
    "Identity",
    "MatMul",
    "MaxPool",
    "ReduceMean",
    "Relu",
    "Reshape",
    "Sigmoid",
    "Softmax",
)
#: Ops that make a model quantized (QONNX, FINN, QDQ / integer ONNX): the onnx_file family's.
QUANTIZER_OPS = frozenset(
    {
        "Quant",
        "BipolarQuant",
        "Trunc",
        "MultiThreshold",
        "QuantizeLinear",
        "DequantizeLinear",
        "DynamicQuantizeLinear",
        "QLinearMatMul",
        "QLinearConv",
        "MatMulInteger",
        "ConvInteger",
    }
)
STANDARD_DOMAINS = ("", "ai.onnx")
BACKEND = "the float ONNX import (ONNX -> Keras, then post-training quantization)"
HINT = (
    "export the model with Linear/Conv/BatchNorm/ReLU/Sigmoid/Softmax/Flatten layers, or quantize it "
    "yourself (Brevitas/QONNX: model.kind onnx_file)"
)


def quantizer_nodes(model: onnx.ModelProto) -> list[str]:
    """``'name (op)'`` of every node that quantizes (QONNX/FINN/QDQ ops, or a custom domain)."""
    return [
        f"{n.name or n.output[0]} ({n.op_type})"
        for n in model.graph.node
        if n.op_type in QUANTIZER_OPS or n.domain not in STANDARD_DOMAINS
    ]


def is_float_onnx(path: Path) -> bool:
    """Whether ``path`` is a readable ONNX model without quantizers (False when unreadable)."""
    import onnx

    try:
        model = onnx.load(str(path), load_external_data=False)
    except Exception:  # unreadable here: the QONNX family reports why, in one line
        return False
    return bool(model.graph.node) and not quantizer_nodes(model)


def load_onnx(path: Path) -> onnx.ModelProto:
    """Load an ONNX file with its shapes inferred.

    Raises:
        DataNotFoundError: missing, or not an ONNX model.
    """
    import onnx

    if not path.is_file():
        raise DataNotFoundError(f"model file not found: {path} (model.path)")
    try:
        model = onnx.load(str(path))
        return onnx.shape_inference.infer_shapes(model)
    except Exception as e:  # a user file: every failure to read it is the user's to fix
        first = (str(e).strip().splitlines() or [type(e).__name__])[0][:200]
        raise DataNotFoundError(
            f"model.path {path} is not a readable ONNX model ({type(e).__name__}: {first})"
        ) from None


def attrs(node) -> dict:
    import onnx

    return {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}


def tensor_dims(value_info) -> list:
    return [d.dim_value if d.HasField("dim_value") else None for d in value_info.type.tensor_type.shape.dim]


PAD_HINT = "pads none (valid) or 'same' at stride 1, no ceil_mode, dilation 1 for pooling"


def padding(a: dict, k: tuple, strides: tuple) -> str | None:
    """Keras padding for ONNX pads: 'valid', 'same' (stride 1, odd kernel, symmetric), or None."""
    auto = a.get("auto_pad", b"NOTSET")
    auto = auto.decode() if isinstance(auto, bytes) else auto
    pads = tuple(a.get("pads", (0,) * 2 * len(k)))
    if auto == "VALID" or (auto == "NOTSET" and not any(pads)):
        return "valid"
    same = tuple((kk - 1) // 2 for kk in k) * 2
    odd_stride_1 = all(s == 1 for s in strides) and all(kk % 2 for kk in k)
    if odd_stride_1 and (auto in ("SAME_UPPER", "SAME_LOWER") or (auto == "NOTSET" and pads == same)):
        return "same"
    return None


def conv_out(spatial: tuple, k: tuple, strides: tuple, dilation: tuple, padding: str) -> tuple[int, ...]:
    if padding == "same":
        return tuple(spatial)
    return tuple(
        (n - d * (kk - 1) - 1) // s + 1 for n, kk, s, d in zip(spatial, k, strides, dilation, strict=True)
    )


def clean_name(raw: str) -> str:
    """A name usable as a C++ identifier (hls4ml names its variables after the layers)."""
    out = re.sub(r"[^A-Za-z0-9_]+", "_", raw).strip("_")
    return f"onnx_{out}" if out[:1].isdigit() else out


def op_hint(op: str) -> str:
    hints = {
        "Tanh": "tanh has no bit-exact form in the post-training quantization; use ReLU, or train with HGQ2",
        "Transpose": "a Transpose is not imported; export without it (flatten channels first)",
        "LayerNormalization": "no bit-exact LayerNorm exists in hls4ml; fold it or train with HGQ2",
        "Unsqueeze": "torch's dynamo exporter writes AdaptiveAvgPool1d as Unsqueeze/ReduceMean/Squeeze: "
        "export with dynamo=False (a GlobalAveragePool), or use AvgPool1d",
    }
    return hints.get(op, HINT)
