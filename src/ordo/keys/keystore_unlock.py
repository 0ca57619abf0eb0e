"""Opening an operator's keystore from a command line: its address without a password, its
key with the password from a file, an environment variable or, on a terminal, a prompt.

Shared by every command that signs L1 or L2 transactions (``ordo stake``, ``ordo bridge``).
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from ordo.config.node_config import ConfigError
from ordo.keys.keystore import KeystoreError, decrypt_keystore, read_keystore
from ordo.keys.password_source import PasswordError, PasswordSource


def keystore_address(path: Path) -> bytes:
    """ConfigError naming the file when it is not a keystore."""
    try:
        document = read_keystore(path)
    except KeystoreError as error:
        raise ConfigError(f"key: {error}") from None
    return bytes.fromhex(document["address"].removeprefix("0x"))


def unlock_keystore(path: Path, source: PasswordSource) -> bytes:
    """The private key of ``path``; PasswordError when there is no password and no terminal,
    ConfigError for a wrong password or a damaged file."""
    password = source.read()
    if password is None:
        if not sys.stdin.isatty():
            raise PasswordError("password: no terminal to prompt on; pass --password-file FILE "
                                "or --password-env NAME")
        password = click.prompt(f"Password of {path.name}", hide_input=True, err=True)
    try:
        return decrypt_keystore(path, password)
    except KeystoreError as error:
        raise ConfigError(f"key: {error}") from None
