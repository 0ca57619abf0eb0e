"""Which L1 a devnet stakes on: the embedded dev chain (the default), any JSON-RPC endpoint with
a funded deployer key, or none at all (the validators come from the genesis file).

The deployer key of an external L1 is read from a file or an environment variable, never from
the command line, where every user of the machine could read it in the process list.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from ordo.core.genesis import dev_private_keys
from ordo.keys.file_permissions import KeyPermissionError, check_owner_only
from ordo.keys.key_file import KeyFileError, read_key_file

DEV_L1_PORT_OFFSET = 200
"""Default distance between node 0's JSON-RPC port and the dev L1's."""
DEV_L1_BLOCK_TIME = 1.0


class L1ChoiceError(ValueError):
    """The L1 options cannot work together; the message names the option to change."""


@dataclass(frozen=True)
class DevL1:
    """The embedded dev chain, run as a child of the devnet."""

    port: int | None = None
    """None: the devnet's base port + DEV_L1_PORT_OFFSET."""
    block_time: float = DEV_L1_BLOCK_TIME

    def port_for(self, base_port: int) -> int:
        return base_port + DEV_L1_PORT_OFFSET if self.port is None else self.port

    @staticmethod
    def deployer_key() -> bytes:
        """Dev account 0, which the dev L1's genesis funds (accounts 1.. are the operators)."""
        return dev_private_keys(1)[0]


@dataclass(frozen=True)
class ExternalL1:
    """Any Ethereum JSON-RPC endpoint (anvil, a testnet node)."""

    url: str
    deployer_key: bytes | None = field(default=None, repr=False)
    """Needed to create a devnet (deploy, mint, fund); a resumed one sends nothing."""

    def __post_init__(self) -> None:
        if not self.url.startswith(("http://", "https://")):
            raise L1ChoiceError(f"--l1-rpc {self.url!r}: use an http:// or https:// URL")
        if self.deployer_key is not None and len(self.deployer_key) != 32:
            raise L1ChoiceError("deployer key: expected 32 bytes")


L1Choice = DevL1 | ExternalL1 | None


def deployer_key_from_file(path: Path) -> bytes:
    """A hex key file readable by its owner only; L1ChoiceError names the file and problem."""
    try:
        check_owner_only(path, "L1 deployer key")
        return read_key_file(path, "L1 deployer key")
    except (KeyPermissionError, KeyFileError) as error:
        raise L1ChoiceError(f"--l1-deployer-key-file {error}") from None
    except OSError as error:
        raise L1ChoiceError(f"--l1-deployer-key-file {path}: cannot read L1 deployer key: "
                            f"{error.strerror}") from None


def deployer_key_from_env(name: str, environ: Mapping[str, str] | None = None) -> bytes:
    """64 hex digits (0x optional) in environment variable ``name``; the value never appears in
    an error message."""
    value = (os.environ if environ is None else environ).get(name)
    if value is None or not value.strip():
        raise L1ChoiceError(f"--l1-deployer-key-env {name}: the environment variable is not "
                            "set or empty; export it with the deployer's hex private key")
    digits = value.strip()
    digits = digits[2:] if digits.startswith(("0x", "0X")) else digits
    try:
        key = bytes.fromhex(digits)
    except ValueError:
        raise L1ChoiceError(f"--l1-deployer-key-env {name}: the value is not hex; expected "
                            "64 hex digits (0x optional)") from None
    if len(key) != 32:
        raise L1ChoiceError(f"--l1-deployer-key-env {name}: the value has {len(key)} bytes, "
                            "expected 32")
    return key


def choose_l1(mode: str, rpc_url: str | None, port: int | None, key_file: Path | None,
              key_env: str | None, environ: Mapping[str, str] | None = None) -> L1Choice:
    """The L1 asked for by ``ordo devnet``'s options (``--l1 dev|none``, ``--l1-rpc``,
    ``--l1-port``, ``--l1-deployer-key-file``, ``--l1-deployer-key-env``)."""
    if mode not in ("dev", "none"):
        raise L1ChoiceError(f"--l1 {mode!r}: allowed are dev (the embedded dev chain) and "
                            "none (validators from the genesis file)")
    if mode == "none":
        given = [name for name, value in (("--l1-rpc", rpc_url), ("--l1-port", port),
                                          ("--l1-deployer-key-file", key_file),
                                          ("--l1-deployer-key-env", key_env))
                 if value is not None]
        if given:
            raise L1ChoiceError(f"--l1 none: {given[0]} needs an L1; drop one of the two")
        return None
    if key_file is not None and key_env is not None:
        raise L1ChoiceError("--l1-deployer-key-file and --l1-deployer-key-env: give one of them")
    if rpc_url is None:
        if key_file is not None or key_env is not None:
            option = "--l1-deployer-key-file" if key_file is not None else \
                "--l1-deployer-key-env"
            raise L1ChoiceError(f"{option}: only with --l1-rpc (the dev L1 deploys from its "
                                "own funded dev account)")
        if port is not None and not 1 <= port <= 65535:
            raise L1ChoiceError(f"--l1-port {port}: must lie within 1..65535")
        return DevL1(port=port)
    if port is not None:
        raise L1ChoiceError("--l1-port: only for the dev L1; --l1-rpc names its own port")
    key = None
    if key_file is not None:
        key = deployer_key_from_file(key_file)
    elif key_env is not None:
        key = deployer_key_from_env(key_env, environ)
    return ExternalL1(rpc_url, key)
