"""Which execution engine a node runs: ``native`` (revm, when built) or ``py-evm`` (the
reference). Both implement the same interface (:class:`PyEvmEngine`'s methods)."""

from __future__ import annotations

import logging

from ordo.core.genesis import Genesis
from ordo.core.native_loader import native_available, native_module
from ordo.execution.ancestry import AncestorHashes
from ordo.execution.engine import PyEvmEngine
from ordo.execution.native_engine import NativeEngine
from ordo.execution.shadow_check import ShadowCheckedEngine
from ordo.execution.state_source import KeyValueReader

log = logging.getLogger(__name__)

NATIVE = "native"
PY_EVM = "py-evm"
ENGINES = (NATIVE, PY_EVM)
AUTO = "auto"
_told = False


def resolve_engine(name: str) -> str:
    """``auto`` becomes native where it is built and py-evm elsewhere (saying so once);
    asking for ``native`` where it is not built raises NativeUnavailable."""
    global _told
    if name == AUTO:
        if native_available():
            return NATIVE
        if not _told:
            _told = True
            log.warning("native engine not built on this machine (no Rust toolchain at install): "
                        "executing blocks on py-evm")
        return PY_EVM
    if name == NATIVE:
        native_module()
        return NATIVE
    if name == PY_EVM:
        return PY_EVM
    raise ValueError(f"unknown engine {name!r}: choose one of {', '.join((AUTO, *ENGINES))}")


def make_engine(
    name: str,
    genesis: Genesis,
    state: KeyValueReader,
    ancestor_hashes: AncestorHashes | None = None,
    shadow_check: int = 0,
) -> PyEvmEngine:
    """The engine ``name`` (native, py-evm or auto) over ``state``; with ``shadow_check`` N > 0
    a native engine has py-evm re-execute every Nth block (ordo.execution.shadow_check)."""
    if shadow_check < 0:
        raise ValueError(f"shadow check interval must be 0 (off) or more, got {shadow_check}")
    if resolve_engine(name) == NATIVE:
        if shadow_check:
            return ShadowCheckedEngine(genesis, state, ancestor_hashes, every=shadow_check)
        return NativeEngine(genesis, state, ancestor_hashes)
    if shadow_check:
        log.info("shadow check needs the native engine; py-evm executes blocks, nothing to check")
    return PyEvmEngine(genesis, state, ancestor_hashes)
