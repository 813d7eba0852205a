"""Classes found by name: the built-in ones, then packages' entry points (delivery backends,
publishing platforms). The built-ins also resolve from a source checkout that was never
installed, which has no entry-point metadata yet."""

from __future__ import annotations

from importlib import import_module
from importlib.metadata import entry_points
from typing import Generic, TypeVar

T = TypeVar("T")


class Plugins(Generic[T]):
    """The classes of one entry-point group, each named ``"module:Class"``."""

    def __init__(self, group: str, builtin: dict[str, str]) -> None:
        self.group = group
        self.builtin = builtin

    def known(self) -> dict[str, str]:
        """name -> "module:Class" for every class available, plugins included."""
        found = dict(self.builtin)
        for ep in entry_points(group=self.group):
            found[ep.name] = ep.value
        return found

    def load(self, name: str) -> type[T]:
        """The class registered as ``name`` (a plugin first); KeyError when there is none."""
        for ep in entry_points(group=self.group, name=name):
            return ep.load()  # type: ignore[no-any-return]
        if name in self.builtin:
            module_name, _, attr = self.builtin[name].partition(":")
            obj = import_module(module_name)
            for part in attr.split("."):
                obj = getattr(obj, part)
            return obj  # type: ignore[return-value]
        raise KeyError(name)
