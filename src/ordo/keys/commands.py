"""``ordo keys``: create, list, import and show operator keys kept in encrypted keystores.

Passwords come from a hidden prompt, --password-file or --password-env; there is deliberately no
option that takes the password itself.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import NoReturn, TypeVar

import click
from coincurve import PrivateKey
from rich.console import Console
from rich.table import Table

from ordo.keys.key_file import KeyFileError, key_address, read_key_file
from ordo.keys.keystore import (
    KEY_KINDS,
    KeyKind,
    KeystoreError,
    decrypt_keystore,
    list_keystores,
    write_keystore,
)
from ordo.keys.password_source import PasswordError, PasswordSource, check_new_password

T = TypeVar("T")
EXIT_FAILED = 1
EXIT_CONFIG = 2
DEFAULT_KEYSTORE = Path.home() / ".ordo" / "keystore"

keystore_option = click.option(
    "--keystore", "keystore_dir", default=DEFAULT_KEYSTORE, show_default=True,
    type=click.Path(path_type=Path), help="Directory of keystore files (created 0700).")
password_file_option = click.option(
    "--password-file", type=click.Path(path_type=Path), default=None,
    help="File whose first line is the password.")
password_env_option = click.option(
    "--password-env", metavar="NAME", default=None,
    help="Environment variable holding the password.")
kind_option = click.option(
    "--kind", type=click.Choice(KEY_KINDS), default="signer", show_default=True,
    help="signer: the sequencer's consensus key; node: the p2p identity.")


@click.group(name="keys")
def keys_group() -> None:
    """Encrypted signer and node keys (Ethereum keystore v3, scrypt)."""


@keys_group.command(name="new")
@kind_option
@keystore_option
@password_file_option
@password_env_option
def new_key(kind: KeyKind, keystore_dir: Path, password_file: Path | None,
            password_env: str | None) -> None:
    """Create a fresh random key in a new keystore file."""
    password = _new_password(password_file, password_env)
    entry = _or_fail(lambda: write_keystore(keystore_dir, kind, PrivateKey().secret, password))
    click.echo(f"{entry.kind} key {entry.address} written to {entry.path}")


@keys_group.command(name="import")
@click.argument("key_file", type=click.Path(path_type=Path))
@kind_option
@keystore_option
@password_file_option
@password_env_option
def import_key(key_file: Path, kind: KeyKind, keystore_dir: Path, password_file: Path | None,
               password_env: str | None) -> None:
    """Encrypt a raw hex key file (such as a devnet key) into the keystore.

    The raw file is left in place: delete it yourself once the keystore is backed up."""
    try:
        key = read_key_file(key_file, f"{kind} key")
    except KeyFileError as error:
        _fail(f"key_file: {error}", EXIT_CONFIG)
    password = _new_password(password_file, password_env)
    entry = _or_fail(lambda: write_keystore(keystore_dir, kind, key, password))
    click.echo(f"{entry.kind} key {entry.address} imported to {entry.path}")


@keys_group.command(name="list")
@keystore_option
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
def list_keys(keystore_dir: Path, as_json: bool) -> None:
    """List keystores (no password needed: addresses are stored in clear)."""
    entries = list_keystores(keystore_dir)
    if as_json:
        click.echo(json.dumps([{"kind": entry.kind, "address": entry.address,
                                "path": str(entry.path)} for entry in entries]))
        return
    if not entries:
        click.echo(f"no keystores in {keystore_dir}")
        return
    table = Table("kind", "address", "file")
    for entry in entries:
        table.add_row(entry.kind, entry.address, str(entry.path))
    _console().print(table)


@keys_group.command(name="export-public")
@click.argument("keystore_file", type=click.Path(path_type=Path))
@password_file_option
@password_env_option
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def export_public(keystore_file: Path, password_file: Path | None, password_env: str | None,
                  as_json: bool) -> None:
    """Print the address and uncompressed public key of a keystore (for genesis or peers)."""
    source = _source(password_file, password_env)
    password = _or_fail(source.read)
    if password is None:
        password = click.prompt("Password", hide_input=True)
    key = _or_fail(lambda: decrypt_keystore(keystore_file, password))
    public_key = PrivateKey(key).public_key.format(compressed=False)
    result = {"address": key_address(key), "publicKey": "0x" + public_key[1:].hex()}
    if as_json:
        click.echo(json.dumps(result))
    else:
        click.echo(f"address:    {result['address']}\npublic key: {result['publicKey']}")


def _source(password_file: Path | None, password_env: str | None) -> PasswordSource:
    try:
        return PasswordSource(password_file, password_env)
    except PasswordError as error:
        _fail(str(error), EXIT_CONFIG)


def _new_password(password_file: Path | None, password_env: str | None) -> str:
    source = _source(password_file, password_env)
    try:
        password = source.read()
        if password is None:
            if not sys.stdin.isatty():
                raise PasswordError("password: no terminal to prompt on; pass --password-file "
                                    "FILE or --password-env NAME")
            password = click.prompt("New password", hide_input=True, confirmation_prompt=True)
        check_new_password(password)
    except PasswordError as error:
        _fail(str(error), EXIT_CONFIG)
    return password


def _or_fail(action: Callable[[], T]) -> T:
    try:
        return action()
    except (KeystoreError, PasswordError) as error:
        _fail(str(error), EXIT_CONFIG)


def _console() -> Console:
    return Console() if sys.stdout.isatty() else Console(width=200)


def _fail(message: str, code: int) -> NoReturn:
    click.echo(f"error: {message}", err=True)
    sys.exit(code)


