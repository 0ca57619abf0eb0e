"""Encrypted Ethereum keystore (v3) files for signer and node keys.

Scrypt with n = 2**17, r = 8, p = 1 takes about 0.28 s to encrypt or decrypt on the 2-core dev
machine: a real cost to an offline guesser (2**17 * 128 * 8 = 128 MiB of memory per guess) while
a node start stays well under a second. Files are named ``<kind>-<address>.json`` so ``list``
needs no password: v3 stores the address in clear.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from eth_account import Account
from eth_utils import to_checksum_address

from ordo.keys.file_permissions import (
    KeyPermissionError,
    check_owner_only,
    ensure_private_dir,
    write_private_file,
)

SCRYPT_N = 2**17
KeyKind = Literal["signer", "node"]
KEY_KINDS: tuple[KeyKind, ...] = ("signer", "node")
MAX_KEYSTORE_BYTES = 64 * 1024


class KeystoreError(ValueError):
    """A keystore cannot be written, read or opened; the message names the file and why."""


@dataclass(frozen=True)
class KeystoreEntry:
    kind: KeyKind
    address: str
    path: Path


def keystore_file_name(kind: KeyKind, address: str) -> str:
    return f"{kind}-{address.lower().removeprefix('0x')}.json"


def write_keystore(directory: Path, kind: KeyKind, key: bytes, password: str,
                   scrypt_n: int = SCRYPT_N) -> KeystoreEntry:
    """Encrypt ``key`` into a new owner-only file in the owner-only ``directory``."""
    try:
        ensure_private_dir(directory)
    except KeyPermissionError as error:
        raise KeystoreError(str(error)) from None
    encrypted = Account.encrypt(key, password, kdf="scrypt", iterations=scrypt_n)
    address = to_checksum_address(encrypted["address"])
    path = directory / keystore_file_name(kind, address)
    try:
        write_private_file(path, json.dumps(encrypted, indent=2) + "\n")
    except FileExistsError:
        raise KeystoreError(f"{path}: a keystore for {address} already exists") from None
    except OSError as error:
        raise KeystoreError(f"{path}: cannot write: {error.strerror}") from None
    return KeystoreEntry(kind, address, path)


def read_keystore(path: Path) -> dict[str, Any]:
    """The keystore's JSON, checked for the v3 shape (so decrypt errors are about the password)."""
    try:
        if path.stat().st_size > MAX_KEYSTORE_BYTES:
            raise KeystoreError(f"{path}: larger than {MAX_KEYSTORE_BYTES} bytes; not a keystore")
        document = json.loads(path.read_text())
    except OSError as error:
        raise KeystoreError(f"{path}: cannot read: {error.strerror}") from None
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise KeystoreError(f"{path}: not a JSON keystore file") from None
    if not isinstance(document, dict) or document.get("version") != 3:
        raise KeystoreError(f"{path}: not a version 3 keystore (\"version\": 3 is required)")
    crypto = document.get("crypto", document.get("Crypto"))
    if not isinstance(crypto, dict) or not isinstance(crypto.get("ciphertext"), str):
        raise KeystoreError(f"{path}: keystore has no crypto.ciphertext")
    if crypto.get("kdf") not in ("scrypt", "pbkdf2"):
        raise KeystoreError(f"{path}: kdf {crypto.get('kdf')!r} is not allowed; use scrypt "
                            "or pbkdf2")
    address = document.get("address")
    if not isinstance(address, str) or len(address.removeprefix("0x")) != 40:
        raise KeystoreError(f"{path}: keystore has no 20-byte address")
    return document


def decrypt_keystore(path: Path, password: str) -> bytes:
    """The 32-byte private key; refuses files others can read before looking at the content."""
    try:
        check_owner_only(path, "keystore")
    except KeyPermissionError as error:
        raise KeystoreError(str(error)) from None
    except OSError as error:
        raise KeystoreError(f"{path}: cannot read: {error.strerror}") from None
    document = read_keystore(path)
    try:
        key = bytes(Account.decrypt(document, password))
    except ValueError as error:
        if "MAC mismatch" in str(error):
            raise KeystoreError(f"{path}: wrong password") from None
        raise KeystoreError(f"{path}: cannot decrypt: {error}") from None
    stored = to_checksum_address("0x" + document["address"].removeprefix("0x"))
    actual = Account.from_key(key).address
    if actual != stored:
        raise KeystoreError(f"{path}: decrypted key belongs to {actual}, not to the stored "
                            f"address {stored}")
    return key


def is_keystore_file(path: Path) -> bool:
    """True when the file looks like JSON (a raw hex key file never starts with a brace)."""
    try:
        with path.open("rb") as handle:
            return handle.read(64).lstrip().startswith(b"{")
    except OSError:
        return False


def list_keystores(directory: Path) -> list[KeystoreEntry]:
    """Keystores named ``<kind>-<address>.json`` in ``directory``, signers first."""
    if not directory.is_dir():
        return []
    entries = []
    for path in sorted(directory.glob("*.json")):
        kind, _, _rest = path.stem.partition("-")
        if kind not in KEY_KINDS:
            continue
        try:
            document = read_keystore(path)
        except KeystoreError:
            continue
        address = to_checksum_address("0x" + document["address"].removeprefix("0x"))
        entries.append(KeystoreEntry(kind, address, path))  # type: ignore[arg-type]
    return sorted(entries, key=lambda entry: (KEY_KINDS.index(entry.kind), entry.address))
