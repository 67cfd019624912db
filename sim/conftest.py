"""pytest side of the kernel benches: every ``sim/test_<kernel>.py`` builds its kernel in
Verilator (cached), drives it through cocotb and compares with the NumPy reference."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).parent))


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(1234)
