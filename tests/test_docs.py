"""The documentation site builds with ``mkdocs build --strict`` (a broken link, reference or
docstring fails it), and its API page is generated from the docstrings."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def test_docs_site_builds_strict_with_the_api_reference(tmp_path):
    site = tmp_path / "site"
    res = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "-d", str(site)],
        cwd=REPO,
        capture_output=True,
        text=True,
        env={"NO_MKDOCS_2_WARNING": "1", "PATH": "/usr/bin:/bin"},
        timeout=600,
    )
    assert res.returncode == 0, res.stderr[-3000:]
    api = (site / "reference" / "api" / "index.html").read_text()
    # rendered from the docstrings, not written by hand
    assert "A validated run config" in api and "make_config" in api and "Report" in api
    for page in ("extending", "architecture", "howto/kernels", "tutorials/01_jet_tagger"):
        assert (site / page / "index.html").is_file(), page
