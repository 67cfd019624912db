"""Print the package list of pyproject.toml ([tool.setuptools] packages) from the folders on disk.

    .venv/bin/python scripts/packages.py   # paste the output into pyproject.toml

hls/ is installed as hwcodesign.hls; tests/test_architecture.py fails when the two differ.
"""

from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
names = sorted(".".join(p.parent.relative_to(REPO).parts) for p in (REPO / "hwcodesign").rglob("__init__.py"))
names += sorted(
    "hwcodesign." + ".".join(p.parent.relative_to(REPO).parts) for p in (REPO / "hls").rglob("__init__.py")
)
print("packages = [\n" + "".join(f'  "{n}",\n' for n in names) + "]")
