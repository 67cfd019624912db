"""Run one external program so that it never outlives the hwcodesign process that started it.

Started by ``hwcodesign.tools.process.run_logged`` as ``python -I -S supervise.py <cmd...>``
in a new session, so this process leads a process group that holds the program and every
process it starts (make, g++, ...). The parent stops the whole tree with one ``killpg`` on
timeout, error or interrupt. If the parent dies without doing so (``kill -9``), this
process notices within a quarter of a second (it is re-parented) and kills the group.

Standard library only: it runs with ``-S`` (no site-packages) and starts in milliseconds.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys

POLL_S = 0.25


def _kill_group(*_args: object) -> None:
    os.killpg(0, signal.SIGKILL)  # includes this process


def main(argv: list[str]) -> int:
    if not argv:
        print("usage: supervise.py program [args...]", file=sys.stderr)
        return 2
    parent = os.getppid()
    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(sig, _kill_group)
    try:
        child = subprocess.Popen(argv, stdin=subprocess.DEVNULL)
    except OSError as e:
        print(f"cannot start {argv[0]}: {e}", file=sys.stderr)
        return 127
    while True:
        try:
            rc = child.wait(timeout=POLL_S)
        except subprocess.TimeoutExpired:
            if os.getppid() != parent:  # the parent is gone: take the tree down with it
                _kill_group()
            continue
        return rc if rc >= 0 else 128 - rc


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
