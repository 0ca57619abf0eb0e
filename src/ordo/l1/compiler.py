"""Compile Ordo's Vyper contracts on first use, cached on disk by source and compiler version.

Artifacts are not committed: a fresh clone compiles with the vyper from PyPI, and a cache entry
is named by the sha256 of (compiler version, source), so an edited source or another compiler
can never be served a stale bytecode. The cache is an optimisation only: when its directory
cannot be written the contract is compiled in memory and the caller never sees the difference.

The name only says which source an entry claims to be compiled from; anyone who can write the
cache could plant other bytecode under it, and that bytecode is what gets deployed. So an entry
is served only when neither it nor any directory from it up to the cache root can be written by
anyone but this user (owned by us, no group or other write bit); otherwise the contract is
compiled in memory and nothing is written there. The cache directories are created 0700.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import stat
import tempfile
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

CONTRACTS_DIR = Path(__file__).resolve().parent / "contracts"
CACHE_DIR_ENV = "ORDO_VYPER_CACHE"
CONTRACT_NAMES = ("GovernanceToken", "LockingPool", "RollupInbox", "ForcedInclusionQueue",
                  "WithdrawalPortal", "L2ToL1MessagePasser", "DisputeGame", "GasPriceOracle")


class ContractCompileError(RuntimeError):
    """A contract is unknown or the Vyper compiler refused it; the message says which and why."""


@dataclass(frozen=True)
class CompiledContract:
    name: str
    abi: list[dict[str, Any]]
    bytecode: bytes
    source_hash: str
    runtime_bytecode: bytes = b""
    """The code the deployment leaves at the address: what a genesis predeploy holds."""


def default_cache_dir() -> Path:
    configured = os.environ.get(CACHE_DIR_ENV)
    if configured:
        return Path(configured)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "ordo" / "vyper"


def contract_source(name: str) -> str:
    """The source of contract ``name``. A name with a folder (``step/StepRouter``) is a contract
    that imports Vyper modules from its folder: its source, for the cache key, is the folder's
    every ``.vy`` file, so an edited module compiles the contract again."""
    if "/" in name:
        return _folder_source(name)
    if name not in CONTRACT_NAMES:
        raise ContractCompileError(
            f"unknown contract {name!r}; known: {', '.join(CONTRACT_NAMES)}"
        )
    return (CONTRACTS_DIR / f"{name}.vy").read_text(encoding="utf-8")


def _folder_path(name: str) -> Path:
    path = (CONTRACTS_DIR / f"{name}.vy").resolve()
    if CONTRACTS_DIR not in path.parents or not path.is_file():
        raise ContractCompileError(f"unknown contract {name!r}: no {name}.vy under {CONTRACTS_DIR}")
    return path


def _folder_source(name: str) -> str:
    path = _folder_path(name)
    parts = [f"# {name}\n{path.read_text(encoding='utf-8')}"]
    modules = [*path.parent.glob("*.vy"), *path.parent.glob("*.vyi")]  # modules, interfaces
    for module in sorted(modules):
        parts.append(f"# module {module.name}\n{module.read_text(encoding='utf-8')}")
    return "\n".join(parts)


def _compiler_version() -> str:
    import vyper  # deferred: importing the compiler costs about a second

    return str(vyper.__version__)


def source_hash(source: str, compiler_version: str) -> str:
    return hashlib.sha256(f"vyper {compiler_version}\n{source}".encode()).hexdigest()


def _compile(name: str, source: str) -> tuple[list[dict[str, Any]], bytes, bytes]:
    import vyper

    formats = ["abi", "bytecode", "bytecode_runtime"]
    try:
        if "/" in name:  # imports modules from its folder: compile the file, not the text
            from vyper.compiler import compile_from_file_input
            from vyper.compiler.input_bundle import FilesystemInputBundle

            path = _folder_path(name)
            bundle = FilesystemInputBundle([path.parent, CONTRACTS_DIR])
            output = compile_from_file_input(bundle.load_file(path), input_bundle=bundle,
                                             output_formats=formats)
        else:
            output = vyper.compile_code(source, output_formats=formats)
    except Exception as error:  # vyper raises many exception types, all mean "refused"
        raise ContractCompileError(f"{name}: vyper refused the source: {error}") from error
    return (list(output["abi"]), bytes.fromhex(str(output["bytecode"]).removeprefix("0x")),
            bytes.fromhex(str(output["bytecode_runtime"]).removeprefix("0x")))


def _is_private(path: Path) -> bool:
    """Owned by this user and writable by nobody else (a missing path is not)."""
    try:
        status = path.stat()
    except OSError:
        return False
    return status.st_uid == os.getuid() and not stat.S_IMODE(status.st_mode) & 0o022


def _is_trusted(path: Path, cache_dir: Path) -> bool:
    """``path`` and every directory from its parent up to ``cache_dir`` are private."""
    if not _is_private(path):
        return False
    directory = path.parent
    while True:
        if not _is_private(directory):
            return False
        if directory == cache_dir or directory == directory.parent:
            return True
        directory = directory.parent


def _read_cached(path: Path, name: str, digest: str) -> CompiledContract | None:
    try:
        entry = json.loads(path.read_text(encoding="utf-8"))
        if entry["source_hash"] != digest:
            return None
        return CompiledContract(name, list(entry["abi"]), bytes.fromhex(entry["bytecode"]), digest,
                                bytes.fromhex(entry["runtime_bytecode"]))
    except (OSError, ValueError, KeyError, TypeError):
        return None  # absent or damaged: compile again and overwrite


def _write_cached(path: Path, contract: CompiledContract) -> None:
    entry = {
        "name": contract.name,
        "source_hash": contract.source_hash,
        "abi": contract.abi,
        "bytecode": contract.bytecode.hex(),
        "runtime_bytecode": contract.runtime_bytecode.hex(),
    }
    with contextlib.suppress(OSError):
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        # write then rename, so a concurrent reader sees either nothing or a whole entry
        handle, temporary = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
        try:
            with os.fdopen(handle, "w", encoding="utf-8") as stream:
                json.dump(entry, stream)
            os.replace(temporary, path)
        finally:
            with contextlib.suppress(OSError):
                os.unlink(temporary)


def compile_contract(name: str, cache_dir: Path | None = None) -> CompiledContract:
    """The ABI and deployable bytecode of contract ``name``, from the cache when it matches."""
    source = contract_source(name)
    digest = source_hash(source, _compiler_version())
    return _compile_cached(name, source, digest, cache_dir or default_cache_dir())


@cache
def _compile_cached(name: str, source: str, digest: str, cache_dir: Path) -> CompiledContract:
    path = cache_dir / f"{name}-{digest}.json"
    if path.exists() and _is_trusted(path, cache_dir):
        cached = _read_cached(path, name, digest)
        if cached is not None:
            return cached
    abi, bytecode, runtime = _compile(name, source)
    contract = CompiledContract(name, abi, bytecode, digest, runtime)
    if not cache_dir.exists() or _is_private(cache_dir):
        _write_cached(path, contract)
    return contract
