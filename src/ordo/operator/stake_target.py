"""Which L1 and which pool ``ordo stake`` talks to, and with which operator key.

Options win; then the node's config file (``[node] l1_rpc``, ``[stake] locking_pool`` and
``operator_key``, or an ``l1`` section of its genesis); then a devnet's ``devnet.json``. Each
miss says where it looked, so an operator knows which option to add.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ordo.config.config_file import read_config_file
from ordo.config.node_config import ConfigError
from ordo.operator.network_init import parse_hex_address

POOL_KEYS = ("locking_pool", "lockingPool", "pool")
RPC_KEYS = ("l1_rpc", "rpc", "url")


@dataclass(frozen=True)
class StakeTarget:
    l1_rpc: str
    pool: bytes


def resolve_target(l1_rpc: str | None, pool: str | None, config_path: Path | None,
                   devnet_json: Path | None) -> StakeTarget:
    settings: dict[str, Any] = read_config_file(config_path) if config_path else {}
    sections = [section for section in (
        _l1_section(settings.get("genesis_path"), "genesis") if config_path else None,
        _l1_section(devnet_json, "devnet_json") if devnet_json else None) if section]
    rpc = l1_rpc or settings.get("l1_rpc") or _first(sections, RPC_KEYS)
    pool_text = pool or settings.get("locking_pool") or _first(sections, POOL_KEYS)
    looked = "the option" + (f", {config_path}" if config_path else "") + \
        (f", {devnet_json}" if devnet_json else "")
    if not rpc:
        raise ConfigError(f"l1_rpc: not given (looked in {looked}); pass --l1-rpc URL")
    if not isinstance(rpc, str) or not rpc.startswith(("http://", "https://")):
        raise ConfigError(f"l1_rpc: {rpc!r} is not allowed; use an http:// or https:// URL")
    if not pool_text:
        raise ConfigError(f"pool: not given (looked in {looked}); pass --pool ADDR, the L1 "
                          "LockingPool address")
    return StakeTarget(rpc, parse_hex_address("pool", str(pool_text)))


def resolve_key_path(key: Path | None, config_path: Path | None) -> Path:
    if key is not None:
        return key
    if config_path is not None:
        configured = read_config_file(config_path).get("operator_key")
        if isinstance(configured, Path):
            return configured
    raise ConfigError("key: not given; pass --key FILE, the operator's keystore (ordo keys "
                      "new), or set operator_key in [stake] of --config FILE")


def _l1_section(path: Path | None, key: str) -> dict[str, Any] | None:
    """The ``l1`` object of a genesis or devnet.json, if the file has one."""
    if path is None:
        return None
    try:
        document = json.loads(path.read_text())
    except FileNotFoundError:
        if key == "genesis":
            return None
        raise ConfigError(f"{key}: {path} does not exist") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ConfigError(f"{key}: cannot read {path} as JSON ({error})") from None
    section = document.get("l1") if isinstance(document, dict) else None
    return section if isinstance(section, dict) else None


def _first(sections: list[dict[str, Any]], names: tuple[str, ...]) -> Any:
    for section in sections:
        for name in names:
            if section.get(name):
                return section[name]
    return None
