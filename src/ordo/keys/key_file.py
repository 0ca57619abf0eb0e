"""Hex secp256k1 key files (signer keys and p2p node keys): strict reading, private creation.

Both key kinds share one file format, so one reader gives the operator the same precise message
for either ("signer key is not hex", "node key has 31 bytes, expected 32").
"""

from __future__ import annotations

import os
from pathlib import Path

from coincurve import PrivateKey
from eth_utils import keccak, to_checksum_address


class KeyFileError(ValueError):
    """A key file cannot be used; the message names the file and the problem."""


def read_key_file(path: Path, what: str = "signer key") -> bytes:
    """Read 64 hex digits, optionally 0x-prefixed, surrounding space ignored."""
    try:
        text = path.read_text().strip()
    except OSError as error:
        raise KeyFileError(f"{path}: cannot read {what}: {error.strerror}") from error
    except UnicodeDecodeError as error:
        raise KeyFileError(f"{path}: {what} is not text") from error
    digits = text[2:] if text.startswith(("0x", "0X")) else text
    try:
        key = bytes.fromhex(digits)
    except ValueError as error:
        raise KeyFileError(f"{path}: {what} is not hex") from error
    if len(key) != 32:
        raise KeyFileError(f"{path}: {what} has {len(key)} bytes, expected 32")
    try:
        PrivateKey(key)
    except ValueError as error:
        raise KeyFileError(f"{path}: {what} is not a valid secp256k1 key") from error
    return key


def create_key_file(path: Path) -> bytes:
    """Write a fresh random key readable by its owner only; never replaces an existing file."""
    key = PrivateKey().secret
    write_new_file(path, key.hex() + "\n", mode=0o600)
    return key


def key_address(key: bytes) -> str:
    """Checksummed Ethereum address of a key (a validator's signer, a peer's id)."""
    public_key = PrivateKey(key).public_key.format(compressed=False)[1:]
    return to_checksum_address(keccak(public_key)[-20:])


def write_new_file(path: Path, text: str, mode: int) -> None:
    """Create ``path`` with ``mode`` from the start (a key must never be world-readable, not even
    briefly) and fail rather than replace a file that appeared meanwhile."""
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    os.fchmod(descriptor, mode)  # the umask may have narrowed it; make it exact
    with os.fdopen(descriptor, "w") as handle:
        handle.write(text)
        handle.flush()
        os.fsync(handle.fileno())
