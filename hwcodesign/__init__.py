"""hwcodesign: quantization-aware transformers to FPGAs, with measured numbers.

import hwcodesign as hw
run = hw.run("my.keras", data=(x, y), target=hw.Target(part="xcvu13p-flga2577-2-e", clock_ns=5))
run.report
"""

__version__ = "0.3.0"

# Bound after the submodules load: ``hwcodesign.run`` is the API function (the run-folder
# module stays importable as ``from hwcodesign.run import Run``).
from .api import (  # noqa: E402
    Report,
    RunHandle,
    SweepResult,
    Target,
    emulate,
    make_config,
    open,  # noqa: A004
    run,
    sweep,
)

__all__ = [
    "__version__",
    "run",
    "open",
    "sweep",
    "emulate",
    "Target",
    "make_config",
    "RunHandle",
    "Report",
    "SweepResult",
]
