from __future__ import annotations

import json
import socket
import stat
from pathlib import Path

import pytest

from ordo.core.genesis import ConsensusRules, Genesis, GenesisValidator, devnet_genesis
from ordo.devnet.layout import DevnetLayout
from ordo.devnet.manifest import NodeEntry, manifest_document, write_manifest
from ordo.devnet.ports import free_port, port_is_free
from ordo.devnet.provision import (
    DevnetSetupError,
    DevnetShape,
    load_signer_key,
    parse_stakes,
    provision,
    signer_address,
)
from ordo.devnet.readiness import block_number
from ordo.devnet.restart_policy import RestartPolicy
from ordo.devnet.topology import NodeAddresses, TopologyError, plan_addresses
from ordo.keys.key_file import read_key_file

ONE_NODE = DevnetShape(nodes=1)

HARDHAT_KEY_0 = bytes.fromhex("ac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80")


def validator_of(key_path: Path, stake: int) -> GenesisValidator:
    return GenesisValidator(bytes.fromhex(signer_address(load_signer_key(key_path))[2:]), stake)


def test_first_provision_creates_genesis_and_private_keys(tmp_path: Path) -> None:
    layout = DevnetLayout(tmp_path / "net")
    devnet = provision(layout, ONE_NODE)
    assert devnet.created == (layout.signer_key_path(0), layout.genesis_path,
                              layout.node_key_path(0))
    key_path = layout.signer_key_path(0)
    assert Genesis.load(layout.genesis_path) == devnet_genesis(
        validators=(validator_of(key_path, 100),), consensus=ConsensusRules(epoch_length=20))
    assert devnet.genesis.chain_id == 77077
    for path in (key_path, layout.node_key_path(0)):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        key_text = path.read_text()
        assert len(key_text.strip()) == 64 and key_text.endswith("\n")
    [node] = devnet.nodes
    assert node.signer_address == signer_address(load_signer_key(key_path))
    assert node.peer_id == signer_address(read_key_file(layout.node_key_path(0)))
    assert node.peer_id != node.signer_address and node.stake == 100


def test_four_nodes_with_stakes_are_four_validators_in_node_order(tmp_path: Path) -> None:
    layout = DevnetLayout(tmp_path / "net")
    devnet = provision(layout, DevnetShape(nodes=4, stakes=(10, 20, 30, 40), epoch_length=7))
    genesis = Genesis.load(layout.genesis_path)
    assert genesis.validators == tuple(validator_of(layout.signer_key_path(index), stake)
                                       for index, stake in enumerate((10, 20, 30, 40)))
    assert genesis.consensus.epoch_length == 7
    assert [node.stake for node in devnet.nodes] == [10, 20, 30, 40]
    assert [node.data_dir for node in devnet.nodes] == [layout.node_dir(i) for i in range(4)]
    assert len({node.signer_address for node in devnet.nodes}
               | {node.peer_id for node in devnet.nodes}) == 8
    assert len(devnet.created) == 9


def test_stakes_alone_set_the_node_count(tmp_path: Path) -> None:
    devnet = provision(DevnetLayout(tmp_path), DevnetShape(stakes=(5, 5, 5)))
    assert len(devnet.nodes) == 3


def test_provision_reuses_everything_and_keys_differ_between_devnets(tmp_path: Path) -> None:
    first = provision(DevnetLayout(tmp_path / "a"), DevnetShape(nodes=2))
    again = provision(DevnetLayout(tmp_path / "a"), DevnetShape(nodes=2))
    unspecified = provision(DevnetLayout(tmp_path / "a"), DevnetShape())
    other = provision(DevnetLayout(tmp_path / "b"), DevnetShape(nodes=2))
    assert again.created == () == unspecified.created
    assert again.nodes == first.nodes == unspecified.nodes
    assert other.nodes[0].signer_address != first.nodes[0].signer_address


@pytest.mark.parametrize(("shape", "problem"), [
    (DevnetShape(nodes=3), "--nodes 3: .* holds a 4-node devnet"),
    (DevnetShape(stakes=(1, 1, 1, 1)), "--stakes 1,1,1,1: .* fixes the stakes at 100,100,100,100"),
    (DevnetShape(epoch_length=5), "--epoch-length 5: .* fixes it at 20"),
])
def test_options_that_would_change_an_existing_chain_are_refused(
        tmp_path: Path, shape: DevnetShape, problem: str) -> None:
    layout = DevnetLayout(tmp_path)
    provision(layout, DevnetShape(nodes=4))
    genesis = layout.genesis_path.read_bytes()
    with pytest.raises(DevnetSetupError, match=problem):
        provision(layout, shape)
    assert layout.genesis_path.read_bytes() == genesis


def test_a_missing_or_foreign_signer_key_of_an_existing_chain_is_refused(tmp_path: Path) -> None:
    layout = DevnetLayout(tmp_path)
    provision(layout, DevnetShape(nodes=2))
    key = layout.signer_key_path(1).read_text()
    layout.signer_key_path(1).unlink()
    with pytest.raises(DevnetSetupError, match=r"signer\.key: missing, but .* lists validator"):
        provision(layout, DevnetShape())
    layout.signer_key_path(1).write_text(layout.signer_key_path(0).read_text())
    with pytest.raises(DevnetSetupError, match=r"lists validator 0x[0-9a-f]{40} for node 1"):
        provision(layout, DevnetShape())
    layout.signer_key_path(1).write_text(key)
    assert provision(layout, DevnetShape()).created == ()


def test_a_lost_node_key_is_recreated_but_a_damaged_one_is_reported(tmp_path: Path) -> None:
    layout = DevnetLayout(tmp_path)
    first = provision(layout, ONE_NODE)
    layout.node_key_path(0).unlink()
    second = provision(layout, ONE_NODE)
    assert second.created == (layout.node_key_path(0),)
    assert second.nodes[0].signer_address == first.nodes[0].signer_address
    layout.node_key_path(0).write_text("12" * 31)
    with pytest.raises(DevnetSetupError, match=r"node\.key: node key has 31 bytes"):
        provision(layout, ONE_NODE)


def test_keys_left_by_an_interrupted_first_run_become_the_validators(tmp_path: Path) -> None:
    layout = DevnetLayout(tmp_path)
    layout.node_dir(0).mkdir(parents=True)
    layout.signer_key_path(0).write_text(HARDHAT_KEY_0.hex())
    devnet = provision(layout, DevnetShape(nodes=2))
    assert devnet.nodes[0].signer_address == "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266"
    assert layout.signer_key_path(0) not in devnet.created


def test_a_genesis_without_validators_is_refused(tmp_path: Path) -> None:
    layout = DevnetLayout(tmp_path)
    devnet_genesis().save(layout.genesis_path)
    with pytest.raises(DevnetSetupError, match=r"lists no validators .* to start a new chain"):
        provision(layout, ONE_NODE)


@pytest.mark.parametrize(("arguments", "problem"), [
    ({"nodes": 0}, "--nodes 0: a devnet needs at least one node"),
    ({"nodes": 3, "stakes": (1, 2)}, "--stakes 1,2: 2 stakes for --nodes 3"),
    ({"stakes": (1, 0)}, "--stakes 1,0: every stake must be a positive integer"),
    ({"epoch_length": 0}, "--epoch-length 0: must be at least 1"),
])
def test_impossible_shapes_are_refused(arguments: dict[str, object], problem: str) -> None:
    with pytest.raises(DevnetSetupError, match=problem):
        DevnetShape(**arguments)  # type: ignore[arg-type]


def test_parse_stakes() -> None:
    assert parse_stakes("100, 200,3") == (100, 200, 3)
    for text, entry in (("1,,2", "''"), ("1,-2", "'-2'"), ("abc", "'abc'"), ("0", "'0'")):
        with pytest.raises(DevnetSetupError, match=f"{entry} is not a positive integer"):
            parse_stakes(text)


def test_every_node_peers_with_every_other_on_its_own_ports() -> None:
    plan = plan_addresses(3, 9000)
    assert plan == (
        NodeAddresses(0, 9000, 9100, (("127.0.0.1", 9101), ("127.0.0.1", 9102))),
        NodeAddresses(1, 9001, 9101, (("127.0.0.1", 9100), ("127.0.0.1", 9102))),
        NodeAddresses(2, 9002, 9102, (("127.0.0.1", 9100), ("127.0.0.1", 9101))),
    )
    assert plan[1].p2p_address == "127.0.0.1:9101"
    assert plan_addresses(1, 9000, 20000)[0].peers == ()
    assert plan_addresses(2, 9000, 20000)[1].p2p_port == 20001


@pytest.mark.parametrize(("nodes", "base", "p2p_base", "problem"), [
    (4, 9000, 9002, "p2p ports 9002..9005 overlap the JSON-RPC ports 9000..9003"),
    (4, 65533, 1000, "--base-port 65533: node ports 65533..65536 must lie within"),
    (2, 9000, 65535, "--p2p-base-port 65535: node ports 65535..65536"),
    (1, 65500, None, "--p2p-base-port 65600"),
    (0, 9000, None, "--nodes 0"),
])
def test_impossible_port_plans_are_refused(nodes: int, base: int, p2p_base: int | None,
                                           problem: str) -> None:
    with pytest.raises(TopologyError, match=problem):
        plan_addresses(nodes, base, p2p_base)


def test_signer_address_matches_the_known_dev_account() -> None:
    assert signer_address(HARDHAT_KEY_0) == "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266"


@pytest.mark.parametrize(("content", "problem"), [
    ("zz" * 32, "signer key is not hex"),
    ("ab" * 31, "signer key has 31 bytes, expected 32"),
    ("00" * 32, "not a valid secp256k1 key"),
    ("ff" * 32, "not a valid secp256k1 key"),
])
def test_broken_signer_keys_are_refused(tmp_path: Path, content: str, problem: str) -> None:
    path = tmp_path / "signer.key"
    path.write_text(content)
    with pytest.raises(DevnetSetupError, match=problem):
        load_signer_key(path)


def test_signer_key_with_0x_prefix_is_accepted(tmp_path: Path) -> None:
    path = tmp_path / "signer.key"
    path.write_text("  0x" + HARDHAT_KEY_0.hex() + "\n")
    assert load_signer_key(path) == HARDHAT_KEY_0


def test_a_damaged_genesis_is_reported_and_kept(tmp_path: Path) -> None:
    layout = DevnetLayout(tmp_path)
    layout.genesis_path.write_text("{not json")
    with pytest.raises(DevnetSetupError, match="not valid JSON"):
        provision(layout, ONE_NODE)
    layout.genesis_path.write_text('{"alloc": {}}')
    with pytest.raises(DevnetSetupError, match="missing key 'chainId'"):
        provision(layout, ONE_NODE)
    assert layout.genesis_path.read_text() == '{"alloc": {}}'


def test_manifest_document_and_atomic_write(tmp_path: Path) -> None:
    nodes = [NodeEntry(1, 200, 8546, Path("/d/node-1"), "0xB", 8646, 50, "0xD"),
             NodeEntry(0, 100, 8545, Path("/d/node-0"), "0xA", 8645, 100, "0xC")]
    document = manifest_document(77077, Path("/d/genesis.json"), nodes)
    assert document == {
        "chainId": 77077,
        "genesis": "/d/genesis.json",
        "nodes": [
            {"index": 0, "pid": 100, "rpc": "http://127.0.0.1:8545", "ws": "ws://127.0.0.1:8545",
             "dataDir": "/d/node-0", "signer": "0xA", "stake": 100, "p2p": "127.0.0.1:8645",
             "p2pPort": 8645, "peerId": "0xC"},
            {"index": 1, "pid": 200, "rpc": "http://127.0.0.1:8546", "ws": "ws://127.0.0.1:8546",
             "dataDir": "/d/node-1", "signer": "0xB", "stake": 50, "p2p": "127.0.0.1:8646",
             "p2pPort": 8646, "peerId": "0xD"},
        ],
    }
    path = tmp_path / "devnet.json"
    write_manifest(path, document)
    assert json.loads(path.read_text()) == document
    assert [entry.name for entry in tmp_path.iterdir()] == ["devnet.json"]


def test_restart_delay_doubles_up_to_a_cap_and_resets_after_stable_uptime() -> None:
    policy = RestartPolicy(first_delay=1.0, max_delay=8.0, stable_after=60.0)
    streak = 0
    delays = []
    for _ in range(6):
        streak = policy.next_streak(streak, uptime=2.0)
        delays.append(policy.delay(streak))
    assert delays == [1.0, 2.0, 4.0, 8.0, 8.0, 8.0]
    assert policy.next_streak(streak, uptime=61.0) == 1
    assert policy.delay(0) == 0.0


def test_port_probe_sees_a_listener_and_its_release() -> None:
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    port = listener.getsockname()[1]
    assert not port_is_free("127.0.0.1", port)
    listener.close()
    assert port_is_free("127.0.0.1", port)


def test_readiness_probe_of_a_silent_port_is_none() -> None:
    assert block_number(f"http://127.0.0.1:{free_port()}", timeout=0.5) is None
