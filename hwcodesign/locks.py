"""Advisory file locks (``flock``) for run folders and cache entries.

The kernel releases an ``flock`` when its holder dies, so a lock left by a killed run is
never stale: the next taker gets it at once and finds the old holder's note in the file.
Two opens of the same file in one process are separate locks, so two runs in one Python
process exclude each other too.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import json
import logging
import os
import socket
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from .errors import RunLockedError

__all__ = ["exclusive", "holder_of"]

log = logging.getLogger(__name__)


def holder_of(path: Path) -> dict:
    """The note the last holder wrote into a lock file ({} when none or unreadable)."""
    try:
        return json.loads(path.read_text() or "{}")
    except (OSError, ValueError):
        return {}


def _describe(holder: dict) -> str:
    if not holder:
        return "another process"
    h = holder
    return f"PID {h.get('pid')} on {h.get('host')} (started {h.get('started')}: {h.get('command')})"


@contextmanager
def exclusive(
    path: Path, what: str, wait: bool = False, poll_s: float = 0.2, timeout_s: float | None = None
) -> Iterator[None]:
    """Hold an exclusive lock on ``path`` (created if needed) for the ``with`` block.

    Args:
        path: the lock file.
        what: what the lock protects, for messages ("run folder runs/x").
        wait: block until the lock is free instead of failing.
        poll_s: how often to retry while waiting.
        timeout_s: with ``wait``, give up after this many seconds.

    Raises:
        RunLockedError: the lock is held and ``wait`` is False (or the wait timed out); names
            the holder.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    give_up = time.monotonic() + timeout_s if timeout_s is not None else None
    try:
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if not wait or (give_up is not None and time.monotonic() > give_up):
                    raise RunLockedError(
                        f"{what} is in use by {_describe(holder_of(path))}; wait for it to finish "
                        f"or stop it, then run again"
                    ) from None
                time.sleep(poll_s)
        previous = holder_of(path)
        if previous.get("pid"):  # a holder that finished cleanly leaves an empty file
            log.warning(
                "%s: the previous holder, %s, ended without finishing; taking over", what, _describe(previous)
            )
        note = {
            "pid": os.getpid(),
            "host": socket.gethostname(),
            "started": dt.datetime.now().isoformat(timespec="seconds"),
            "command": " ".join(sys.argv)[:300],
        }
        os.ftruncate(fd, 0)
        os.pwrite(fd, json.dumps(note).encode(), 0)
        try:
            yield
        finally:
            os.ftruncate(fd, 0)
    finally:
        os.close(fd)  # releases the lock
