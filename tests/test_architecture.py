"""The package keeps its shape (docs/architecture.md): no import cycles, no import up the
layers, no function over 80 lines; every package folder is installed (pyproject.toml)."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def test_architecture_check_passes():
    res = subprocess.run(
        [sys.executable, str(REPO / "scripts" / "architecture_check.py")], capture_output=True, text=True
    )
    assert res.returncode == 0, res.stdout + res.stderr
    assert "import cycles: 0" in res.stdout and "imports up the layers: 0" in res.stdout


def test_every_package_folder_is_installed():
    listed = set(tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"])
    found = {".".join(p.parent.relative_to(REPO).parts) for p in (REPO / "hwcodesign").rglob("__init__.py")}
    found |= {
        "hwcodesign." + ".".join(p.parent.relative_to(REPO).parts)
        for p in (REPO / "hls").rglob("__init__.py")
    }
    assert not found - listed, f"package folders missing from pyproject.toml: {sorted(found - listed)}"
    assert not listed - found, f"listed in pyproject.toml but not on disk: {sorted(listed - found)}"
