"""Run an external program with its log captured to a file and a timeout.

No shell is ever involved: commands are argument lists. Each program runs under
``supervise.py`` in its own process group, so the program and everything it starts are
stopped together on timeout, on any exception in the caller (Ctrl-C, SIGTERM), and when
the calling process is killed outright.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from ..errors import ToolError

__all__ = ["ToolResult", "run_logged", "tail", "map_tools"]

_SUPERVISOR = Path(__file__).with_name("supervise.py")


@dataclass(frozen=True)
class ToolResult:
    command: tuple[str, ...]
    returncode: int
    seconds: float
    log_file: Path
    timed_out: bool = False

    @property
    def ok(self) -> bool:
        return self.returncode == 0 and not self.timed_out

    def log(self) -> str:
        return self.log_file.read_text(errors="replace") if self.log_file.is_file() else ""


def tail(text: str, lines: int = 30) -> str:
    return "\n".join(text.splitlines()[-lines:])


def run_logged(
    tool: str,
    args: Sequence[str | Path],
    cwd: Path,
    log_file: Path,
    timeout_s: float | None = None,
    env: Mapping[str, str] | None = None,
    check: bool = True,
    cancel: threading.Event | None = None,
) -> ToolResult:
    """Run ``args`` in ``cwd``, stdout+stderr to ``log_file``.

    Raises:
        ToolError: non-zero exit (when ``check``), with command, cwd and the log's tail.
    A timeout never raises: the result says ``timed_out`` so callers can report a cut.
    Any exception while waiting (KeyboardInterrupt included) stops the program's whole
    process tree before it propagates; so does ``cancel`` being set (worker threads, whose
    waits no signal interrupts: see ``map_tools``), which raises ``ToolCancelled``.
    """
    cmd = tuple(str(a) for a in args)
    log_file.parent.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    with open(log_file, "w") as log:
        log.write(f"$ {' '.join(cmd)}\n# cwd: {cwd}\n")
        log.flush()
        proc = subprocess.Popen(
            [sys.executable, "-I", "-S", str(_SUPERVISOR), *cmd],
            cwd=cwd,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            env=dict(env) if env is not None else None,
            start_new_session=True,
        )
        try:
            rc = _wait(proc, timeout_s, cancel, tool)
            timed_out = False
        except subprocess.TimeoutExpired:
            _kill_group(proc)
            rc, timed_out = -9, True
        except BaseException:
            _kill_group(proc)
            raise
    result = ToolResult(cmd, rc, time.perf_counter() - t0, log_file, timed_out)
    if check and not timed_out and rc != 0:
        raise ToolError(tool, cmd, cwd, rc, tail(result.log()), log_file)
    return result


class ToolCancelled(Exception):
    """A tool stopped because the caller gave up (another thread's exception, Ctrl-C)."""


def _wait(proc: subprocess.Popen, timeout_s: float | None, cancel: threading.Event | None, tool: str) -> int:
    if cancel is None:
        return proc.wait(timeout=timeout_s)
    deadline = None if timeout_s is None else time.monotonic() + timeout_s
    while True:
        if cancel.is_set():
            raise ToolCancelled(tool)
        step = 0.25 if deadline is None else max(0.0, min(0.25, deadline - time.monotonic()))
        try:
            return proc.wait(timeout=step)
        except subprocess.TimeoutExpired:
            if deadline is not None and time.monotonic() >= deadline:
                raise


def map_tools(fn: Callable, items: Iterable, workers: int) -> list:
    """``[fn(item, cancel) for item in items]`` on ``workers`` threads, where ``fn`` passes
    ``cancel`` to ``run_logged``. If the caller is interrupted (Ctrl-C, SIGTERM) or an item
    fails, every running tool is stopped within a fraction of a second and nothing new
    starts; the exception then propagates."""
    from concurrent.futures import ThreadPoolExecutor

    cancel = threading.Event()
    pool = ThreadPoolExecutor(max(1, workers))
    try:
        futures = [pool.submit(fn, item, cancel) for item in items]
        return [f.result() for f in futures]
    except BaseException:
        cancel.set()
        raise
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def _kill_group(proc: subprocess.Popen) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
