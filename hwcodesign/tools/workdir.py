"""Private build folders with plain paths, for tools that cannot take arbitrary paths.

Make (Verilator's generated makefiles), shell scripts (hls4ml's ``build_lib.sh``) and Yosys
scripts split or re-parse paths with spaces, quotes, ``;`` or ``$(...)``. Such a tool runs
in a fresh folder whose path holds only plain characters; its inputs are symlinked in
under plain names and referred to by relative paths, and its results are copied out.
So a run folder or cache anywhere (any Unicode, any punctuation) works.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from ..errors import ConfigError

__all__ = ["is_plain", "plain_workdir", "link_inputs"]

_PLAIN = re.compile(r"^[A-Za-z0-9_./+-]+$")


def is_plain(path: str | Path) -> bool:
    """True when ``path`` survives make, sh and Yosys unquoted."""
    return bool(_PLAIN.match(str(path)))


def _plain_temp_root() -> Path:
    for candidate in (tempfile.gettempdir(), "/tmp", "/var/tmp"):
        if is_plain(candidate) and os.access(candidate, os.W_OK):
            return Path(candidate)
    raise ConfigError(
        "no writable temporary folder with a plain path (letters, digits, _ . / + -) for "
        "Verilator/Yosys/hls4ml builds: set TMPDIR to one"
    )


@contextmanager
def plain_workdir(prefix: str) -> Iterator[Path]:
    """A fresh folder with a plain absolute path, removed when the block ends."""
    path = Path(tempfile.mkdtemp(prefix=f"hwcodesign-{prefix}-", dir=_plain_temp_root()))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def link_inputs(folder: Path, files: Sequence[Path], subdir: str = "in") -> list[str]:
    """Symlink ``files`` into ``folder/subdir`` under plain names; returns the relative paths.

    A file keeps its own name when that name is plain and unused, else it becomes
    ``f<index><suffix>``.
    """
    target = folder / subdir
    target.mkdir(parents=True, exist_ok=True)
    names: list[str] = []
    for i, f in enumerate(files):
        name = f.name if is_plain(f.name) and f.name not in names else f"f{i}{''.join(f.suffixes)}"
        if not is_plain(name):
            name = f"f{i}"
        (target / name).symlink_to(Path(f).resolve())
        names.append(name)
    return [f"{subdir}/{n}" for n in names]
