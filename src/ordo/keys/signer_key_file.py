"""The node's signer key from either file format operators have: a keystore or raw hex.

The devnet writes raw hex files (its keys guard nothing of value); an operator's real key lives in
an encrypted keystore and the node needs a password source for it.
"""

from __future__ import annotations

from pathlib import Path

from ordo.devnet.key_file import KeyFileError, read_key_file
from ordo.keys.file_permissions import KeyPermissionError, check_owner_only
from ordo.keys.keystore import KeystoreError, decrypt_keystore, is_keystore_file
from ordo.keys.password_source import PasswordError, PasswordSource


def check_key_file(path: Path, what: str, password: PasswordSource) -> None:
    """What can be checked without decrypting: permissions, and a password source for a
    keystore (a node runs unattended, so it never prompts)."""
    try:
        check_owner_only(path, what)
    except KeyPermissionError as error:
        raise KeystoreError(str(error)) from None
    except OSError as error:
        raise KeystoreError(f"{path}: cannot read {what}: {error.strerror}") from None
    if is_keystore_file(path) and not password.given:
        raise KeystoreError(f"{path}: {what} is an encrypted keystore; pass --password-file "
                            "FILE or --password-env NAME")


def load_key_file(path: Path, what: str, password: PasswordSource) -> bytes:
    """The 32-byte key; raises KeystoreError naming the file and the problem."""
    check_key_file(path, what, password)
    if not is_keystore_file(path):
        try:
            return read_key_file(path, what)
        except KeyFileError as error:
            raise KeystoreError(str(error)) from None
    try:
        secret = password.read()
    except PasswordError as error:
        raise KeystoreError(str(error)) from None
    assert secret is not None  # check_key_file made sure a source was given
    return decrypt_keystore(path, secret)
