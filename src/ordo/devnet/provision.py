"""First-run creation of a devnet's genesis and signer keys, and their reuse on later runs.

Nothing here ever overwrites an existing file: a devnet's genesis and keys define its chain, so
a second run must resume the same chain, and a damaged file is reported rather than replaced.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

from coincurve import PrivateKey
from eth_utils import keccak, to_checksum_address

from ordo.core.genesis import Genesis, devnet_genesis
from ordo.devnet.layout import DevnetLayout


class DevnetSetupError(Exception):
    """A devnet file exists but cannot be used; the message names the file and the problem."""


@dataclass(frozen=True)
class ProvisionedNode:
    index: int
    data_dir: Path
    signer_key_path: Path
    signer_address: str


@dataclass(frozen=True)
class ProvisionedDevnet:
    genesis: Genesis
    genesis_path: Path
    nodes: tuple[ProvisionedNode, ...]
    created: tuple[Path, ...]
    """Files written by this run (empty when everything was reused)."""


def provision(layout: DevnetLayout, node_count: int) -> ProvisionedDevnet:
    """Make sure the data dir holds a genesis and a signer key per node; create what is missing."""
    created: list[Path] = []
    layout.root.mkdir(parents=True, exist_ok=True)
    if not layout.genesis_path.exists():
        _write_new_file(layout.genesis_path,
                        json.dumps(devnet_genesis().to_json(), indent=2) + "\n", mode=0o644)
        created.append(layout.genesis_path)
    genesis = load_genesis(layout.genesis_path)
    nodes = []
    for index in range(node_count):
        layout.node_dir(index).mkdir(parents=True, exist_ok=True)
        key_path = layout.signer_key_path(index)
        if not key_path.exists():
            _write_new_file(key_path, PrivateKey().secret.hex() + "\n", mode=0o600)
            created.append(key_path)
        key = load_signer_key(key_path)
        nodes.append(ProvisionedNode(index=index, data_dir=layout.node_dir(index),
                                     signer_key_path=key_path,
                                     signer_address=signer_address(key)))
    return ProvisionedDevnet(genesis=genesis, genesis_path=layout.genesis_path,
                             nodes=tuple(nodes), created=tuple(created))


def load_genesis(path: Path) -> Genesis:
    try:
        return Genesis.load(path)
    except OSError as error:
        raise DevnetSetupError(f"{path}: cannot read genesis: {error.strerror}") from error
    except json.JSONDecodeError as error:
        raise DevnetSetupError(f"{path}: not valid JSON ({error.msg} at line {error.lineno}); "
                               "fix or remove it (removing starts a new chain)") from error
    except ValueError as error:
        raise DevnetSetupError(f"{path}: {error}") from error


def load_signer_key(path: Path) -> bytes:
    """Read a signer key file: 64 hex digits, optionally 0x-prefixed, surrounding space ignored."""
    try:
        text = path.read_text().strip()
    except OSError as error:
        raise DevnetSetupError(f"{path}: cannot read signer key: {error.strerror}") from error
    except UnicodeDecodeError as error:
        raise DevnetSetupError(f"{path}: signer key is not text") from error
    digits = text[2:] if text.startswith(("0x", "0X")) else text
    try:
        key = bytes.fromhex(digits)
    except ValueError as error:
        raise DevnetSetupError(f"{path}: signer key is not hex") from error
    if len(key) != 32:
        raise DevnetSetupError(f"{path}: signer key has {len(key)} bytes, expected 32")
    try:
        PrivateKey(key)
    except ValueError as error:
        raise DevnetSetupError(f"{path}: signer key is not a valid secp256k1 key") from error
    return key


def signer_address(key: bytes) -> str:
    public_key = PrivateKey(key).public_key.format(compressed=False)[1:]
    return to_checksum_address(keccak(public_key)[-20:])


def _write_new_file(path: Path, text: str, mode: int) -> None:
    """Create ``path`` with ``mode`` from the start (a key must never be world-readable, not even
    briefly) and fail rather than replace a file that appeared meanwhile."""
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    os.fchmod(descriptor, mode)  # the umask may have narrowed it; make it exact
    with os.fdopen(descriptor, "w") as handle:
        handle.write(text)
        handle.flush()
        os.fsync(handle.fileno())
