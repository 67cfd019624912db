"""``quantization.mixed_precision`` for the Brevitas families: the budget check before any step,
and the choice of weight bits per layer on the trained float twin (``train/mixed_precision.py``
holds the method: HAWQ-v2 sensitivities, BOPs, the exact allocation)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..errors import ConfigError

if TYPE_CHECKING:
    from ..config import RunConfig
    from ..data.splits import SplitDataset
    from ..train.mixed_precision import LayerCost

__all__ = ["check_mixed_precision", "choose_bits", "budget_of", "costs_of"]


def costs_of(config: RunConfig, float_model, shape: tuple[int, ...]) -> list[LayerCost]:
    """The weight layers of the run's model with their MACs and input activation bits."""
    import torch

    from ..train.mixed_precision import layer_costs

    q = config.quantization
    return layer_costs(float_model, torch.zeros((1, *shape)), q.input_bits, q.act_bits)


def budget_of(config: RunConfig, costs: list[LayerCost]) -> float:
    """The budget in BOPs: absolute, or relative to every layer at ``quantization.weight_bits``."""
    from ..train.mixed_precision import total_bops

    q = config.quantization
    mp = q.mixed_precision
    if mp.budget_bops is not None:
        return float(mp.budget_bops)
    return mp.relative * total_bops(costs, {c.name: q.weight_bits for c in costs})


def check_mixed_precision(config: RunConfig) -> None:
    """Before any step: the float twin is trained (the sensitivities are measured on it) and some
    allocation meets the budget.

    Raises:
        ConfigError: ``train.train_float`` is off, or the budget is below the narrowest allocation
            (the message gives that minimum).
    """
    from ..data.load import input_shape
    from ..train.mixed_precision import total_bops
    from .teachers import n_classes_of
    from .torch_build import build_torch_model

    mp = getattr(config.quantization, "mixed_precision", None)
    if mp is None:
        return
    if not config.train.train_float:
        raise ConfigError(
            "quantization.mixed_precision measures layer sensitivities on the trained float twin: set "
            "train.train_float: true"
        )
    shape = tuple(input_shape(config.data))
    costs = costs_of(config, build_torch_model(config, shape, n_classes_of(config) or 2, False), shape)
    budget = budget_of(config, costs)
    low = min(mp.weight_bits)
    minimum = total_bops(costs, {c.name: low for c in costs})
    if minimum > budget:
        raise ConfigError(
            f"quantization.mixed_precision: the budget of {budget:,.0f} BOPs is below the minimum of "
            f"{minimum:,} BOPs (all {len(costs)} layers at {low} weight bits); give at least that"
        )


def choose_bits(config: RunConfig, float_model, ds: SplitDataset) -> dict[str, Any]:
    """Weight bits per layer for the quantized model: sensitivities of the trained float twin on
    ``mixed_precision.samples`` training samples, then the exact allocation under the budget.

    Returns:
        ``{"bits": {layer: bits}, "bops", "budget_bops", "uniform_bops", "rows"}`` (rows: the
        report's table, one per layer).
    """
    import numpy as np
    import torch

    from ..train.mixed_precision import allocate, hutchinson_traces, sensitivities, total_bops
    from .brevitas_layers import quantized_weight

    q = config.quantization
    mp = q.mixed_precision
    costs = costs_of(config, float_model, tuple(ds.x_train.shape[1:]))
    budget = budget_of(config, costs)
    modules = dict(float_model.named_modules())
    rng = np.random.default_rng(config.train.seed)
    pick = rng.choice(len(ds.x_train), size=min(mp.samples, len(ds.x_train)), replace=False)
    x, y = torch.from_numpy(ds.x_train[pick]), torch.from_numpy(ds.y_train[pick].astype(np.int64))
    float_model.eval()

    def loss():
        return torch.nn.functional.cross_entropy(float_model(x), y)

    traces = hutchinson_traces(
        loss, {c.name: [modules[c.name].weight] for c in costs}, mp.probes, config.train.seed
    )
    weights = {c.name: modules[c.name].weight.detach() for c in costs}
    widths = sorted({*mp.weight_bits, q.weight_bits})  # the uniform width too, for the table
    sens = sensitivities(traces, weights, lambda n, b: quantized_weight(modules[n], q, b), widths)
    try:
        bits = allocate({n: {b: s[b] for b in mp.weight_bits} for n, s in sens.items()}, costs, budget)
    except ValueError as e:  # InfeasibleBudget; the check says it before training
        raise ConfigError(f"quantization.mixed_precision: {e}") from None
    uniform = {c.name: q.weight_bits for c in costs}
    rows = [
        {
            "layer": c.name,
            "weight bits": bits[c.name],
            "act bits": c.act_bits,
            "MACs": c.macs,
            "BOPs": c.macs * bits[c.name] * c.act_bits,
            "Hessian trace / weight": round(traces[c.name] / c.weights, 8),
            "sensitivity (chosen)": float(f"{sens[c.name][bits[c.name]]:.4g}"),
            f"sensitivity at {q.weight_bits} bits": float(f"{sens[c.name][q.weight_bits]:.4g}"),
        }
        for c in costs
    ]
    return {
        "bits": bits,
        "bops": total_bops(costs, bits),
        "budget_bops": budget,
        "uniform_bops": total_bops(costs, uniform),
        "rows": rows,
    }
