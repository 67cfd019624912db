"""Brevitas models and their float twins."""

import numpy as np
import torch

from hwcodesign.config import BrevitasQuantConfig
from hwcodesign.models.mlp.builder import build_mlp
from hwcodesign.models.mlp.config import MLPConfig
from hwcodesign.models.vit.builder import build_vit
from hwcodesign.models.vit.config import ViTConfig

Q = BrevitasQuantConfig(framework="brevitas", weight_bits=4, act_bits=4)


def _float_params(model):
    return {
        k: tuple(v.shape)
        for k, v in model.state_dict().items()
        if k.endswith(("weight", "bias", "pos")) and "quant" not in k
    }


def test_vit_float_twin_has_the_same_weights():
    cfg = ViTConfig(kind="vit", patch_size=4, embed_dim=8, num_heads=2, mlp_dim=16)
    fm, qm = build_vit((1, 8, 8), 10, cfg, None), build_vit((1, 8, 8), 10, cfg, Q)
    assert _float_params(fm) == _float_params(qm)
    x = torch.from_numpy(np.random.default_rng(0).random((3, 1, 8, 8), np.float32))
    assert fm(x).shape == qm(x).shape == (3, 10)
    assert not any("norm" in k and k.endswith(("weight", "bias")) for k in qm.state_dict())  # no affine


def test_mlp_layers_and_bits():
    m = build_mlp(64, 10, MLPConfig(kind="mlp", hidden=(32, 16)), Q)
    linears = [layer for layer in m if type(layer).__name__ == "QuantLinear"]
    assert [(lin.in_features, lin.out_features) for lin in linears] == [(64, 32), (32, 16), (16, 10)]
    assert all(int(lin.quant_weight().bit_width) == 4 for lin in linears)
