"""Design-space exploration: sweeps of run configs on Dask with an Optuna study store.

    hwcodesign sweep run configs/sweeps/jet_pareto.yaml
    hwcodesign sweep show runs/jet_pareto

``spec`` (what to sweep), ``sweep`` (the driver), ``trial`` (what a worker runs), ``cluster``
(local / dask-jobqueue / a scheduler), ``pareto`` and ``report`` (results).
"""

from .spec import SweepSpec, load_sweep

__all__ = ["SweepSpec", "load_sweep"]
