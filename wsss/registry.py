"""Name -> plug-in registries (the shape of torchvision's register_model / get_model).

A plug-in package (wsss.localizers, wsss.segmenters, wsss.losses) calls `load_plugins` in its
__init__: every module in the package is imported, and each registers its entries. Adding a method
is adding a module; no list elsewhere names it. Plug-in modules import torch inside functions, so
the workflow can read the registries (names, schema fragments, needs) without loading torch.
"""
from __future__ import annotations

import importlib
import pkgutil


class UnknownName(KeyError):
    """A config value names no registered entry; the message names the config key and the choices."""

    def __str__(self):
        return self.args[0]


class Registry:
    def __init__(self, kind: str, config_key: str):
        self.kind, self.config_key, self._entries = kind, config_key, {}

    def register(self, entry):
        """Register an entry (anything with a `name`); a class is instantiated first. Usable as a decorator."""
        obj = entry() if isinstance(entry, type) else entry
        if obj.name in self._entries:
            raise ValueError(f"{self.kind} {obj.name!r} is registered twice")
        self._entries[obj.name] = obj
        return entry

    def get(self, name: str):
        if name not in self._entries:
            raise UnknownName(f"config key '{self.config_key}': {name!r} is not a registered {self.kind} "
                              f"(registered: {', '.join(self.names())})")
        return self._entries[name]

    def names(self) -> list[str]:
        return list(self._entries)

    def __iter__(self):
        return iter(self._entries.values())


def load_plugins(package: str, path) -> None:
    """Import every public module of a plug-in package (see wsss.codehash: its hash covers them all)."""
    for info in pkgutil.iter_modules(path):
        if not info.name.startswith("_") and info.name != "base":
            importlib.import_module(f"{package}.{info.name}")
