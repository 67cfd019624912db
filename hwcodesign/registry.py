"""One generic, typed registry for everything users can add: model families, steps, flows,
boards, board shells.

Entries are registered explicitly (``REGISTRY.register(entry)``; no directory scans). The
built-in entries of a registry live in one module named when the registry is made, imported
the first time the registry is read, so that defining the registry never imports them (and
nothing below imports what is above it). Plugin packages add entries through Python entry
points (group ``hwcodesign.<plural>``, e.g. ``hwcodesign.boards``): each entry point names
an entry, a list of entries, or a function that registers them. A miss lists what exists:
``unknown board 'zcu1004'; known: pynq-z2, zcu104, ...``.

References to code (``"package.module:attribute"``) are resolved with :func:`resolve`, so
entries can name functions in modules that import heavy frameworks without importing them.
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Callable, Iterator
from importlib.metadata import entry_points
from typing import Any, Generic, TypeVar

from .errors import ConfigError

__all__ = ["Registry", "resolve", "Ref"]

log = logging.getLogger(__name__)

T = TypeVar("T")

#: A callable or a ``"module:attribute"`` string naming one (imported when used).
Ref = Callable[..., Any] | str


def resolve(ref: Ref, what: str = "reference") -> Any:
    """The object a reference names: a callable as is, ``"pkg.mod:attr"`` (or ``"pkg.mod.attr"``)
    imported.

    Raises:
        ConfigError: the module or the attribute does not exist.
    """
    if not isinstance(ref, str):
        return ref
    module, sep, attr = ref.partition(":")
    if not sep:
        module, _, attr = ref.rpartition(".")
    if not module or not attr:
        raise ConfigError(f"{what} '{ref}' is not 'package.module:name'")
    try:
        obj = importlib.import_module(module)
    except ImportError as e:
        raise ConfigError(f"{what} '{ref}': module {module} cannot be imported ({e})") from None
    for part in attr.split("."):
        try:
            obj = getattr(obj, part)
        except AttributeError:
            raise ConfigError(f"{what} '{ref}': {module} has no '{attr}'") from None
    return obj


class Registry(Generic[T]):
    """Named entries of one kind.

    Args:
        kind: what an entry is, for messages ("board", "model family", ...).
        key: the attribute holding an entry's name.
        builtins: module that registers the built-in entries (imported on first read).
        group: entry-point group of plugins (default ``hwcodesign.<kind>s``, spaces as ``_``).
    """

    def __init__(self, kind: str, key: str = "name", builtins: str | None = None, group: str | None = None):
        self.kind, self.key, self.builtins = kind, key, builtins
        self.group = group or f"hwcodesign.{kind.replace(' ', '_')}s"
        self._entries: dict[str, T] = {}
        self._loaded = False
        self._loading = False

    def register(self, entry: T, replace: bool = False) -> T:
        """Add an entry; an equal re-registration is a no-op.

        Raises:
            ValueError: another entry already has this name (unless ``replace``).
        """
        name = getattr(entry, self.key)
        if not replace and name in self._entries and self._entries[name] != entry:
            raise ValueError(f"{self.kind} '{name}' is already registered")
        self._entries[name] = entry
        return entry

    def unregister(self, name: str) -> None:
        """Remove an entry (tests and plugins that replace one)."""
        self._load()
        self._entries.pop(name, None)

    def get(self, name: str) -> T:
        """The entry called ``name``.

        Raises:
            ConfigError: no such entry; the message lists the known names.
        """
        self._load()
        try:
            return self._entries[name]
        except KeyError:
            raise ConfigError(f"unknown {self.kind} '{name}'; known: {', '.join(self._entries)}") from None

    def known(self) -> list[T]:
        self._load()
        return list(self._entries.values())

    def names(self) -> list[str]:
        self._load()
        return list(self._entries)

    def __contains__(self, name: object) -> bool:
        self._load()
        return name in self._entries

    def __iter__(self) -> Iterator[T]:
        return iter(self.known())

    def __repr__(self) -> str:
        return f"Registry({self.kind!r}, {len(self._entries)} entries)"

    def _load(self) -> None:
        if self._loaded or self._loading:
            return
        self._loading = True
        try:
            if self.builtins:
                importlib.import_module(self.builtins)
            for ep in entry_points(group=self.group):
                self._load_plugin(ep)
            self._loaded = True
        finally:
            self._loading = False

    def _load_plugin(self, ep) -> None:
        try:
            obj = ep.load()
        except Exception as e:  # a broken plugin must not break the built-in entries
            log.warning("%s plugin %s (%s) cannot be loaded: %s", self.kind, ep.name, ep.value, e)
            return
        if callable(obj) and not hasattr(obj, self.key):
            obj()
        else:
            for entry in obj if isinstance(obj, list | tuple) else [obj]:
                self.register(entry)
