"""The devnet shell as an operator meets it: a real process, real signals, stand-in nodes."""

from __future__ import annotations

import json
import os
import signal
import socket
import stat
from collections.abc import Callable
from pathlib import Path

from ordo.core.genesis import Genesis
from ordo.devnet.ports import free_port_block
from ordo.devnet.provision import load_signer_key, signer_address
from ordo.devnet.readiness import block_number
from ordo.keys.key_file import read_key_file
from tests.devnet.devnet_harness import DevnetProcess, wait_for


def read_manifest(devnet: DevnetProcess) -> dict:  # type: ignore[type-arg]
    return json.loads((devnet.data_dir / "devnet.json").read_text())


def is_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def test_devnet_publishes_its_node_heals_a_crash_and_stops_on_sigint(
        start_devnet: Callable[..., DevnetProcess]) -> None:
    devnet = start_devnet()
    manifest_path = devnet.data_dir / "devnet.json"
    wait_for(manifest_path.exists)

    manifest = read_manifest(devnet)
    assert manifest["chainId"] == 77077
    assert manifest["genesis"] == str(devnet.data_dir.resolve() / "genesis.json")
    [node] = manifest["nodes"]
    node_dir = devnet.data_dir.resolve() / "node-0"
    key_path = node_dir / "signer.key"
    p2p_port = devnet.port + 100
    assert node == {
        "index": 0, "pid": node["pid"], "rpc": f"http://127.0.0.1:{devnet.port}",
        "ws": f"ws://127.0.0.1:{devnet.port}", "dataDir": str(node_dir),
        "signer": signer_address(load_signer_key(key_path)), "stake": 100,
        "p2p": f"127.0.0.1:{p2p_port}", "p2pPort": p2p_port,
        "peerId": signer_address(read_key_file(node_dir / "node.key")),
    }
    assert stat.S_IMODE(key_path.stat().st_mode) == 0o600
    argv = json.loads((node_dir / "stand-in-argv.json").read_text())
    assert "--peer" not in argv and argv[argv.index("--p2p-port") + 1] == str(p2p_port)
    assert block_number(node["rpc"]) is not None
    # The table and the accounts hint follow the manifest (printed, not written atomically).
    wait_for(lambda: "account 0:" in devnet.output)
    assert "signer address" in devnet.output

    first_pid = node["pid"]
    os.kill(first_pid, signal.SIGKILL)
    wait_for(lambda: read_manifest(devnet)["nodes"][0]["pid"] != first_pid)
    second_pid = read_manifest(devnet)["nodes"][0]["pid"]
    wait_for(lambda: block_number(node["rpc"]) is not None)
    wait_for(lambda: "serving JSON-RPC again" in devnet.output)
    assert f"node 0 (pid {first_pid}) exited unexpectedly with code -9" in devnet.output

    assert devnet.stop(signal.SIGINT) == 0
    assert not is_alive(second_pid)
    assert not manifest_path.exists()
    assert "node 0 stopped (exit code 0)" in devnet.output


def test_second_run_resumes_with_the_same_genesis_and_keys(
        start_devnet: Callable[..., DevnetProcess]) -> None:
    first = start_devnet()
    wait_for((first.data_dir / "devnet.json").exists)
    assert first.stop(signal.SIGTERM) == 0
    genesis = (first.data_dir / "genesis.json").read_bytes()
    key = (first.data_dir / "node-0" / "signer.key").read_bytes()
    signer = signer_address(load_signer_key(first.data_dir / "node-0" / "signer.key"))

    second = start_devnet(data_dir=first.data_dir)
    wait_for((second.data_dir / "devnet.json").exists)
    assert read_manifest(second)["nodes"][0]["signer"] == signer
    assert second.stop(signal.SIGTERM) == 0
    assert (first.data_dir / "genesis.json").read_bytes() == genesis
    assert (first.data_dir / "node-0" / "signer.key").read_bytes() == key
    assert "created" not in second.output


def test_refuses_a_port_in_use(start_devnet: Callable[..., DevnetProcess]) -> None:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        port = listener.getsockname()[1]
        devnet = start_devnet(port=port)
        assert devnet.process.wait(timeout=30) == 2
    assert f"port {port} on 127.0.0.1 is in use (needed by node 0's JSON-RPC)" in devnet.output
    assert "started" not in devnet.output


def test_refuses_a_second_devnet_on_the_same_data_dir(
        start_devnet: Callable[..., DevnetProcess]) -> None:
    first = start_devnet()
    wait_for((first.data_dir / "devnet.json").exists)
    second = start_devnet(data_dir=first.data_dir)
    assert second.process.wait(timeout=30) == 2
    assert f"another devnet (pid {first.process.pid}) is running" in second.output
    assert first.process.poll() is None
    assert first.stop() == 0


def test_a_node_that_dies_at_start_is_reported_with_its_log(
        start_devnet: Callable[..., DevnetProcess]) -> None:
    devnet = start_devnet(env={"STAND_IN_EXIT_CODE": "3"})
    assert devnet.process.wait(timeout=30) == 1
    assert "exited with code 3 before serving JSON-RPC" in devnet.output
    assert "stand-in: exiting as told" in devnet.output


def test_a_node_ignoring_sigterm_is_killed_after_the_grace_period(
        start_devnet: Callable[..., DevnetProcess]) -> None:
    devnet = start_devnet(env={"STAND_IN_IGNORE_SIGTERM": "1"})
    wait_for((devnet.data_dir / "devnet.json").exists)
    pid = read_manifest(devnet)["nodes"][0]["pid"]
    assert devnet.stop(signal.SIGINT) == 0
    assert "node 0 stopped (exit code -9)" in devnet.output
    assert not is_alive(pid)


def test_bad_key_file_is_reported_not_replaced(
        start_devnet: Callable[..., DevnetProcess], tmp_path: Path) -> None:
    data_dir = tmp_path / "broken"
    (data_dir / "node-0").mkdir(parents=True)
    (data_dir / "node-0" / "signer.key").write_text("not a key\n")
    devnet = start_devnet(data_dir=data_dir)
    assert devnet.process.wait(timeout=30) == 2
    assert "signer.key: signer key is not hex" in devnet.output
    assert (data_dir / "node-0" / "signer.key").read_text() == "not a key\n"


def test_four_nodes_get_their_ports_peers_and_stakes_and_resume_as_four(
        start_devnet: Callable[..., DevnetProcess]) -> None:
    p2p_base = free_port_block(4)
    devnet = start_devnet(options=("--nodes", "4", "--stakes", "10,20,30,40",
                                   "--p2p-base-port", str(p2p_base)))
    wait_for((devnet.data_dir / "devnet.json").exists)
    nodes = read_manifest(devnet)["nodes"]
    genesis = Genesis.load(devnet.data_dir / "genesis.json")
    assert [("0x" + v.address.hex(), v.stake) for v in genesis.validators] == [
        (node["signer"].lower(), node["stake"]) for node in nodes]
    assert [node["stake"] for node in nodes] == [10, 20, 30, 40]
    for index, node in enumerate(nodes):
        assert node["rpc"] == f"http://127.0.0.1:{devnet.port + index}"
        assert (node["p2p"], node["p2pPort"]) == (f"127.0.0.1:{p2p_base + index}",
                                                  p2p_base + index)
        argv = json.loads((Path(node["dataDir"]) / "stand-in-argv.json").read_text())
        peers = [argv[i + 1] for i, word in enumerate(argv) if word == "--peer"]
        assert peers == [f"127.0.0.1:{p2p_base + other}" for other in range(4) if other != index]
        assert argv[argv.index("--node-key") + 1] == str(Path(node["dataDir"]) / "node.key")
        assert block_number(node["rpc"]) is not None
    assert str(p2p_base + 3) in devnet.output and "40" in devnet.output  # the table
    assert devnet.stop() == 0
    assert all(f"node {index} stopped (exit code 0)" in devnet.output for index in range(4))

    conflicting = start_devnet(data_dir=devnet.data_dir, options=("--nodes", "2"))
    assert conflicting.process.wait(timeout=30) == 2
    assert "--nodes 2:" in conflicting.output and "holds a 4-node devnet" in conflicting.output

    resumed = start_devnet(data_dir=devnet.data_dir,
                           options=("--p2p-base-port", str(p2p_base)))
    wait_for((resumed.data_dir / "devnet.json").exists)
    assert [node["signer"] for node in read_manifest(resumed)["nodes"]] == [
        node["signer"] for node in nodes]
    assert resumed.stop() == 0
    assert "created" not in resumed.output


def test_refuses_a_p2p_port_in_use(start_devnet: Callable[..., DevnetProcess]) -> None:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        port = listener.getsockname()[1]
        devnet = start_devnet(options=("--nodes", "2", "--p2p-base-port", str(port - 1)))
        assert devnet.process.wait(timeout=30) == 2
    assert f"port {port} on 127.0.0.1 is in use (needed by node 1's p2p)" in devnet.output
