"""The ``ordo`` command line: clean one-line errors, and signal-driven shutdown of the node."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import types
from pathlib import Path

import pytest
from click.testing import CliRunner

from ordo.cli import P2pOptions, build_node_config, main, run_node_until_signalled
from ordo.config.node_config import ConfigError, NodeConfig
from ordo.core.genesis import devnet_genesis


@pytest.fixture
def genesis_file(tmp_path: Path) -> Path:
    path = tmp_path / "genesis.json"
    devnet_genesis().save(path)
    return path


def run_cli(*arguments: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(arguments))
    return result.exit_code, result.output


@pytest.mark.parametrize(("extra", "message"), [
    (["--rpc-port", "70000"], "rpc_port: 70000 is not allowed"),
    (["--block-time", "0"], "block_time: 0.0 is not allowed"),
    (["--fee-recipient", "0x1234"], "fee_recipient: '0x1234' has 2 bytes; an address has 20"),
    (["--fee-recipient", "nothex"], "fee_recipient: 'nothex' is not a hex address"),
    (["--signer-key", "/nonexistent/key"], "signer_key: /nonexistent/key does not exist"),
    (["--p2p-port", "0"], "p2p_port: 0 is not allowed"),
    (["--p2p-host", " "], "p2p_host: must not be empty"),
    (["--peer", "127.0.0.1"], "peer: '127.0.0.1' is not allowed; use host:port"),
    (["--peer", "h:99999"], "peer: 99999 is not allowed"),
    (["--p2p-port", "4000", "--peer", "127.0.0.1:4000"],
     "peer: 127.0.0.1:4000 is this node's own p2p address"),
    (["--node-key", "/nonexistent/dir/node.key"], "node_key: /nonexistent/dir/node.key does not "
                                                  "exist and its directory"),
    (["--node-key", "/"], "node_key: / is not a file"),
])
def test_node_config_errors_are_one_line_with_exit_code_2(
        tmp_path: Path, genesis_file: Path, extra: list[str], message: str) -> None:
    code, output = run_cli("node", "--data-dir", str(tmp_path / "d"),
                           "--genesis", str(genesis_file), *extra)
    assert code == 2
    assert output.startswith("error: ") and message in output
    assert output.count("\n") == 1 and "Traceback" not in output


@pytest.mark.parametrize(("content", "message"), [
    (None, "does not exist"),
    ("{oops", "is not valid JSON"),
    ('{"chainId": "x"}', "invalid value"),
])
def test_bad_genesis_files_are_refused(tmp_path: Path, content: str | None, message: str) -> None:
    path = tmp_path / "genesis.json"
    if content is not None:
        path.write_text(content)
    with pytest.raises(ConfigError, match=message):
        build_node_config(tmp_path / "d", path, "127.0.0.1", 8545, None, None, None)


def test_node_config_carries_every_option(tmp_path: Path, genesis_file: Path) -> None:
    key = tmp_path / "signer.key"
    key.write_text("11" * 32)
    config = build_node_config(tmp_path / "d", genesis_file, "0.0.0.0", 9000, 5.0, key,
                               "0x" + "ab" * 20)
    assert config == NodeConfig(data_dir=tmp_path / "d", genesis_path=genesis_file,
                                rpc_host="0.0.0.0", rpc_port=9000, block_time=5.0,
                                heartbeat_interval=5.0, fee_recipient=bytes.fromhex("ab" * 20),
                                signer_key_path=key)


def test_a_damaged_node_key_is_one_line_with_exit_code_2(
        tmp_path: Path, genesis_file: Path) -> None:
    key = tmp_path / "node.key"
    key.write_text("xyz\n")
    code, output = run_cli("node", "--data-dir", str(tmp_path / "d"),
                           "--genesis", str(genesis_file), "--node-key", str(key))
    assert code == 2
    assert output == f"error: node_key: {key}: node key is not hex\n"


def test_node_config_carries_the_p2p_options(tmp_path: Path, genesis_file: Path) -> None:
    key = tmp_path / "node.key"
    key.write_text("22" * 32)
    p2p = P2pOptions("0.0.0.0", 4000, ("10.0.0.2:4000", "peer.example:4001", "10.0.0.2:4000"),
                     key)
    config = build_node_config(tmp_path / "d", genesis_file, "127.0.0.1", 9000, None, None, None,
                               p2p)
    assert (config.p2p_host, config.p2p_port, config.node_key_path) == ("0.0.0.0", 4000, key)
    assert config.peers == (("10.0.0.2", 4000), ("peer.example", 4001))
    missing = tmp_path / "new.key"  # the node creates it
    default = build_node_config(tmp_path / "d", genesis_file, "127.0.0.1", 9000, None, None,
                                None, P2pOptions(node_key_path=missing))
    assert (default.p2p_port, default.peers, default.node_key_path) == (30303, (), missing)


@pytest.mark.parametrize(("arguments", "message"), [
    (["--nodes", "0"], "--nodes 0: a devnet needs at least one node"),
    (["--nodes", "3", "--stakes", "100,100"], "--stakes 100,100: 2 stakes for --nodes 3"),
    (["--stakes", "100,x"], "'x' is not a positive integer"),
    (["--stakes", "100,0"], "'0' is not a positive integer"),
    (["--epoch-length", "0"], "--epoch-length 0: must be at least 1"),
    (["--base-port", "65536"], "must lie within 1..65535"),
    (["--nodes", "4", "--base-port", "9000", "--p2p-base-port", "9003"],
     "p2p ports 9003..9006 overlap the JSON-RPC ports 9000..9003"),
    (["--stakes", "100,100"], "--stakes: 100 is outside the locking pool's range; on an L1 "
                              "each stake is whole governance tokens from 20,000 to 100,000"),
    (["--nodes", "10"], "--nodes 10: a devnet on an L1 stakes from dev accounts 1..9"),
    (["--l1", "none", "--l1-rpc", "http://127.0.0.1:1"], "--l1 none: --l1-rpc needs an L1"),
    (["--l1", "none", "--l1-port", "9000"], "--l1 none: --l1-port needs an L1"),
    (["--l1-rpc", "ftp://host"], "--l1-rpc 'ftp://host': use an http:// or https:// URL"),
    (["--l1-deployer-key-env", "KEY"], "--l1-deployer-key-env: only with --l1-rpc"),
    (["--l1-rpc", "http://127.0.0.1:1", "--l1-port", "9000"], "--l1-port: only for the dev L1"),
    (["--l1-rpc", "http://127.0.0.1:1", "--l1-deployer-key-env", "ORDO_TEST_NO_SUCH_VARIABLE"],
     "--l1-deployer-key-env ORDO_TEST_NO_SUCH_VARIABLE: the environment variable is not set"),
    (["--l1-rpc", "http://127.0.0.1:1", "--l1-deployer-key-file", "/nonexistent/key"],
     "--l1-deployer-key-file /nonexistent/key: cannot read L1 deployer key"),
    (["--l1-rpc", "http://127.0.0.1:1", "--l1-deployer-key-env", "K", "--l1-deployer-key-file",
      "k"], "give one of them"),
    (["--nodes", "2", "--base-port", "9000", "--l1-port", "9001"],
     "--l1-port 9001: a node listens there"),
])
def test_devnet_option_errors_exit_2_before_touching_the_disk(
        tmp_path: Path, arguments: list[str], message: str) -> None:
    code, output = run_cli("devnet", *arguments, "--data-dir", str(tmp_path / "net"))
    assert code == 2
    assert "error:" in output and message in " ".join(output.split())
    assert "Traceback" not in output
    assert not (tmp_path / "net").exists()


def test_sigterm_cancels_the_node_which_cleans_up(
        genesis_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    events: list[str] = []

    async def run_node(config: NodeConfig) -> None:
        events.append(f"started on {config.rpc_port}")
        asyncio.get_running_loop().call_later(0.05, os.kill, os.getpid(), signal.SIGTERM)
        try:
            await asyncio.sleep(30)
        finally:
            events.append("cleaned up")

    monkeypatch.setitem(sys.modules, "ordo.node.runner",
                        types.SimpleNamespace(run_node=run_node))
    config = NodeConfig(data_dir=tmp_path, genesis_path=genesis_file, rpc_port=9999)
    assert run_node_until_signalled(config) == 0
    assert events == ["started on 9999", "cleaned up"]


def test_a_config_error_raised_by_the_node_exits_2(
        genesis_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    async def run_node(config: NodeConfig) -> None:
        raise ConfigError("signer_key: unreadable")

    monkeypatch.setitem(sys.modules, "ordo.node.runner",
                        types.SimpleNamespace(run_node=run_node))
    with pytest.raises(SystemExit) as exit_info:
        run_node_until_signalled(NodeConfig(data_dir=tmp_path, genesis_path=genesis_file))
    assert exit_info.value.code == 2


def test_a_port_in_use_is_one_line_with_exit_code_1(
        genesis_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    async def run_node(config: NodeConfig) -> None:
        raise OSError(98, f"error while attempting to bind on address ('127.0.0.1', "
                          f"{config.rpc_port}): address already in use")

    monkeypatch.setitem(sys.modules, "ordo.node.runner",
                        types.SimpleNamespace(run_node=run_node))
    with pytest.raises(SystemExit) as exit_info:
        run_node_until_signalled(NodeConfig(data_dir=tmp_path, genesis_path=genesis_file,
                                            rpc_port=8545))
    assert exit_info.value.code == 1
    error = capsys.readouterr().err
    assert error.startswith("error: ") and "8545): address already in use" in error
    assert error.count("\n") == 1


def test_python_dash_m_ordo_is_the_ordo_command() -> None:
    result = subprocess.run([sys.executable, "-m", "ordo", "--version"], capture_output=True,
                            text=True, timeout=60, check=True)
    assert result.stdout.strip() == "ordo, version 0.1.0"
