"""finn-plus without Vivado: the settings its Python API needs, scoped to one step.

finn-plus' CLI (``finn build``, ``finn deps``) refuses to start without Vivado. Its Python
transformations work once (a) ``FINN_BUILD_DIR`` points at a writable folder so its
settings can be built, and (b) ``finn.xsi.SimEngine`` (the Vivado-xsim binding imported
when ``finn.builder.build_dataflow_steps`` loads) is bound to a placeholder that raises
a clear error if anything actually tries to simulate with xsim.

finn-plus keeps those settings process-wide (an environment variable and a module-level
singleton). ``finn_session`` sets them for one step and restores them afterwards, under a
process-wide lock, so two runs in one process (threads, a Dask worker) never share a
build folder: their finn-plus steps take turns.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from ...errors import MissingDependencyError, ToolNotFoundError

__all__ = ["finn_session", "bootstrap"]

INSTALL = ".venv/bin/pip install --no-deps finn-plus==1.6.1  (part of `make install`)"


class _NoXsim:
    """Stands in for finn_xsi's SimEngine when Vivado is absent."""

    def __init__(self, *args, **kwargs) -> None:
        raise ToolNotFoundError(
            "Vivado xsim (finn_xsi)",
            "finn-plus rtlsim",
            "source Vivado's settings64.sh",
            "hwcodesign simulates finn-plus RTL layers with Verilator instead (step finn_rtlsim)",
        )


def bootstrap(build_dir: Path) -> None:
    """Make finn-plus' Python API usable in this process (idempotent).

    Sets ``FINN_BUILD_DIR`` (finn-plus reads its settings from the environment; this is the
    one place hwcodesign writes it) and binds the xsim placeholder.

    Raises:
        MissingDependencyError: finn-plus is not installed.
    """
    from ...environment import set_finn_build_dir, vivado_sourced

    build_dir.mkdir(parents=True, exist_ok=True)
    set_finn_build_dir(build_dir.resolve())
    try:
        import finn.xsi as xsi
    except ImportError:
        raise MissingDependencyError("finn-plus", "the finn-plus flow", INSTALL) from None
    if "SimEngine" not in vars(xsi) and not vivado_sourced():
        xsi.SimEngine = _NoXsim  # type: ignore[attr-defined]
    import finn.util.settings as settings

    # finn-plus caches its settings (build folder included) on first use; a second run in
    # the same process must not write into the first run's (since renamed) staging folder
    current = settings._SETTINGS  # noqa: SLF001 - finn-plus offers no public setter
    if current is None or Path(current.finn_build_dir).resolve() != build_dir.resolve():
        settings._SETTINGS = settings._initialize_from_environment()  # noqa: SLF001


_LOCK = threading.RLock()


@contextmanager
def finn_session(build_dir: Path) -> Iterator[None]:
    """finn-plus configured for ``build_dir`` during the block; the previous settings (and
    ``FINN_BUILD_DIR``) come back afterwards.

    Raises:
        MissingDependencyError: finn-plus is not installed.
    """
    from ...environment import finn_build_dir, set_finn_build_dir

    with _LOCK:
        old_env = finn_build_dir()
        old_settings = None
        try:
            import finn.util.settings as settings

            old_settings = settings._SETTINGS  # noqa: SLF001
        except ImportError:
            pass
        try:
            bootstrap(build_dir)
            yield
        finally:
            set_finn_build_dir(old_env)
            try:
                import finn.util.settings as settings

                settings._SETTINGS = old_settings  # noqa: SLF001
            except ImportError:
                pass
