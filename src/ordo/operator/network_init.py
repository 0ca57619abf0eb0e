"""``ordo init``: the two files a new network starts from, a commented config.toml and a
genesis.json.

Parsing and building are pure; only write_network_files touches the disk, and it refuses to
replace what is there unless told to, because a genesis overwritten under a running network
forks whoever restarts next.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ordo.config.node_config import ConfigError
from ordo.core.genesis import (
    ConsensusRules,
    Genesis,
    GenesisValidator,
    devnet_genesis,
    predeploy_alloc,
)

CONFIG_NAME = "config.toml"
GENESIS_NAME = "genesis.json"


@dataclass(frozen=True)
class InitOptions:
    chain_id: int
    validators: tuple[GenesisValidator, ...] = ()
    epoch_length: int = ConsensusRules.epoch_length
    dev_accounts: bool = False
    """Fund the ten public development accounts (a test network only)."""
    config_values: tuple[tuple[str, Any], ...] = ()
    """Keys set (uncommented) in config.toml, by key name."""


def parse_validators(text: str) -> tuple[GenesisValidator, ...]:
    """``ADDR:STAKE,ADDR:STAKE`` -> validators; ConfigError names the entry and the rule."""
    validators = []
    seen: set[bytes] = set()
    for index, entry in enumerate(part.strip() for part in text.split(",")):
        address_text, separator, stake_text = entry.partition(":")
        if not separator:
            raise ConfigError(f"validators[{index}]: {entry!r} is not allowed; use ADDR:STAKE, "
                              "e.g. 0x5B38Da6a701c568545dCfcB03FcB875f56beddC4:100")
        address = parse_hex_address(f"validators[{index}]", address_text)
        if not stake_text.isdigit() or int(stake_text) <= 0:
            raise ConfigError(f"validators[{index}]: stake {stake_text!r} is not allowed; use a "
                              "positive integer")
        if address in seen:
            raise ConfigError(f"validators[{index}]: 0x{address.hex()} is listed twice; "
                              "allowed is each signer once")
        seen.add(address)
        validators.append(GenesisValidator(address, int(stake_text)))
    return tuple(validators)


def parse_hex_address(key: str, text: str) -> bytes:
    digits = text.strip()
    if not digits.lower().startswith("0x"):
        raise ConfigError(f"{key}: {text!r} is not allowed; use a 0x-prefixed 20-byte hex "
                          "address")
    try:
        address = bytes.fromhex(digits[2:])
    except ValueError:
        address = b""
    if len(address) != 20:
        raise ConfigError(f"{key}: {text!r} is not allowed; use a 0x-prefixed 20-byte hex "
                          "address")
    return address


def build_genesis(options: InitOptions) -> Genesis:
    """The network's genesis; ConfigError for a chain id or epoch length out of range."""
    if not 1 <= options.chain_id < 2**64:
        raise ConfigError(f"chain_id: {options.chain_id} is not allowed; use 1 to 2^64-1")
    if options.epoch_length < 1:
        raise ConfigError(f"epoch_length: {options.epoch_length} is not allowed; use a "
                          "positive number of blocks")
    consensus = ConsensusRules(epoch_length=options.epoch_length)
    if options.dev_accounts:
        return devnet_genesis(chain_id=options.chain_id, validators=options.validators,
                              consensus=consensus)
    return Genesis(chain_id=options.chain_id, validators=options.validators,
                   consensus=consensus, alloc=predeploy_alloc())


def write_network_files(directory: Path, config_text: str, genesis: Genesis,
                        force: bool = False) -> tuple[Path, Path]:
    """Write DIR/config.toml and DIR/genesis.json; ConfigError before writing anything if
    either exists and ``force`` is off."""
    config_path, genesis_path = directory / CONFIG_NAME, directory / GENESIS_NAME
    if directory.exists() and not directory.is_dir():
        raise ConfigError(f"dir: {directory} exists and is not a directory")
    if not force:
        existing = [path for path in (config_path, genesis_path) if path.exists()]
        if existing:
            raise ConfigError(f"dir: {' and '.join(map(str, existing))} already "
                              f"exist{'s' if len(existing) == 1 else ''}; allowed is a directory "
                              "without them, or --force to overwrite")
    directory.mkdir(parents=True, exist_ok=True)
    _replace(config_path, config_text)
    genesis.save(genesis_path.with_name(GENESIS_NAME + ".tmp"))
    os.replace(genesis_path.with_name(GENESIS_NAME + ".tmp"), genesis_path)
    return config_path, genesis_path


def _replace(path: Path, text: str) -> None:
    temporary = path.with_name(path.name + ".tmp")
    temporary.write_text(text)
    os.replace(temporary, path)
