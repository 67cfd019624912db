"""A run is a folder: the resolved config, one output folder per step, and step records.

Steps write into a staging folder (``.<folder>.tmp``) that is renamed into place only
when the step succeeds; the record ``steps/<step>.json`` is written after that, with a
manifest of every output file (``steps/<step>.outputs.json``). So an interrupted run never
leaves a step looking complete, and a file changed or lost afterwards is detected.

Safety: a run folder lies directly inside ``runs_dir`` (names cannot climb out), an
existing folder that is not a run folder is never used, and one process at a time holds
a run folder (``.lock``).
"""

from __future__ import annotations

import errno
import hashlib
import json
import logging
import os
import shutil
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from .cache import file_digest
from .config import RunConfig, config_from_dict
from .errors import ConfigError, RunExistsError, StepOrderError, UserError
from .locks import exclusive
from .plan import PLAN_FILE, PLAN_FORMAT, Plan
from .records import StepRecord

__all__ = [
    "Run",
    "folder_manifest",
    "manifest_hash",
    "manifest_difference",
    "hash_folder",
    "hash_json",
    "atomic_write_text",
]

log = logging.getLogger(__name__)

CONFIG_FILE = "config.yaml"


class Run:
    """Handle on one run folder (``runs_dir/name`` unless opened from a folder)."""

    def __init__(self, config: RunConfig, root: Path | None = None) -> None:
        self.config = config
        self.root = Path(root) if root is not None else config.run_dir
        #: Set by the caller (CLI, notebook) to show progress of long loops: (what, done, total).
        self.on_progress: Callable[[str, int, int], None] | None = None
        self._plan: Plan | None = None

    def progress(self, what: str, done: int, total: int) -> None:
        """Report progress of a long loop inside a step (no-op without a listener)."""
        if self.on_progress is not None:
            self.on_progress(what, done, total)

    @classmethod
    def open(cls, root: str | Path) -> Run:
        """Open an existing run folder from its ``config.yaml``; the folder, not the name in
        the config, is the run (a copied run folder is its own run).

        Raises:
            RunExistsError: not a run folder, or its config is damaged.
        """
        import yaml

        root = Path(root)
        cfg_file = root / CONFIG_FILE
        if not root.is_dir():
            raise RunExistsError(f"{root} is not a folder")
        if not cfg_file.is_file():
            raise RunExistsError(f"{root} is not a hwcodesign run folder (it has no {CONFIG_FILE})")
        try:
            raw = yaml.safe_load(cfg_file.read_text())
            if not isinstance(raw, dict):
                raise ValueError("not a mapping")
            config = config_from_dict(raw)
        except (ValueError, yaml.YAMLError, ConfigError) as e:
            first = str(e).strip().splitlines()[0]
            raise RunExistsError(
                f"{cfg_file} is damaged ({first}); re-create the run from its config"
            ) from None
        return cls(config, root=root)

    # -- the plan: which steps this run has and where their outputs are -----------------
    @property
    def plan(self) -> Plan:
        """The run's plan (``plan.json``, written by the runner before any step runs).

        Raises:
            StepOrderError: the folder has no plan (made by hwcodesign 0.2, or never run).
            RunExistsError: the plan is damaged or of another format.
        """
        if self._plan is None:
            p = self.root / PLAN_FILE
            if not p.is_file():
                raise StepOrderError(
                    f"{self.root} has no {PLAN_FILE} (made by an older hwcodesign, or no step has run): "
                    f"`hwcodesign run` on its config, `hwcodesign report {self.root}` or hw.open() record it"
                )
            try:
                raw = json.loads(p.read_text())
                fmt = raw.get("format") if isinstance(raw, dict) else None
                if fmt != PLAN_FORMAT:
                    raise RunExistsError(
                        f"{p} has format {fmt}, this hwcodesign reads format {PLAN_FORMAT}: re-create "
                        f"the run (--overwrite)"
                    )
                self._plan = Plan.model_validate(raw)
            except (ValueError, OSError) as e:
                first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
                raise RunExistsError(f"{p} is damaged ({first}); re-run the flow to write it again") from None
        return self._plan

    def has_plan(self) -> bool:
        return (self.root / PLAN_FILE).is_file()

    def write_plan(self, plan: Plan) -> None:
        """Record the plan (atomically); the runner does this before the first step."""
        atomic_write_text(self.root / PLAN_FILE, plan.model_dump_json(indent=2))
        self._plan = plan

    def locate(self, artifact: str) -> Path:
        """Where an artifact of this run lives (whether or not it exists yet)."""
        try:
            return self.root / self.plan.artifacts[artifact]
        except KeyError:
            raise StepOrderError(f"flow {self.plan.flow} has no step that writes '{artifact}'") from None

    # -- location and ownership ------------------------------------------------------
    def check_location(self) -> None:
        """Refuse a folder outside ``runs_dir`` and an existing folder that is not a run.

        Raises:
            ConfigError: the name would place the run folder outside ``runs_dir``.
            RunExistsError: the folder exists and is not a run folder (nothing is touched).
        """
        runs_dir = self.config.runs_dir
        if self.root == self.config.run_dir:
            parent = self.root.resolve().parent if self.root.exists() else self.root.parent.resolve()
            if parent != runs_dir.resolve():
                raise ConfigError(
                    f"run folder {self.root} is not inside runs_dir {runs_dir} (a symlink or a name "
                    f"that leaves it); choose another name"
                )
        if self.root.exists() and not self.root.is_dir():
            raise RunExistsError(f"{self.root} exists and is a file, not a run folder; choose another name")
        if self.root.is_dir() and any(self.root.iterdir()) and not (self.root / CONFIG_FILE).exists():
            raise RunExistsError(
                f"{self.root} exists and is not a hwcodesign run folder (no {CONFIG_FILE}); nothing "
                f"in it was touched: choose another name or runs_dir"
            )

    def create(self) -> None:
        """Create the run folder (and runs_dir), turning OS errors into one-line user errors."""
        try:
            self.root.mkdir(parents=True, exist_ok=True)
            probe = self.root / f".write-test{os.getpid()}"
            probe.touch()
            probe.unlink()
        except (NotADirectoryError, FileExistsError):
            raise UserError(
                f"cannot create the run folder {self.root}: a file is in the way on that path (runs_dir)"
            ) from None
        except OSError as e:
            if e.errno == errno.ENAMETOOLONG:
                raise ConfigError(f"the run folder path is too long: {self.root}") from None
            raise UserError(
                f"cannot create the run folder {self.root}: {e.strerror or e} (runs_dir)"
            ) from None

    @contextmanager
    def lock(self) -> Iterator[None]:
        """Hold the run folder for this process (a second run stops with the holder's PID)."""
        with exclusive(self.root / ".lock", f"run folder {self.root}"):
            yield

    def cache_dir(self, kind: str) -> Path:
        """Where content-cached work of ``kind`` goes (``config.cache_dir`` or the default)."""
        from .cache import cache_dir

        return cache_dir(kind, self.config.cache_dir)

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

        Only the run's own folders are ever removed (``folder`` is a step's folder name and
        the run folder was checked to be a run folder). On error the staging folder is left
        in place (its logs help debugging) and never counts as output.
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

    def manifest_path(self, step: str) -> Path:
        return self.root / "steps" / f"{step}.outputs.json"

    def record(self, step: str) -> StepRecord | None:
        """The record of a step's last run, or None when absent or unreadable."""
        return self.read_record(step)[0]

    def read_record(self, step: str) -> tuple[StepRecord | None, str | None]:
        """(record, None), (None, None) when absent, or (None, why) when damaged."""
        p = self.record_path(step)
        if not p.is_file():
            return None, None
        try:
            return StepRecord.model_validate_json(p.read_text()), None
        except (ValueError, OSError) as e:
            first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
            return None, f"{p.relative_to(self.root)} is damaged ({first})"

    def write_record(self, record: StepRecord, manifest: dict[str, str] | None = None) -> None:
        if manifest is not None:
            atomic_write_text(self.manifest_path(record.step), json.dumps(manifest, indent=0))
        atomic_write_text(self.record_path(record.step), record.model_dump_json(indent=2))

    def forget(self, step: str) -> None:
        """Drop a step's record (its outputs no longer count as complete)."""
        self.record_path(step).unlink(missing_ok=True)

    def output_damage(self, step: str, folder: str, record: StepRecord) -> str | None:
        """Why a step's outputs no longer match its record (None when they do)."""
        final = self.root / folder
        if not final.is_dir():
            return f"its folder {folder}/ is missing"
        try:
            stored = json.loads(self.manifest_path(step).read_text())
        except (OSError, ValueError):
            stored = None
        actual = folder_manifest(final)
        if manifest_hash(actual) == record.outputs_hash:
            return None
        if stored is None:
            return f"{folder}/ changed since the step ran"
        return manifest_difference(stored, actual, folder)

    def write_config(self) -> None:
        atomic_write_text(self.root / CONFIG_FILE, self.config.to_yaml())

    def stored_config(self) -> dict | None:
        """The config stored in the folder, None when there is none.

        Raises:
            RunExistsError: the stored config cannot be read (damaged).
        """
        import yaml

        p = self.root / CONFIG_FILE
        if not p.is_file():
            return None
        try:
            raw = yaml.safe_load(p.read_text())
        except (yaml.YAMLError, OSError, ValueError) as e:
            raise RunExistsError(
                f"{p} is damaged ({type(e).__name__}); pass --overwrite to rebuild"
            ) from None
        if not isinstance(raw, dict):
            raise RunExistsError(f"{p} is damaged (not a mapping); pass --overwrite to rebuild")
        return raw


def atomic_write_text(path: Path, text: str) -> None:
    """Write a file via a temp name and rename, so readers never see half of it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp{os.getpid()}")
    tmp.write_text(text)
    tmp.replace(path)


def folder_manifest(folder: Path) -> dict[str, str]:
    """Relative path -> ``size:sha256`` of every file under ``folder``."""
    return {
        str(p.relative_to(folder)): f"{p.stat().st_size}:{file_digest(p)[:20]}"
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def manifest_hash(manifest: dict[str, str]) -> str:
    return hash_json(manifest)


def manifest_difference(stored: dict[str, str], actual: dict[str, str], folder: str) -> str:
    """One line naming the first file that is missing, changed or new."""
    for name, entry in stored.items():
        if name not in actual:
            return f"{folder}/{name} is missing"
        if actual[name] != entry:
            size = int(entry.split(":")[0])
            now = int(actual[name].split(":")[0])
            how = f"has {now} bytes, expected {size}" if now != size else "changed"
            return f"{folder}/{name} {how}"
    extra = sorted(set(actual) - set(stored))
    return f"{folder}/{extra[0]} appeared" if extra else f"{folder}/ changed"


def hash_folder(folder: Path) -> str:
    """Digest of a folder's files (names and contents)."""
    return manifest_hash(folder_manifest(folder))


def hash_json(obj: object) -> str:
    return hashlib.sha256(json.dumps(obj, sort_keys=True, default=str).encode()).hexdigest()[:16]
