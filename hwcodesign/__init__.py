"""hwcodesign: quantization-aware transformers to FPGAs, with measured numbers.

import hwcodesign as hw
run = hw.run("my.keras", data=(x, y), target=hw.Target(part="xcvu13p-flga2577-2-e", clock_ns=5))
run.report
"""

__version__ = "0.2.0"

# Bound after the submodules load: ``hwcodesign.run`` is the API function (the run-folder
# module stays importable as ``from hwcodesign.run import Run``).
from .api import Report, RunHandle, SweepResult, Target, make_config, open, run, sweep  # noqa: E402, A004

__all__ = [
    "__version__",
    "run",
    "open",
    "sweep",
    "Target",
    "make_config",
    "RunHandle",
    "Report",
    "SweepResult",
]
