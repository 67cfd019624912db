"""A run is a folder: the resolved config, one output folder per step, and step records.

Steps write into a staging folder (``.<folder>.tmp``) that is renamed into place only
when the step succeeds; the record ``steps/<step>.json`` is written after that. So an
interrupted run never leaves a step looking complete.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from .config import RunConfig, config_from_dict
from .errors import ConfigError, StepOrderError
from .records import StepRecord

__all__ = ["Run", "hash_folder", "hash_json", "atomic_write_text"]


class Run:
    """Handle on one run folder (``runs_dir/name``)."""

    def __init__(self, config: RunConfig, root: Path | None = None) -> None:
        self.config = config
        self.root = Path(root) if root is not None else config.run_dir
        #: Set by the caller (CLI, notebook) to show progress of long loops: (what, done, total).
        self.on_progress: Callable[[str, int, int], None] | None = None

    def progress(self, what: str, done: int, total: int) -> None:
        """Report progress of a long loop inside a step (no-op without a listener)."""
        if self.on_progress is not None:
            self.on_progress(what, done, total)

    @classmethod
    def open(cls, root: str | Path) -> Run:
        """Open an existing run folder from its ``config.yaml``."""
        import yaml

        root = Path(root)
        cfg_file = root / "config.yaml"
        if not cfg_file.is_file():
            raise ConfigError(f"{root} is not a run folder (no config.yaml)")
        return cls(config_from_dict(yaml.safe_load(cfg_file.read_text())), root=root)

    # -- folders -----------------------------------------------------------------------
    def path(self, folder: str, must_exist: bool = True) -> Path:
        """Final output folder of a step (``model``, ``hls``, ``rtl`` ...)."""
        p = self.root / folder
        if must_exist and not p.is_dir():
            raise StepOrderError(
                f"{p} does not exist: run the step that writes '{folder}/' first "
                f"(hwcodesign run <config> --until <step>)"
            )
        return p

    @contextmanager
    def staging(self, folder: str) -> Iterator[Path]:
        """Yield an empty temp folder ``.<folder>.tmp``; on success it replaces ``folder``.

        On error it is left in place (its logs help debugging) and never counts as output;
        the next attempt starts from an empty one.
        """
        final = self.root / folder
        tmp = self.root / f".{folder}.tmp"
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir(parents=True)
        yield tmp
        old = self.root / f".{folder}.old"
        shutil.rmtree(old, ignore_errors=True)
        if final.exists():
            final.rename(old)
        tmp.rename(final)
        shutil.rmtree(old, ignore_errors=True)

    # -- records -----------------------------------------------------------------------
    def record_path(self, step: str) -> Path:
        return self.root / "steps" / f"{step}.json"

    def record(self, step: str) -> StepRecord | None:
        """The record of a step's last successful run, or None."""
        p = self.record_path(step)
        if not p.is_file():
            return None
        return StepRecord.model_validate_json(p.read_text())

    def write_record(self, record: StepRecord) -> None:
        atomic_write_text(self.record_path(record.step), record.model_dump_json(indent=2))

    def forget(self, step: str) -> None:
        """Drop a step's record (its outputs no longer count as complete)."""
        self.record_path(step).unlink(missing_ok=True)

    def write_config(self) -> None:
        atomic_write_text(self.root / "config.yaml", self.config.to_yaml())

    def stored_config(self) -> dict | None:
        import yaml

        p = self.root / "config.yaml"
        return yaml.safe_load(p.read_text()) if p.is_file() else None


def atomic_write_text(path: Path, text: str) -> None:
    """Write a file via a temp name and rename, so readers never see half of it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp{os.getpid()}")
    tmp.write_text(text)
    tmp.replace(path)


def hash_folder(folder: Path, content_limit: int = 16 << 20) -> str:
    """Digest of a folder's files (names and contents; big files by size and mtime)."""
    h = hashlib.sha256()
    for p in sorted(folder.rglob("*")):
        if not p.is_file():
            continue
        st = p.stat()
        h.update(str(p.relative_to(folder)).encode())
        if st.st_size <= content_limit:
            h.update(p.read_bytes())
        else:
            h.update(f"{st.st_size}:{st.st_mtime_ns}".encode())
    return h.hexdigest()[:16]


def hash_json(obj: object) -> str:
    return hashlib.sha256(json.dumps(obj, sort_keys=True, default=str).encode()).hexdigest()[:16]
