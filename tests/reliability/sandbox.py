"""A sandbox for running the real CLI as a careless user would: a folder holding a config,
a cache, and files of the user's that must survive, with a snapshot of everything outside
the run folder so a test can prove that nothing else changed."""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[2]
HWCD = Path(sys.executable).with_name("hwcodesign")
TINY = REPO / "configs" / "jet_tagger_tiny.yaml"
RUN_NAME = "jet_tagger_tiny"


@dataclass
class Result:
    code: int
    out: str
    err: str

    @property
    def text(self) -> str:
        return self.out + self.err

    def error_lines(self) -> list[str]:
        return [ln for ln in self.err.splitlines() if ln.startswith("error:")]


@dataclass
class Sandbox:
    root: Path
    tag: str = field(default_factory=lambda: uuid.uuid4().hex)

    @property
    def cfg(self) -> Path:
        return self.root / "cfg.yaml"

    @property
    def runs(self) -> Path:
        return self.root / "runs"

    @property
    def run_dir(self) -> Path:
        return self.runs / RUN_NAME

    @property
    def cache(self) -> Path:
        return self.root / "cache"

    def env(self, **extra: str) -> dict[str, str]:
        env = dict(os.environ)
        env.update({"XDG_CACHE_HOME": str(self.cache), "HWCD_TEST_TAG": self.tag, "COLUMNS": "200", **extra})
        env.pop("HWCODESIGN_RUNS_DIR", None)
        return env

    def write_config(self, edits: dict | None = None, raw: dict | None = None) -> dict:
        """The tiny config with ``runs_dir: runs`` and dotted ``edits`` applied."""
        cfg = raw if raw is not None else yaml.safe_load(TINY.read_text())
        cfg["runs_dir"] = "runs"
        for dotted, value in (edits or {}).items():
            *parents, leaf = dotted.split(".")
            node = cfg
            for p in parents:
                node = node.setdefault(p, {})
            node[leaf] = value
        self.cfg.write_text(yaml.safe_dump(cfg, sort_keys=False))
        return cfg

    def cli(self, *args: str | Path, timeout: float = 600, env: dict | None = None) -> Result:
        p = subprocess.run(
            [str(HWCD), *map(str, args)],
            cwd=self.root,
            env=env or self.env(),
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        return Result(p.returncode, p.stdout, p.stderr)

    def start(self, *args: str | Path, env: dict | None = None) -> subprocess.Popen:
        return subprocess.Popen(
            [str(HWCD), *map(str, args)],
            cwd=self.root,
            env=env or self.env(),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )

    def snapshot(self, exclude: tuple[Path, ...] = ()) -> dict[str, str]:
        """Every file and folder under the sandbox (contents hashed), except ``exclude`` and
        the cache."""
        skip = tuple(str(p) for p in (*exclude, self.cache))
        out = {}
        for dirpath, dirnames, filenames in os.walk(self.root):
            if dirpath.startswith(skip):
                dirnames[:] = []
                continue
            dirnames[:] = [d for d in dirnames if not os.path.join(dirpath, d).startswith(skip)]
            for d in dirnames:
                out[os.path.join(dirpath, d)] = "dir"
            for f in filenames:
                p = Path(dirpath) / f
                if str(p).startswith(skip):
                    continue
                out[str(p)] = "link" if p.is_symlink() else hashlib.sha256(p.read_bytes()).hexdigest()
        return out

    def tagged_processes(self) -> list[str]:
        """Processes (other than ourselves) started with this sandbox's HWCD_TEST_TAG."""
        found = []
        needle = f"HWCD_TEST_TAG={self.tag}".encode()
        for pid in filter(str.isdigit, os.listdir("/proc")):
            try:
                if needle in Path(f"/proc/{pid}/environ").read_bytes():
                    cmd = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
                    found.append(f"{pid}: {cmd[:120]}")
            except OSError:
                continue
        return found

    def wait_for(self, predicate, timeout: float, what: str, proc: subprocess.Popen | None = None) -> None:
        t0 = time.monotonic()
        while not predicate():
            if proc is not None and proc.poll() is not None:
                out, err = proc.communicate()
                raise AssertionError(f"the run ended (rc {proc.returncode}) before {what}:\n{err[-2000:]}")
            if time.monotonic() - t0 > timeout:
                raise AssertionError(f"timed out after {timeout} s waiting for {what}")
            time.sleep(0.05)

    def kill9_and_check_orphans(self, proc: subprocess.Popen, grace_s: float = 3.0) -> None:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        deadline = time.monotonic() + grace_s
        while self.tagged_processes() and time.monotonic() < deadline:
            time.sleep(0.1)
        left = self.tagged_processes()
        assert not left, f"processes left running after kill -9: {left}"


def copy_run(src: Path, dst: Path, drop_from: str | None = None, flow: tuple[str, ...] = ()) -> None:
    """Copy a finished run folder; with ``drop_from``, forget that step and the later ones
    (as if the run had stopped before it)."""
    shutil.copytree(src, dst, symlinks=True)
    if drop_from is None:
        return
    from hwcodesign.steps import STEPS

    for step in flow[flow.index(drop_from) :]:
        (dst / "steps" / f"{step}.json").unlink(missing_ok=True)
        (dst / "steps" / f"{step}.outputs.json").unlink(missing_ok=True)
        shutil.rmtree(dst / STEPS.get(step).folder, ignore_errors=True)


def numbers(report_json: dict) -> dict:
    """The numbers of a report that must not depend on interruptions (no timings)."""
    keep = {}
    for section in ("accuracy", "bit_exactness", "model", "latency"):
        for k, m in report_json.get(section, {}).items():
            if isinstance(m, dict) and "value" in m:
                keep[f"{section}.{k}"] = m["value"]
    for src, res in report_json.get("resources", {}).items():
        keep[f"resources.{re.sub(r'[0-9.]+ s', '', src)}"] = res.get("counts")
    return keep
