from __future__ import annotations

import json
import socket
import stat
from pathlib import Path

import pytest

from ordo.core.genesis import Genesis, devnet_genesis
from ordo.devnet.layout import DevnetLayout
from ordo.devnet.manifest import NodeEntry, manifest_document, write_manifest
from ordo.devnet.ports import free_port, port_is_free
from ordo.devnet.provision import DevnetSetupError, load_signer_key, provision, signer_address
from ordo.devnet.readiness import block_number
from ordo.devnet.restart_policy import RestartPolicy

HARDHAT_KEY_0 = bytes.fromhex("ac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80")


def test_first_provision_creates_genesis_and_private_keys(tmp_path: Path) -> None:
    layout = DevnetLayout(tmp_path / "net")
    devnet = provision(layout, 1)
    assert devnet.created == (layout.genesis_path, layout.signer_key_path(0))
    assert Genesis.load(layout.genesis_path) == devnet_genesis()
    assert devnet.genesis.chain_id == 77077
    key_path = layout.signer_key_path(0)
    assert stat.S_IMODE(key_path.stat().st_mode) == 0o600
    key_text = key_path.read_text()
    assert len(key_text.strip()) == 64 and key_text.endswith("\n")
    assert devnet.nodes[0].signer_address == signer_address(load_signer_key(key_path))


def test_provision_reuses_everything_and_keys_differ_between_devnets(tmp_path: Path) -> None:
    first = provision(DevnetLayout(tmp_path / "a"), 1)
    again = provision(DevnetLayout(tmp_path / "a"), 1)
    other = provision(DevnetLayout(tmp_path / "b"), 1)
    assert again.created == ()
    assert again.nodes == first.nodes
    assert other.nodes[0].signer_address != first.nodes[0].signer_address


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
        provision(layout, 1)
    layout.genesis_path.write_text('{"alloc": {}}')
    with pytest.raises(DevnetSetupError, match="missing key 'chainId'"):
        provision(layout, 1)
    assert layout.genesis_path.read_text() == '{"alloc": {}}'


def test_manifest_document_and_atomic_write(tmp_path: Path) -> None:
    nodes = [NodeEntry(1, 200, 8546, Path("/d/node-1"), "0xB"),
             NodeEntry(0, 100, 8545, Path("/d/node-0"), "0xA")]
    document = manifest_document(77077, Path("/d/genesis.json"), nodes)
    assert document == {
        "chainId": 77077,
        "genesis": "/d/genesis.json",
        "nodes": [
            {"index": 0, "pid": 100, "rpc": "http://127.0.0.1:8545", "ws": "ws://127.0.0.1:8545",
             "dataDir": "/d/node-0", "signer": "0xA"},
            {"index": 1, "pid": 200, "rpc": "http://127.0.0.1:8546", "ws": "ws://127.0.0.1:8546",
             "dataDir": "/d/node-1", "signer": "0xB"},
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
