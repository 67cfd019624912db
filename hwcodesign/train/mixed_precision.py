"""Weight bits per layer under a bit-operations budget (``quantization.mixed_precision``).

Sensitivity, after HAWQ-v2 (Dong et al., NeurIPS 2020): for layer ``i`` and candidate width ``b``,
``Omega_i(b) = Tr(H_i) / n_i * ||W_i - Q_b(W_i)||^2``, where ``Tr(H_i)`` is the trace of the
Hessian of the training loss with respect to the layer's ``n_i`` weights, estimated on the
trained float twin with Hutchinson's method (``E[v^T H v]`` over random +-1 vectors ``v``, each
``H v`` a second backward pass), and ``Q_b`` is the layer's own Brevitas weight quantizer at
``b`` bits. (MPTQ-ViT, Tai et al. 2024, searches mixed precision for post-training quantization
by a greedy, Hessian-guided loss-difference measure per layer; LRP-QViT, Ranjan & Savakis 2024,
scores layers by layer-wise relevance propagation of the prediction, a contribution measure
rather than a curvature one. Here the model is trained after the choice, so the curvature of the
float loss, as in HAWQ-v2, is the measure.)

Cost: ``BOPs_i(b) = MACs_i * b * a_i`` (weight bits times the bits of the activation the layer
reads). The allocation minimises ``sum_i Omega_i(b_i)`` subject to ``sum_i BOPs_i(b_i) <=
budget``, exactly, as a 0/1 integer program (``scipy.optimize.milp``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from torch import Tensor, nn

__all__ = [
    "LayerCost",
    "InfeasibleBudget",
    "layer_costs",
    "total_bops",
    "hutchinson_traces",
    "sensitivities",
    "allocate",
]


@dataclass(frozen=True)
class LayerCost:
    """One weight layer: its name in the model, MACs per sample, weights, input activation bits."""

    name: str
    macs: int
    weights: int
    act_bits: int


class InfeasibleBudget(ValueError):
    """No allocation meets the budget; ``minimum`` is the smallest BOPs any allocation has."""

    def __init__(self, budget: float, minimum: int, bits: int) -> None:
        super().__init__(
            f"the budget of {budget:,.0f} BOPs is below the minimum of {minimum:,} BOPs (every layer at "
            f"{bits} weight bits); give at least that"
        )
        self.budget, self.minimum = budget, minimum


def layer_costs(model: nn.Module, x: Tensor, input_bits: int, act_bits: int) -> list[LayerCost]:
    """The weight layers (``Linear``, ``Conv2d``, their Brevitas subclasses) in execution order, with
    MACs per sample counted on one forward pass of ``x`` (one sample); the first reads the input
    quantizer (``input_bits``), every other one an activation quantizer (``act_bits``)."""
    import torch
    from torch import nn

    seen: dict[str, int] = {}
    hooks = []
    for name, m in model.named_modules():
        if isinstance(m, nn.Linear):
            hooks.append(m.register_forward_hook(_count(seen, name, lambda m: m.in_features)))
        elif isinstance(m, nn.Conv2d):
            per_out = lambda m: m.in_channels // m.groups * int(np.prod(m.kernel_size))  # noqa: E731
            hooks.append(m.register_forward_hook(_count(seen, name, per_out)))
    try:
        model.eval()
        with torch.no_grad():
            model(x[:1])
    finally:
        for h in hooks:
            h.remove()
    modules = dict(model.named_modules())
    return [
        LayerCost(name, macs, int(modules[name].weight.numel()), input_bits if i == 0 else act_bits)
        for i, (name, macs) in enumerate(seen.items())
    ]


def _count(seen: dict[str, int], name: str, per_output: Callable):
    def hook(m, inputs, output):
        seen[name] = seen.get(name, 0) + int(output[0].numel()) * per_output(m)

    return hook


def total_bops(costs: Sequence[LayerCost], bits: Mapping[str, int]) -> int:
    """Sum over layers of MACs x weight bits x activation bits."""
    return int(sum(c.macs * bits[c.name] * c.act_bits for c in costs))


def hutchinson_traces(
    loss: Callable[[], Tensor], params: Mapping[str, Sequence[Tensor]], probes: int, seed: int = 0
) -> dict[str, float]:
    """Hutchinson estimates of the Hessian trace of ``loss()`` per group of parameters: the mean
    over ``probes`` Rademacher vectors ``v`` of ``v^T H v`` (Avron & Toledo 2011; HAWQ-v2)."""
    import torch

    names = list(params)
    flat = [p for n in names for p in params[n]]
    gen = torch.Generator().manual_seed(seed)
    value = loss()
    grads = torch.autograd.grad(value, flat, create_graph=True)
    sums = dict.fromkeys(names, 0.0)
    for _ in range(probes):
        vs = [torch.randint(0, 2, p.shape, generator=gen).to(p.dtype) * 2 - 1 for p in flat]
        hvs = torch.autograd.grad(grads, flat, grad_outputs=vs, retain_graph=True)
        k = 0
        for n in names:
            for _p in params[n]:
                sums[n] += float(torch.sum(vs[k] * hvs[k]))
                k += 1
    return {n: s / probes for n, s in sums.items()}


def sensitivities(
    traces: Mapping[str, float],
    weights: Mapping[str, Tensor],
    quantize: Callable[[str, int], Tensor],
    bits: Sequence[int],
) -> dict[str, dict[int, float]]:
    """``Omega_i(b) = max(Tr(H_i), 0) / n_i * ||W_i - Q_b(W_i)||^2`` per layer and width (a negative
    trace estimate, possible away from a minimum, counts as flat)."""
    import torch

    out: dict[str, dict[int, float]] = {}
    for name, w in weights.items():
        mean_trace = max(traces[name], 0.0) / w.numel()
        out[name] = {b: mean_trace * float(torch.sum((w - quantize(name, b)) ** 2)) for b in bits}
    return out


def allocate(
    sens: Mapping[str, Mapping[int, float]], costs: Sequence[LayerCost], budget: float
) -> dict[str, int]:
    """The bits per layer minimising the summed sensitivity within ``budget`` BOPs, exactly (0/1
    integer program; among equal sensitivities the cheaper choice).

    Raises:
        InfeasibleBudget: even the narrowest width everywhere exceeds the budget.
    """
    from scipy.optimize import LinearConstraint, milp

    bits = sorted({b for s in sens.values() for b in s})
    minimum = total_bops(costs, {c.name: bits[0] for c in costs})
    if minimum > budget:
        raise InfeasibleBudget(budget, minimum, bits[0])
    choices = [(c, b) for c in costs for b in bits]
    omega = np.array([sens[c.name][b] for c, b in choices])
    ops = np.array([c.macs * b * c.act_bits for c, b in choices], dtype=float)
    scale = max(float(np.abs(omega).max()), 1e-30)
    objective = omega / scale + 1e-9 * ops / max(budget, 1.0)  # tie-break: fewer BOPs
    one_each = np.zeros((len(costs), len(choices)))
    for j, (c, _) in enumerate(choices):
        one_each[[i for i, cc in enumerate(costs) if cc.name == c.name][0], j] = 1
    res = milp(
        objective,
        constraints=[LinearConstraint(one_each, 1, 1), LinearConstraint(ops[None, :], -np.inf, budget)],
        integrality=np.ones(len(choices)),
        bounds=(0, 1),
    )
    if res.x is None:  # cannot happen above the minimum; kept as an internal check
        raise RuntimeError(f"milp found no allocation: {res.message}")
    picked = [choices[j] for j in np.flatnonzero(res.x > 0.5)]
    return {c.name: b for c, b in picked}
