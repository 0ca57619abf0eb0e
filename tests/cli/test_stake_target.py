"""Where ``ordo stake`` finds its L1 and pool when the options leave them out."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ordo.config.node_config import ConfigError
from ordo.operator.stake_target import StakeTarget, resolve_key_path, resolve_target

POOL = "0x" + "ab" * 20


def test_options_win_over_every_file(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text(f'[node]\nl1_rpc = "http://file:1"\n[stake]\nlocking_pool = "0x{"cd" * 20}"\n'
                      'operator_key = "keys/op.json"\n')
    assert resolve_target("http://option:2", POOL, config, None) == StakeTarget(
        "http://option:2", bytes.fromhex("ab" * 20))
    assert resolve_target(None, None, config, None) == StakeTarget(
        "http://file:1", bytes.fromhex("cd" * 20))
    assert resolve_key_path(None, config) == tmp_path / "keys/op.json"
    assert resolve_key_path(tmp_path / "k.json", config) == tmp_path / "k.json"


def test_the_l1_section_of_a_genesis_or_devnet_json(tmp_path: Path) -> None:
    (tmp_path / "genesis.json").write_text(json.dumps({"chainId": 1, "l1": {"lockingPool": POOL}}))
    config = tmp_path / "config.toml"
    config.write_text('[node]\ngenesis = "genesis.json"\nl1_rpc = "http://l1:8545"\n')
    assert resolve_target(None, None, config, None).pool == bytes.fromhex("ab" * 20)
    devnet = tmp_path / "devnet.json"
    devnet.write_text(json.dumps({"l1": {"rpc": "http://dev:1", "locking_pool": POOL}}))
    assert resolve_target(None, None, None, devnet) == StakeTarget(
        "http://dev:1", bytes.fromhex("ab" * 20))


@pytest.mark.parametrize(("arguments", "message"), [
    ((None, POOL, None, None), "l1_rpc: not given (looked in the option); pass --l1-rpc URL"),
    (("http://x", None, None, None), "pool: not given (looked in the option); pass --pool ADDR"),
    (("ws://x", POOL, None, None), "l1_rpc: 'ws://x' is not allowed; use an http:// or "
                                   "https:// URL"),
    (("http://x", "0xab", None, None), "pool: '0xab' is not allowed; use a 0x-prefixed 20-byte "
                                       "hex address"),
])
def test_missing_or_bad_targets_name_the_key(arguments: tuple[str | None, str | None, None, None],
                                             message: str) -> None:
    with pytest.raises(ConfigError) as error:
        resolve_target(*arguments)
    assert str(error.value).startswith(message)


def test_a_missing_devnet_json_is_named(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"devnet_json: .*devnet\.json does not exist"):
        resolve_target("http://x", None, None, tmp_path / "devnet.json")
