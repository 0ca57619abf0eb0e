"""Key files as the node meets them at start: a keystore (needs a password source) or the
devnet's raw hex file (read by the older reader), both refused when others can read them.

A node runs unattended, so it never prompts: a keystore without --password-file or
--password-env is a configuration error found before anything starts.
"""

from __future__ import annotations

from pathlib import Path

from ordo.keys.file_permissions import KeyPermissionError, check_owner_only
from ordo.keys.keystore import KeystoreError, decrypt_keystore, is_keystore_file
from ordo.keys.password_source import PasswordError, PasswordSource


def check_key_file(path: Path, what: str, password: PasswordSource) -> None:
    """What can be checked without decrypting: permissions, and a password source for a
    keystore."""
    try:
        check_owner_only(path, what)
    except KeyPermissionError as error:
        raise KeystoreError(str(error)) from None
    except OSError as error:
        raise KeystoreError(f"{path}: cannot read {what}: {error.strerror}") from None
    if is_keystore_file(path) and not password.given:
        raise KeystoreError(f"{path}: {what} is an encrypted keystore; pass --password-file "
                            "FILE or --password-env NAME")


def open_keystore_key(path: Path, what: str, password: PasswordSource) -> bytes:
    """The 32-byte key of a keystore file; raises KeystoreError naming the file and problem."""
    check_key_file(path, what, password)
    try:
        secret = password.read()
    except PasswordError as error:
        raise KeystoreError(str(error)) from None
    if secret is None:
        raise KeystoreError(f"{path}: {what} is an encrypted keystore; pass --password-file "
                            "FILE or --password-env NAME")
    return decrypt_keystore(path, secret)
