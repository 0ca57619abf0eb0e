"""``ordo init`` writes files ``ordo node --config`` runs from; every mistake in the file is one
line naming the key, the bad value and what is allowed."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import tomllib
import types
from pathlib import Path

import click
import pytest
from click.testing import CliRunner
from eth_account import Account

from ordo.cli import main
from ordo.config.config_file import config_keys, read_config_file
from ordo.config.node_config import NodeConfig
from ordo.core.genesis import Genesis, devnet_genesis, predeploy_alloc
from ordo.devnet.ports import free_port_block
from tests.e2e.targets import REPO_ROOT, rpc_request, stop_process_group, wait_for_rpc

SIGNER_KEY = bytes(range(1, 33))
SIGNER = Account.from_key(SIGNER_KEY).address


def ordo(*arguments: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(arguments))
    return result.exit_code, result.stdout, result.stderr


def signer_key_file(directory: Path) -> Path:
    path = directory / "signer.key"
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    os.write(descriptor, (SIGNER_KEY.hex() + "\n").encode())
    os.close(descriptor)
    return path


def test_init_writes_a_commented_config_and_a_genesis(tmp_path: Path) -> None:
    network = tmp_path / "net"
    code, out, err = ordo("init", "--dir", str(network), "--chain-id", "4242", "--validators",
                          f"{SIGNER}:100,0x{'22' * 20}:50", "--epoch-length", "30",
                          "--l1-rpc", "http://127.0.0.1:8546", "--locking-pool",
                          "0x" + "33" * 20, "--rpc-port", "9000")
    assert code == 0, err
    assert f"wrote {network / 'config.toml'} and {network / 'genesis.json'}" in out
    text = (network / "config.toml").read_text()
    document = tomllib.loads(text)
    assert document["node"] == {"data_dir": "data", "genesis": "genesis.json",
                                "rpc_port": 9000, "l1_rpc": "http://127.0.0.1:8546"}
    assert document["stake"] == {"locking_pool": "0x" + "33" * 20}
    for key in config_keys():  # every key is explained, with what is allowed and its default
        line = next(index for index, line in enumerate(text.splitlines())
                    if line.startswith((f"{key.name} =", f"# {key.name} =")))
        assert text.splitlines()[line - 1].startswith("# Allowed: ")
        assert "Default: " in text.splitlines()[line - 1]
    settings = read_config_file(network / "config.toml")
    assert settings["genesis_path"] == network / "genesis.json"
    assert settings["data_dir"] == network / "data"
    genesis = Genesis.load(network / "genesis.json")
    assert genesis.chain_id == 4242
    assert genesis.consensus.epoch_length == 30
    assert [(f"0x{v.address.hex()}", v.stake) for v in genesis.validators] == [
        (SIGNER.lower(), 100), ("0x" + "22" * 20, 50)]
    assert genesis.alloc == predeploy_alloc(), "no funded accounts, only the predeploys"


def test_init_refuses_to_overwrite_without_force(tmp_path: Path) -> None:
    assert ordo("init", "--dir", str(tmp_path), "--chain-id", "5")[0] == 0
    code, _, err = ordo("init", "--dir", str(tmp_path), "--chain-id", "6")
    assert code == 2
    assert err == (f"error: dir: {tmp_path / 'config.toml'} and {tmp_path / 'genesis.json'} "
                   "already exist; allowed is a directory without them, or --force to "
                   "overwrite\n")
    assert Genesis.load(tmp_path / "genesis.json").chain_id == 5
    assert ordo("init", "--dir", str(tmp_path), "--chain-id", "6", "--force")[0] == 0
    assert Genesis.load(tmp_path / "genesis.json").chain_id == 6


@pytest.mark.parametrize(("arguments", "message"), [
    (["--validators", "0x1234:5"], "validators[0]: '0x1234' is not allowed; use a 0x-prefixed "
                                   "20-byte hex address"),
    (["--validators", f"{SIGNER}"], f"validators[0]: '{SIGNER}' is not allowed; use ADDR:STAKE"),
    (["--validators", f"{SIGNER}:0"], "validators[0]: stake '0' is not allowed; use a positive "
                                      "integer"),
    (["--validators", f"{SIGNER}:1,{SIGNER}:2"], f"validators[1]: {SIGNER.lower()} is listed "
                                                 "twice"),
    (["--chain-id", "0"], "chain_id: 0 is not allowed; use 1 to 2^64-1"),
    (["--epoch-length", "0"], "epoch_length: 0 is not allowed; use a positive number"),
    (["--l1-rpc", "ws://x"], "l1_rpc: 'ws://x' is not allowed; use an http:// or https:// URL"),
    (["--locking-pool", "0x12"], "locking_pool: '0x12' is not allowed; use a 0x-prefixed "
                                 "20-byte hex address"),
    (["--rpc-port", "0"], "rpc_port: 0 is not allowed; use a TCP port from 1 to 65535"),
])
def test_init_option_errors_are_one_line(tmp_path: Path, arguments: list[str],
                                         message: str) -> None:
    code, _, err = ordo("init", "--dir", str(tmp_path / "net"), *arguments)
    assert code == 2
    assert err.startswith("error: ") and message in err and err.count("\n") == 1
    assert not (tmp_path / "net").exists()


def test_a_node_starts_from_init_output_and_flags_override_the_file(tmp_path: Path) -> None:
    rpc_port = free_port_block(3)
    p2p_port, file_port = rpc_port + 1, rpc_port + 2
    assert ordo("init", "--dir", str(tmp_path), "--chain-id", "4243", "--validators",
                f"{SIGNER}:1", "--signer-key", str(signer_key_file(tmp_path)),
                "--rpc-port", str(file_port), "--p2p-port", str(p2p_port))[0] == 0
    log_path = tmp_path / "node.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "ordo", "node", "--config", str(tmp_path / "config.toml"),
             "--rpc-port", str(rpc_port)],
            stdout=log, stderr=subprocess.STDOUT, start_new_session=True, cwd=REPO_ROOT)
    try:
        url = f"http://127.0.0.1:{rpc_port}"
        wait_for_rpc(url, time.monotonic() + 60, process)
        assert int(rpc_request(url, "eth_chainId", []), 16) == 4243
        status = rpc_request(url, "ordo_status", [])
        assert status["role"] == "validator" and status["signer"].lower() == SIGNER.lower()
    finally:
        stop_process_group(process)
    assert (tmp_path / "data").is_dir(), log_path.read_text()


@pytest.fixture
def captured_config(monkeypatch: pytest.MonkeyPatch) -> list[NodeConfig]:
    """The NodeConfig ``ordo node`` would run, without running a node."""
    seen: list[NodeConfig] = []

    async def run_node(config: NodeConfig) -> None:
        seen.append(config)

    monkeypatch.setitem(sys.modules, "ordo.node.runner",
                        types.SimpleNamespace(run_node=run_node))
    return seen


def write_config(directory: Path, body: str) -> Path:
    devnet_genesis().save(directory / "genesis.json")
    path = directory / "config.toml"
    path.write_text(body)
    return path


def test_command_line_options_win_over_the_file(tmp_path: Path,
                                                captured_config: list[NodeConfig]) -> None:
    path = write_config(tmp_path, f"""
[node]
data_dir = "chain"
genesis = "genesis.json"
rpc_port = 1111
block_time = 0.5
heartbeat_interval = 7
quiet_pending = 0
fee_recipient = "0x{'44' * 20}"
l1_rpc = "http://127.0.0.1:9"
log_format = "json"
rpc_cors_origins = "https://app.example"
[p2p]
port = 2222
peers = ["10.0.0.2:30303", "10.0.0.3:30304"]
[stake]
locking_pool = "0x{'55' * 20}"
""")
    code, _, err = ordo("node", "--config", str(path), "--rpc-port", "3333", "--peer",
                        "10.0.0.9:1")
    assert code == 0, err
    [config] = captured_config
    assert config.rpc_port == 3333 and config.p2p_port == 2222
    assert config.peers == (("10.0.0.9", 1),)
    assert config.data_dir == tmp_path / "chain"
    assert config.genesis_path == tmp_path / "genesis.json"
    assert (config.block_time, config.heartbeat_interval) == (0.5, 7.0)
    assert config.quiet_pending == 0
    assert config.fee_recipient == bytes.fromhex("44" * 20)
    assert config.l1_rpc == "http://127.0.0.1:9"
    assert config.rpc_cors_origins == "https://app.example"


NODE_HEAD = '[node]\ndata_dir = "d"\ngenesis = "genesis.json"\n'


@pytest.mark.parametrize(("body", "message"), [
    (NODE_HEAD + "rpc_prot = 1\n",
     "unknown key 'rpc_prot' in [node]; allowed: data_dir, genesis, rpc_host, rpc_port, "
     "rpc_cors_origins, block_time, heartbeat_interval, quiet_pending, fee_recipient, "
     "signer_key, "
     "password_file, password_env, metrics_port, log_level, log_format, engine, shadow_check, "
     "l1_rpc, batch_takeover"),
    (NODE_HEAD + "batch_takeover = 0.5\n",
     "[node] batch_takeover: 0.5 is not allowed; use seconds between 1 and 3600"),
    (NODE_HEAD + "[p2p]\nprt = 1\n",
     "unknown key 'prt' in [p2p]; allowed: host, port, peers, node_key, allowed_peers"),
    ("[nodes]\nrpc_port = 1\n", "unknown section [nodes]; allowed: [node], [p2p], [stake]"),
    ("node = 5\n", "node = 5 is not allowed; [node] must be a table of keys"),
    (NODE_HEAD + "rpc_port = 70000\n",
     "[node] rpc_port: 70000 is not allowed; use a TCP port from 1 to 65535"),
    (NODE_HEAD + 'rpc_port = "8545"\n',
     "[node] rpc_port: '8545' is not allowed; use a TCP port from 1 to 65535"),
    (NODE_HEAD + "rpc_host = \"\"\n",
     "[node] rpc_host: '' is not allowed; use a non-empty string"),
    (NODE_HEAD + 'rpc_cors_origins = "app.example"\n',
     "[node] rpc_cors_origins: cors origin 'app.example': allowed is '*' or "
     "scheme://host[:port] with scheme http or https and no path"),
    (NODE_HEAD + "rpc_cors_origins = [\"*\"]\n",
     "[node] rpc_cors_origins: ['*'] is not allowed; use a comma-separated string of origins, "
     "or '*'"),
    (NODE_HEAD + "block_time = 0\n",
     "[node] block_time: 0 is not allowed; use seconds between 0.01 and 60"),
    (NODE_HEAD + "heartbeat_interval = true\n",
     "[node] heartbeat_interval: True is not allowed; use seconds between 0.01 and 3600"),
    (NODE_HEAD + 'fee_recipient = "0x12"\n',
     "[node] fee_recipient: '0x12' is not allowed; use a 0x-prefixed 20-byte hex address"),
    (NODE_HEAD + 'log_level = "LOUD"\n',
     "[node] log_level: 'LOUD' is not allowed; use one of DEBUG, INFO, WARNING, ERROR"),
    (NODE_HEAD + 'log_format = "xml"\n',
     "[node] log_format: 'xml' is not allowed; use one of text, json"),
    (NODE_HEAD + 'l1_rpc = "ws://l1"\n',
     "[node] l1_rpc: 'ws://l1' is not allowed; use an http:// or https:// URL"),
    (NODE_HEAD + 'password_env = "NOT-A-NAME"\n',
     "[node] password_env: 'NOT-A-NAME' is not allowed; use an environment variable name "
     "(letters, digits, _)"),
    (NODE_HEAD + 'password_env = "P"\npassword_file = "p.txt"\n',
     "[node] password_file and password_env are both set; allowed is one of them"),
    (NODE_HEAD + "[p2p]\npeers = \"10.0.0.2:30303\"\n",
     "[p2p] peers: '10.0.0.2:30303' is not allowed; use a list of \"host:port\" strings, "
     "e.g. [\"10.0.0.2:30303\"]"),
    (NODE_HEAD + "[p2p]\npeers = [\"10.0.0.2\"]\n",
     "[p2p] peers[0]: '10.0.0.2' is not allowed; use host:port, e.g. 127.0.0.1:30303"),
    (NODE_HEAD + "[stake]\nlocking_pool = \"pool\"\n",
     "[stake] locking_pool: 'pool' is not allowed; use a 0x-prefixed 20-byte hex address"),
])
def test_every_config_file_error_names_key_value_and_what_is_allowed(
        tmp_path: Path, captured_config: list[NodeConfig], body: str, message: str) -> None:
    path = write_config(tmp_path, body)
    code, _, err = ordo("node", "--config", str(path))
    assert (code, err) == (2, f"error: {path}: {message}\n")
    assert captured_config == []


def test_a_toml_syntax_error_names_the_line(tmp_path: Path,
                                            captured_config: list[NodeConfig]) -> None:
    path = write_config(tmp_path, NODE_HEAD + "rpc_port = \n")
    code, _, err = ordo("node", "--config", str(path))
    assert (code, err) == (2, f"error: config: {path} is not valid TOML (Invalid value (at "
                              "line 4, column 12))\n")


@pytest.mark.parametrize(("body", "message"), [
    ('[node]\ngenesis = "genesis.json"\n',
     "data_dir: not given; pass --data-dir or set data_dir in [node] of --config FILE"),
    ('[node]\ndata_dir = "d"\n',
     "genesis: not given; pass --genesis or set genesis in [node] of --config FILE"),
    (NODE_HEAD + "rpc_port = 9000\nmetrics_port = 9000\n",
     "metrics_port: 9000 is the rpc_port; allowed is any other free TCP port"),
    (NODE_HEAD + "quiet_pending = 20000\n",
     "quiet_pending: 20000 is not allowed; use a number of transactions from 0 to 10000"),
    (NODE_HEAD + "block_time = 3\nheartbeat_interval = 2.5\n",
     "heartbeat_interval: 2.5 is not allowed; use seconds between block_time and 3600"),
    ('[node]\ndata_dir = "d"\ngenesis = "missing.json"\n',
     "genesis: {dir}/missing.json does not exist"),
    (NODE_HEAD + 'signer_key = "nokey"\n',
     "signer_key: {dir}/nokey does not exist or is not a file"),
])
def test_errors_found_after_merging_name_the_key(
        tmp_path: Path, captured_config: list[NodeConfig], body: str, message: str) -> None:
    path = write_config(tmp_path, body)
    code, _, err = ordo("node", "--config", str(path))
    assert (code, err) == (2, f"error: {message.format(dir=tmp_path)}\n")


@pytest.mark.parametrize(("target", "message"), [
    ("missing.toml", "config: {path} does not exist"),
    (".", "config: {path} is a directory, not a TOML file"),
])
def test_an_unreadable_config_file_is_one_line(tmp_path: Path, target: str,
                                               message: str) -> None:
    path = tmp_path / target
    code, _, err = ordo("node", "--config", str(path))
    assert (code, err) == (2, f"error: {message.format(path=path)}\n")


def test_the_template_documents_every_key_in_json_readable_defaults() -> None:
    for key in config_keys():
        assert key.help and key.allowed, key
        if key.default is not None:
            json.dumps(key.default)


def _commands(group: click.Group, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    found = [prefix]
    for name, command in sorted(group.commands.items()):
        if isinstance(command, click.Group):
            found += _commands(command, (*prefix, name))
        else:
            found.append((*prefix, name))
    return found


@pytest.mark.parametrize("command", _commands(main), ids=" ".join)
def test_help_everywhere(command: tuple[str, ...]) -> None:
    code, out, err = ordo(*command, "--help")
    assert (code, err) == (0, "")
    assert out.startswith("Usage: ") and "Show this message and exit." in out
