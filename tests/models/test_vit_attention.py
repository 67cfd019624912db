"""The ViT's clipped softmax and gated attention (Bondarenko et al. 2023), float twin and Brevitas."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
import yaml

from hwcodesign.config import BrevitasQuantConfig
from hwcodesign.models.vit.builder import build_vit
from hwcodesign.models.vit.config import ViTConfig

BASE = {"kind": "vit", "patch_size": 4, "embed_dim": 8, "num_heads": 2, "mlp_dim": 16}
CLIP = {"softmax_clip": {"gamma": -0.1, "zeta": 1.1}}


def _q(scaling: str) -> BrevitasQuantConfig:
    return BrevitasQuantConfig(framework="brevitas", weight_bits=4, act_bits=4, scaling=scaling)


def _weights(attn, scores: torch.Tensor) -> torch.Tensor:
    """The attention weights the module computes from ``scores`` (softmax, clip, quantizer)."""
    return attn.softmax_quant(attn._clipped(attn.softmax(scores)))


@pytest.mark.parametrize("quant", [None, "float", "po2"])
def test_clipped_softmax_reaches_exact_zero_and_one(quant):
    torch.manual_seed(0)
    model = build_vit((1, 8, 8), 10, ViTConfig(**BASE, attention=CLIP), _q(quant) if quant else None)
    attn = model.blocks[0].attn
    scores = torch.tensor([[[12.0, 0.0, 0.0, 0.0], [0.3, 0.2, 0.1, 0.0]]])
    w = _weights(attn, scores)
    top = 1.0 if quant != "po2" else 1 - 2**-4  # po2: the largest 4-bit level below 1
    assert float(w[0, 0, 0]) == top and torch.all(w[0, 0, 1:] == 0)
    assert torch.all(w[0, 1] > 0)  # a flat row keeps every token
    plain = build_vit((1, 8, 8), 10, ViTConfig(**BASE), _q(quant) if quant else None).blocks[0].attn
    assert float(plain.softmax(scores)[0, 0, 1]) > 0  # the plain softmax never gives an exact 0


def test_clip_expressed_through_the_quantizer_that_follows():
    """Quantized: no clamp, the [0, 1] quantizer saturates; float twin: an explicit clamp."""
    cfg = ViTConfig(**BASE, attention=CLIP)
    q_attn = build_vit((1, 8, 8), 10, cfg, _q("float")).blocks[0].attn
    f_attn = build_vit((1, 8, 8), 10, cfg, None).blocks[0].attn
    p = torch.tensor([0.0, 0.05, 0.5, 1.0])
    assert not q_attn.clamp and torch.allclose(q_attn._clipped(p), 1.2 * p - 0.1)
    assert torch.equal(f_attn._clipped(p), torch.clamp(1.2 * p - 0.1, 0, 1))
    levels = q_attn.softmax_quant(torch.linspace(-1, 2, 301))
    assert float(levels.min()) == 0.0 and float(levels.max()) == 1.0 and len(torch.unique(levels)) == 16


@pytest.mark.parametrize("quant", [None, "po2"])
def test_a_closed_gate_silences_the_attention(quant):
    torch.manual_seed(0)
    cfg = ViTConfig(**BASE, attention={"gate": True})
    attn = build_vit((1, 8, 8), 10, cfg, _q(quant) if quant else None).blocks[0].attn
    x = torch.rand(2, 4, 8)
    attn(x)  # quantizer statistics
    attn.eval()
    open_out = attn(x)
    with torch.no_grad():
        attn.gate_proj.weight.zero_()
        attn.gate_proj.bias.fill_(-10.0)  # hard sigmoid: exactly 0
    closed = attn(x)
    assert torch.allclose(closed, attn.o_proj(torch.zeros(2, 4, 8))) and not torch.allclose(closed, open_out)


def test_without_the_options_the_weights_and_config_are_the_plain_ones():
    """Old trained weights still load: the module names of the plain formulation are unchanged."""
    q = _q("float")
    plain = build_vit((1, 8, 8), 10, ViTConfig(**BASE), q)
    off = build_vit((1, 8, 8), 10, ViTConfig(**BASE, attention={"gate": False}), q)
    gated = build_vit((1, 8, 8), 10, ViTConfig(**BASE, attention={"gate": True, **CLIP}), q)
    assert set(plain.state_dict()) == set(off.state_dict())
    new = set(gated.state_dict()) - set(plain.state_dict())
    assert new and all(".gate_" in k or ".softmax_quant." in k for k in new)
    assert "attention" not in yaml.safe_load(yaml.safe_dump(ViTConfig(**BASE).model_dump(mode="json")))


def test_clip_needs_a_linear_softmax():
    with pytest.raises(ValueError, match="softmax float or shiftmax"):
        ViTConfig(**BASE, softmax="shiftmax_log2", attention=CLIP)


def test_integer_vit_with_both_options_exports_exactly(tmp_path: Path):
    from qonnx.core.modelwrapper import ModelWrapper
    from qonnx.core.onnx_exec import execute_onnx

    from hwcodesign.backends.qonnx import export_qonnx

    integer = {"softmax": "shiftmax", "norm": "integer", "adds": "integer", "mlp_activation": "shiftgelu"}
    cfg = ViTConfig(**BASE, **integer, attention={"gate": True, **CLIP})
    torch.manual_seed(0)
    model = build_vit((1, 8, 8), 10, cfg, _q("po2"))
    x = torch.rand(16, 1, 8, 8)
    opt = torch.optim.Adam(model.parameters(), 1e-3)
    for _ in range(3):
        loss = torch.nn.functional.cross_entropy(model(x), torch.arange(16) % 10)
        opt.zero_grad()
        loss.backward()
        opt.step()
    model.eval()
    ref = model(x[:1]).detach().numpy()
    export_qonnx(model, x[:1].numpy(), tmp_path / "m.onnx")
    mw = ModelWrapper(str(tmp_path / "m.onnx"))
    out = execute_onnx(mw, {mw.graph.input[0].name: x[:1].numpy()})[mw.graph.output[0].name]
    assert np.abs(out - ref).max() == 0
    assert {"Shiftmax", "Mul", "Add", "Quant"} <= {n.op_type for n in mw.graph.node}
