"""Loading the native extension (``ordo._native``), which exists only where Rust was present at
install time: ``pip install`` builds it when cargo is on the PATH and skips it otherwise, so a
machine without a Rust toolchain still installs and runs Ordo, on py-evm."""

from __future__ import annotations

import importlib
from functools import cache
from types import ModuleType


class NativeUnavailable(RuntimeError):
    """The extension was not built on this machine (or failed to load)."""


@cache
def _load() -> ModuleType | str:
    try:
        return importlib.import_module("ordo._native")
    except ImportError as error:
        return str(error)


def native_module() -> ModuleType:
    """The extension module; raises NativeUnavailable with the import error."""
    loaded = _load()
    if isinstance(loaded, str):
        raise NativeUnavailable(
            "the native engine is not built on this machine (no Rust toolchain when Ordo was "
            f"installed, or the build failed): {loaded}"
        )
    return loaded


def native_available() -> bool:
    return not isinstance(_load(), str)
