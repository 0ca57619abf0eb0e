"""The sentry allow-list from the operator's side: ``--peer-allow`` and ``[p2p] allowed_peers``
reach the node's NodeConfig as node addresses, and bad entries are refused by name."""

from __future__ import annotations

import sys
import types
from pathlib import Path

import pytest
from click.testing import CliRunner

from ordo.cli import main
from ordo.config.node_config import ConfigError, NodeConfig
from ordo.core.genesis import devnet_genesis
from ordo.network.node_key import NodeKey, parse_peer_key

FOLLOWER = NodeKey.generate()
VALIDATOR_NODE = NodeKey.generate()


@pytest.fixture
def captured(monkeypatch: pytest.MonkeyPatch) -> list[NodeConfig]:
    """The NodeConfig ``ordo node`` would run, without running a node."""
    seen: list[NodeConfig] = []

    async def run_node(config: NodeConfig) -> None:
        seen.append(config)

    monkeypatch.setitem(sys.modules, "ordo.node.runner", types.SimpleNamespace(run_node=run_node))
    return seen


def node_command(directory: Path, *extra: str, config: str | None = None) -> tuple[int, str]:
    devnet_genesis().save(directory / "genesis.json")
    arguments = ["node", "--data-dir", str(directory / "d"), "--genesis",
                 str(directory / "genesis.json"), *extra]
    if config is not None:
        (directory / "config.toml").write_text(config)
        arguments = ["node", "--config", str(directory / "config.toml"), *extra]
    result = CliRunner().invoke(main, arguments)
    return result.exit_code, result.stderr


def test_peer_key_is_an_address_or_a_public_key() -> None:
    assert parse_peer_key("0x" + FOLLOWER.address.hex()) == FOLLOWER.address
    assert parse_peer_key("0x" + FOLLOWER.public_key.hex()) == FOLLOWER.address
    for bad in ("0x1234", "node-a", "0x" + "02" + "ff" * 32):
        with pytest.raises(ValueError):
            parse_peer_key(bad)


def test_peer_allow_options_reach_the_node_config(tmp_path: Path,
                                                  captured: list[NodeConfig]) -> None:
    code, err = node_command(tmp_path, "--peer-allow", "0x" + FOLLOWER.address.hex(),
                             "--peer-allow", "0x" + VALIDATOR_NODE.public_key.hex())
    assert code == 0, err
    assert captured[0].allowed_peers == {FOLLOWER.address, VALIDATOR_NODE.address}


def test_without_the_option_any_peer_is_admitted(tmp_path: Path,
                                                 captured: list[NodeConfig]) -> None:
    assert node_command(tmp_path)[0] == 0
    assert captured[0].allowed_peers is None


def test_config_file_allow_list_and_the_option_wins(tmp_path: Path,
                                                    captured: list[NodeConfig]) -> None:
    body = ('[node]\ndata_dir = "d"\ngenesis = "genesis.json"\n[p2p]\n'
            f'allowed_peers = ["0x{FOLLOWER.address.hex()}"]\n')
    assert node_command(tmp_path, config=body)[0] == 0
    assert captured[-1].allowed_peers == {FOLLOWER.address}
    assert node_command(tmp_path, "--peer-allow", "0x" + VALIDATOR_NODE.address.hex(),
                        config=body)[0] == 0
    assert captured[-1].allowed_peers == {VALIDATOR_NODE.address}


@pytest.mark.parametrize(("value", "message"), [
    ("[]", "[p2p] allowed_peers: [] is not allowed; use a non-empty list"),
    ('["0x12"]', "[p2p] allowed_peers[0]: '0x12' is not a node key"),
])
def test_bad_config_entries_are_refused_by_name(tmp_path: Path, captured: list[NodeConfig],
                                                value: str, message: str) -> None:
    body = f'[node]\ndata_dir = "d"\ngenesis = "genesis.json"\n[p2p]\nallowed_peers = {value}\n'
    code, err = node_command(tmp_path, config=body)
    assert code == 2 and message in err, err
    assert captured == []


def test_bad_option_is_refused_by_name(tmp_path: Path, captured: list[NodeConfig]) -> None:
    code, err = node_command(tmp_path, "--peer-allow", "validator-3")
    assert code == 2 and "peer_allow[0]: 'validator-3' is not a node key" in err, err
    assert captured == []


def test_empty_allow_list_in_node_config_is_refused() -> None:
    with pytest.raises(ConfigError, match="allowed_peers"):
        NodeConfig(data_dir=Path("d"), genesis_path=Path("g"), allowed_peers=frozenset())
