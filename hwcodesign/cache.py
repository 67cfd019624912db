"""One content-addressed cache for expensive tool work: generated jets, Verilator builds,
Yosys results.

An entry is a folder ``<cache root>/<kind>/<key>/`` holding the files its maker wrote plus
``.manifest.json`` (size and SHA-256 of each file). Makers write into a private temp folder
that is renamed into place when complete, under a per-entry lock, so concurrent writers
(two runs, Dask workers) never see or produce half an entry: the second one waits and
then uses the first one's. An entry whose files no longer match their manifest (a
truncated file, a deleted one) is reported and made again.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
from collections.abc import Callable
from pathlib import Path

from .locks import exclusive

__all__ = ["cache_dir", "ContentCache", "file_digest"]

log = logging.getLogger(__name__)

MANIFEST = ".manifest.json"


def cache_dir(kind: str, root: Path | None = None) -> Path:
    """``<root>/<kind>``; root defaults to ``$XDG_CACHE_HOME/hwcodesign`` (``~/.cache/hwcodesign``)."""
    if root is None:
        from .environment import cache_home

        root = cache_home() / "hwcodesign"
    return Path(root) / kind


def file_digest(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _manifest(folder: Path) -> dict[str, list]:
    return {
        str(p.relative_to(folder)): [p.stat().st_size, file_digest(p)]
        for p in sorted(folder.rglob("*"))
        if p.is_file() and p.name != MANIFEST
    }


class ContentCache:
    """Entries of one kind in ``folder`` (e.g. ``cache_dir("verilator")``), addressed by a key
    the caller derives from the inputs' content."""

    def __init__(self, folder: Path) -> None:
        self.dir = Path(folder)

    def entry(self, key: str) -> Path:
        return self.dir / key

    def damage(self, key: str) -> str | None:
        """Why an existing entry cannot be used, or None when it is whole (or absent)."""
        entry = self.entry(key)
        if not entry.exists():
            return None
        try:
            stored = json.loads((entry / MANIFEST).read_text())
        except (OSError, ValueError):
            return "its manifest is missing or unreadable"
        actual = _manifest(entry)
        for name, (size, digest) in stored.items():
            if name not in actual:
                return f"{name} is missing"
            if actual[name][0] != size:
                return f"{name} has {actual[name][0]} bytes, expected {size}"
            if actual[name][1] != digest:
                return f"{name} changed since it was written"
        return None

    def lookup(self, key: str) -> Path | None:
        """The entry's folder if it exists and is whole."""
        entry = self.entry(key)
        return entry if entry.is_dir() and self.damage(key) is None else None

    def get_or_make(self, key: str, make: Callable[[Path], None]) -> tuple[Path, bool]:
        """The entry for ``key``, made by ``make(folder)`` when absent or damaged.

        Returns (entry folder, True if it was already there).
        """
        with exclusive(self.dir / f".{key}.lock", f"cache entry {self.dir.name}/{key}", wait=True):
            entry = self.entry(key)
            if entry.exists():
                problem = self.damage(key)
                if problem is None:
                    return entry, True
                log.warning("cache entry %s is damaged (%s): making it again", entry, problem)
                shutil.rmtree(entry)
            tmp = self.dir / f".{key}.tmp{os.getpid()}"
            shutil.rmtree(tmp, ignore_errors=True)
            tmp.mkdir(parents=True)
            try:
                make(tmp)
                (tmp / MANIFEST).write_text(json.dumps(_manifest(tmp)))
                tmp.rename(entry)
            finally:
                shutil.rmtree(tmp, ignore_errors=True)
            return entry, False
