"""Mixed precision per layer: Hutchinson traces, BOPs, the exact allocation, per-layer bits."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import torch

from hwcodesign.config import BrevitasQuantConfig
from hwcodesign.models.brevitas_layers import quantized_weight, set_weight_bits
from hwcodesign.models.vit.builder import build_vit
from hwcodesign.models.vit.config import ViTConfig
from hwcodesign.train.mixed_precision import (
    InfeasibleBudget,
    LayerCost,
    allocate,
    hutchinson_traces,
    layer_costs,
    sensitivities,
    total_bops,
)

Q = BrevitasQuantConfig(framework="brevitas", weight_bits=4, act_bits=4)
CFG = ViTConfig(kind="vit", patch_size=4, embed_dim=8, num_heads=2, mlp_dim=16)


def test_hutchinson_trace_of_a_quadratic():
    """loss = sum_i a_i w_i^2 / 2 has H = diag(a): every Rademacher probe gives Tr(H) exactly."""
    a1, a2 = torch.tensor([1.0, 2.0, 3.0]), torch.tensor([[0.5, 4.0], [1.5, 2.0]])
    w1, w2 = torch.ones(3, requires_grad=True), torch.ones(2, 2, requires_grad=True)

    def loss():
        return 0.5 * (a1 * w1**2).sum() + 0.5 * (a2 * w2**2).sum()

    traces = hutchinson_traces(loss, {"one": [w1], "two": [w2]}, probes=3)
    assert traces == pytest.approx({"one": 6.0, "two": 8.0})


def test_allocation_meets_the_budget_and_follows_the_sensitivity():
    costs = [LayerCost(n, macs=100, weights=10, act_bits=4) for n in ("low", "mid", "high")]
    scale = {"low": 1.0, "mid": 10.0, "high": 100.0}
    sens = {n: {b: s * 4.0**-b for b in (2, 3, 4, 6, 8)} for n, s in scale.items()}
    budget = total_bops(costs, {c.name: 4 for c in costs})  # as much as uniform 4 bits
    bits = allocate(sens, costs, budget)
    assert total_bops(costs, bits) <= budget
    assert bits["low"] <= bits["mid"] <= bits["high"] and bits["low"] < bits["high"]
    # exact: no allocation within the budget has a smaller summed sensitivity
    best = min(
        (sum(sens[n][b] for n, b in zip(scale, combo, strict=True)), combo)
        for combo in itertools.product((2, 3, 4, 6, 8), repeat=3)
        if total_bops(costs, dict(zip(scale, combo, strict=True))) <= budget
    )
    assert sum(sens[n][bits[n]] for n in scale) == pytest.approx(best[0])


def test_an_impossible_budget_names_the_minimum():
    costs = [LayerCost("a", 100, 10, 8), LayerCost("b", 50, 10, 4)]
    with pytest.raises(InfeasibleBudget, match="minimum of 2,000 BOPs") as e:
        allocate({"a": {2: 1.0, 4: 0.1}, "b": {2: 1.0, 4: 0.1}}, costs, budget=1000)
    assert e.value.minimum == 100 * 2 * 8 + 50 * 2 * 4


def test_layer_costs_of_the_vit():
    model = build_vit((1, 8, 8), 10, CFG, None)
    costs = {c.name: c for c in layer_costs(model, torch.zeros(1, 1, 8, 8), input_bits=8, act_bits=4)}
    tokens, d = 4, 8
    assert costs["patch"].macs == tokens * d * 16 and costs["patch"].act_bits == 8  # 4x4 patches, 1 channel
    assert (
        costs["blocks.0.attn.q_proj"].macs == tokens * d * d and costs["blocks.0.attn.q_proj"].act_bits == 4
    )
    assert costs["head"].macs == tokens * d * 10
    assert list(costs)[0] == "patch" and len(costs) == 8  # patch, q k v o, fc1 fc2, head


def test_sensitivity_grows_as_bits_shrink():
    model = build_vit((1, 8, 8), 10, CFG, None)
    lin = model.get_submodule("blocks.0.fc1")
    sens = sensitivities(
        {"fc1": 2.0}, {"fc1": lin.weight.detach()}, lambda n, b: quantized_weight(lin, Q, b), (2, 4, 8)
    )
    assert sens["fc1"][2] > sens["fc1"][4] > sens["fc1"][8] > 0


def test_set_weight_bits_gives_each_layer_its_bits_and_keeps_the_weights():
    torch.manual_seed(0)
    model = build_vit((1, 8, 8), 10, CFG, Q)
    keys, before = set(model.state_dict()), model.get_submodule("blocks.0.fc1").weight.detach().clone()
    set_weight_bits(model, {"blocks.0.fc1": 2, "patch": 8}, Q)
    assert int(model.get_submodule("blocks.0.fc1").quant_weight().bit_width) == 2
    assert int(model.get_submodule("patch").quant_weight().bit_width) == 8
    assert int(model.get_submodule("blocks.0.fc2").quant_weight().bit_width) == 4
    assert torch.equal(model.get_submodule("blocks.0.fc1").weight, before)
    assert set(model.state_dict()) == keys
    assert model(torch.rand(2, 1, 8, 8)).shape == (2, 10)
    levels = np.unique(model.get_submodule("blocks.0.fc1").quant_weight().int().detach().numpy())
    assert set(levels) <= {-1, 0, 1}  # 2 bits, narrow range
