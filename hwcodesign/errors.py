"""Every exception hwcodesign raises on purpose.

`UserError`s are things the user can fix (a config key, a missing tool, an unsupported
layer); the CLI prints them as one line without a traceback. `InternalError`s are our
bugs or a tool misbehaving; they keep their traceback and, for tools, the log tail.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

__all__ = [
    "HwcodesignError",
    "UserError",
    "ConfigError",
    "UnsupportedLayerError",
    "ToolNotFoundError",
    "MissingDependencyError",
    "KernelParameterError",
    "DataNotFoundError",
    "StepOrderError",
    "RunExistsError",
    "RunLockedError",
    "ReportSectionError",
    "interrupt_behind",
    "InternalError",
    "ToolError",
    "DeadlockError",
    "BitExactnessError",
    "Interrupted",
]


class HwcodesignError(Exception):
    """Base class of every error raised on purpose by hwcodesign."""


class UserError(HwcodesignError):
    """Something the user can fix; the message says what and how."""


class ConfigError(UserError):
    """A run config is invalid (unknown key, wrong type, bad value)."""


class UnsupportedLayerError(UserError):
    """A model layer cannot be converted by the chosen back end."""

    def __init__(
        self,
        layer_name: str,
        layer_class: str,
        index: int,
        backend: str,
        supported: Sequence[str],
        hint: str = "",
    ) -> None:
        self.layer_name, self.layer_class, self.index = layer_name, layer_class, index
        self.backend, self.supported = backend, list(supported)
        msg = (
            f"layer {index} '{layer_name}' ({layer_class}) is not supported by {backend}; "
            f"supported: {', '.join(sorted(self.supported))}"
        )
        super().__init__(msg + (f"; {hint}" if hint else ""))


class ToolNotFoundError(UserError):
    """An external program a step needs is not installed."""

    def __init__(self, tool: str, step: str, install: str, still_works: str = "") -> None:
        self.tool, self.step = tool, step
        msg = f"step '{step}' needs {tool}, which was not found; install: {install}"
        super().__init__(msg + (f". Without it: {still_works}" if still_works else ""))


class MissingDependencyError(UserError):
    """An optional Python package is not installed."""

    def __init__(self, package: str, needed_for: str, install: str) -> None:
        self.package = package
        super().__init__(f"{needed_for} needs the Python package '{package}'; install: {install}")


class KernelParameterError(UserError):
    """A hardware kernel (``hls/<kernel>``) cannot implement what it is asked to: a width too
    narrow for its result, a row length it is not built for, a scale it cannot shift by."""

    def __init__(self, kernel: str, parameter: str, problem: str) -> None:
        self.kernel, self.parameter = kernel, parameter
        super().__init__(f"kernel {kernel}: {parameter}: {problem}")


class DataNotFoundError(UserError):
    """A data file or data generator is missing."""


class StepOrderError(UserError):
    """A step was asked to run before the steps it reads from."""


class RunExistsError(UserError):
    """The run folder holds a run made with a different config, or is not a run folder."""


class RunLockedError(UserError):
    """Another process is running on the same run folder."""


class ReportSectionError(UserError, AttributeError):
    """A report section that does not exist was asked for (the message lists the known ones).
    Also an AttributeError, so ``hasattr(report, name)`` stays False for it."""


class Interrupted(BaseException):  # noqa: N818 - like KeyboardInterrupt, not an error
    """The process got SIGTERM (or another stop signal): unwinds like KeyboardInterrupt."""

    def __init__(self, signum: int) -> None:
        import signal

        self.signum = signum
        super().__init__(f"stopped by {signal.Signals(signum).name}")


def interrupt_behind(e: BaseException) -> BaseException | None:
    """The Ctrl-C or stop signal an exception stands for: ``e`` itself, or one in its cause /
    context chain (a signal that lands inside an import or a ``__set_name__`` comes back wrapped,
    e.g. as a RuntimeError); None for an ordinary error."""
    seen: set[int] = set()
    while e is not None and id(e) not in seen:
        if isinstance(e, KeyboardInterrupt | Interrupted):
            return e
        seen.add(id(e))
        e = e.__cause__ or e.__context__
    return None


class InternalError(HwcodesignError):
    """A bug in hwcodesign or a tool failing in a way the user cannot fix by config."""


class ToolError(InternalError):
    """An external tool exited with an error; carries the command, cwd and log tail."""

    def __init__(
        self,
        tool: str,
        command: Sequence[str],
        cwd: Path | str,
        returncode: int,
        log_tail: str,
        log_file: Path | None = None,
    ) -> None:
        self.tool, self.command, self.cwd = tool, list(command), Path(cwd)
        self.returncode, self.log_tail, self.log_file = returncode, log_tail, log_file
        where = f" (full log: {log_file})" if log_file else ""
        super().__init__(
            f"{tool} failed with exit code {returncode}{where}\n"
            f"  command: {' '.join(map(str, command))}\n  cwd: {cwd}\n"
            f"  last lines:\n{_indent(log_tail)}"
        )


class DeadlockError(InternalError):
    """A simulated design stopped producing output (or hit its cycle limit): the message names
    the full FIFO's edge and a depth to try."""


class BitExactnessError(InternalError):
    """Two implementations that must agree bit for bit do not."""


def _indent(text: str, prefix: str = "    ") -> str:
    return "\n".join(prefix + line for line in text.splitlines())
