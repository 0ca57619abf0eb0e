"""The ``ordo`` command: ``ordo node`` runs one node, ``ordo devnet`` a local network.

Operators meet Ordo here first, so every mistake they can make on the command line ends in one
line naming the option and what is allowed (exit code 2), never in a stack trace.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import logging
import signal
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn

import click
from click.core import ParameterSource
from rich.console import Console
from rich.table import Table

from ordo import __version__
from ordo.challenger.commands import challenger_command, dispute_group
from ordo.config.config_file import read_config_file
from ordo.config.node_config import (
    ConfigError,
    NodeConfig,
    check_port,
    parse_allowed_peers,
    parse_peer,
)
from ordo.core.native_loader import NativeUnavailable
from ordo.devnet.forge_command import forge_batch_command
from ordo.devnet.l1_choice import DEV_L1_PORT_OFFSET, L1ChoiceError, choose_l1
from ordo.devnet.launch import DevnetOptions, run_devnet
from ordo.devnet.provision import (
    DEFAULT_STAKE,
    DEVNET_EPOCH_LENGTH,
    DevnetSetupError,
    parse_stakes,
)
from ordo.execution.engine_choice import resolve_engine
from ordo.keys.commands import keys_group
from ordo.keys.key_file import KeyFileError, read_key_file
from ordo.keys.keystore import KeystoreError, is_keystore_file
from ordo.keys.password_source import PasswordError, PasswordSource
from ordo.keys.signer_key_file import check_key_file
from ordo.l1.rollup_deploy import (
    DEVNET_CHALLENGE_WINDOW,
    DEVNET_MAX_CLOCK_DURATION,
    DEVNET_SEQUENCER_TIMEOUT,
)
from ordo.metrics.json_log_lines import LogFormat, configure_logging
from ordo.operator.fees_command import fees_command
from ordo.operator.init_command import init_command
from ordo.operator.stake_commands import stake_group
from ordo.operator.status_rows import status_rows
from ordo.settlement.bridge_commands import bridge_group

EXIT_FAILED = 1
EXIT_CONFIG = 2
STATUS_TIMEOUT_S = 5.0
log = logging.getLogger("ordo.cli")


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="ordo")
def main() -> None:
    """Ordo: a decentralized sequencer network for an EVM-compatible Ethereum L2."""


@main.command()
@click.option("--config", "config_path", type=click.Path(path_type=Path), default=None,
              help="TOML configuration file (ordo init writes one); options given here "
                   "override its values.")
@click.option("--data-dir", type=click.Path(path_type=Path), default=None,
              help="Directory of this node's database (created if missing); required unless "
                   "--config sets it.")
@click.option("--genesis", "genesis_path", type=click.Path(path_type=Path), default=None,
              help="Genesis JSON file of the network; required unless --config sets it.")
@click.option("--rpc-host", default="127.0.0.1", show_default=True,
              help="Interface the JSON-RPC server listens on.")
@click.option("--rpc-port", default=8545, show_default=True, type=int,
              help="TCP port of JSON-RPC over HTTP and WebSocket.")
@click.option("--block-time", type=float, default=None,
              help="Minimum seconds between blocks while more than 16 transactions are "
                   "pending (fewer start a block at once).")
@click.option("--quiet-pending", type=click.IntRange(0, 10_000), default=None, metavar="N",
              help="At most N pending transactions start a block at once; 0: every block "
                   "waits --block-time, as geth's --dev.period [default: 16].")
@click.option("--signer-key", "signer_key_path", type=click.Path(path_type=Path), default=None,
              help="This node's sequencer signer key: an encrypted keystore (needs "
                   "--password-file or --password-env) or a raw hex file; owner-only mode.")
@click.option("--password-file", type=click.Path(path_type=Path), default=None,
              help="File whose first line unlocks a keystore --signer-key.")
@click.option("--password-env", metavar="NAME", default=None,
              help="Environment variable holding the password of a keystore --signer-key.")
@click.option("--metrics-port", type=int, default=None,
              help="Serve Prometheus /metrics on RPC_HOST:PORT [default: off].")
@click.option("--fee-recipient", default=None, help="Address credited with priority fees.")
@click.option("--p2p-host", default="127.0.0.1", show_default=True,
              help="Interface the peer-to-peer transport listens on.")
@click.option("--p2p-port", default=30303, show_default=True, type=int,
              help="TCP port of the peer-to-peer transport.")
@click.option("--peer", "peers", multiple=True, metavar="HOST:PORT",
              help="A static peer's p2p address; repeat for several.")
@click.option("--peer-allow", "peer_allow", multiple=True, metavar="KEY",
              help="Sentry restriction: admit only this peer (0x node address or public key), "
                   "inbound and outbound; repeat for the sequencer set's nodes and each "
                   "follower [default: any peer; config: [p2p] allowed_peers].")
@click.option("--node-key", "node_key_path", type=click.Path(path_type=Path), default=None,
              help="File holding this node's p2p identity key (hex); created if missing "
                   "[default: DATA_DIR/node.key].")
@click.option("--l1-rpc", "l1_rpc", metavar="URL", default=None,
              help="Ethereum (L1) JSON-RPC URL; required when the genesis names an L1 "
                   "locking pool (epoch sets and L1 origins are read from it).")
@click.option("--rpc-cors-origins", metavar="ORIGINS", default=None,
              help="Browser origins allowed to call the JSON-RPC server, comma-separated, or "
                   "'*'; empty: no web page [default: *].")
@click.option("--no-challenger", is_flag=True,
              help="Do not play the dispute game (by default a node with an L1 signer key "
                   "disputes wrong batch roots and defends right ones, bonding from that key).")
@click.option("--log-level", default="INFO", show_default=True,
              type=click.Choice(["DEBUG", "INFO", "WARNING", "ERROR"], case_sensitive=False))
@click.option("--log-format", default="text", show_default=True,
              type=click.Choice(["text", "json"]),
              help="text: readable lines; json: one JSON object per line.")
@click.option("--engine", default="auto", show_default=True,
              type=click.Choice(["auto", "native", "py-evm"]),
              help="Block executor: native (revm, built at install where cargo was present), "
                   "py-evm (the reference), auto: native where built.")
@click.option("--shadow-check", default=0, show_default=True, type=click.IntRange(min=0),
              metavar="N", help="Re-execute every Nth native block with py-evm and log any "
                                "difference at ERROR; 0: off.")
@click.pass_context
def node(ctx: click.Context, config_path: Path | None, data_dir: Path | None,
         genesis_path: Path | None, rpc_host: str, rpc_port: int,
         block_time: float | None, quiet_pending: int | None, signer_key_path: Path | None,
         password_file: Path | None, password_env: str | None, metrics_port: int | None,
         fee_recipient: str | None,
         p2p_host: str, p2p_port: int, peers: tuple[str, ...], peer_allow: tuple[str, ...],
         node_key_path: Path | None, l1_rpc: str | None, rpc_cors_origins: str | None,
         log_level: str, log_format: LogFormat, no_challenger: bool, engine: str,
         shadow_check: int) -> None:
    """Run one sequencer node until SIGINT or SIGTERM."""
    try:
        file_only: dict[str, Any] = {}
        if config_path is not None:
            merged, file_only = merge_config_file(ctx, read_config_file(config_path))
            (data_dir, genesis_path, rpc_host, rpc_port, block_time, signer_key_path,
             password_file, password_env, metrics_port, fee_recipient, p2p_host, p2p_port,
             peers, node_key_path, log_level, log_format) = (
                merged[name] for name in NODE_PARAMETERS)
        if data_dir is None or genesis_path is None:
            missing = "data_dir" if data_dir is None else "genesis"
            raise ConfigError(f"{missing}: not given; pass --{missing.replace('_', '-')} or "
                              f"set {missing} in [node] of --config FILE")
        configure_logging(log_level, log_format)
        config = build_node_config(data_dir, genesis_path, rpc_host, rpc_port, block_time,
                                   signer_key_path, fee_recipient,
                                   P2pOptions(p2p_host, p2p_port, peers, node_key_path))
        config = dataclasses.replace(config, password_file=password_file,
                                     password_env=password_env, metrics_port=metrics_port,
                                     engine=engine, shadow_check=shadow_check)
        config = dataclasses.replace(config, **file_only)
        check_engine(config.engine)
        if quiet_pending is not None:
            config = dataclasses.replace(config, quiet_pending=quiet_pending)
        if l1_rpc is not None:
            config = dataclasses.replace(config, l1_rpc=l1_rpc)
        if rpc_cors_origins is not None:
            config = dataclasses.replace(config, rpc_cors_origins=rpc_cors_origins)
        if no_challenger:
            config = dataclasses.replace(config, challenger=False)
        if peer_allow:
            config = dataclasses.replace(
                config, allowed_peers=parse_allowed_peers("peer_allow", peer_allow))
        check_node_key_files(config)
    except ConfigError as error:
        _fail(str(error), EXIT_CONFIG)
    sys.exit(run_node_until_signalled(config))


NODE_PARAMETERS = ("data_dir", "genesis_path", "rpc_host", "rpc_port", "block_time",
                   "signer_key_path", "password_file", "password_env", "metrics_port",
                   "fee_recipient", "p2p_host", "p2p_port", "peers", "node_key_path",
                   "log_level", "log_format")


def merge_config_file(ctx: click.Context, settings: dict[str, Any]
                      ) -> tuple[dict[str, Any], dict[str, Any]]:
    """(option values, NodeConfig fields only the file sets): an option typed on the command
    line (or from the environment) wins over the file, the file over the option's default."""
    merged = dict(ctx.params)
    file_only: dict[str, Any] = {}
    node_fields = {field.name for field in dataclasses.fields(NodeConfig)}
    for target, value in settings.items():
        typed = target in merged and ctx.get_parameter_source(target) in (
            ParameterSource.COMMANDLINE, ParameterSource.ENVIRONMENT)
        if target in NODE_PARAMETERS or (target in merged and target not in node_fields):
            if not typed:
                merged[target] = value
        elif target in node_fields and not typed:
            file_only[target] = value
    return merged, file_only


def check_engine(name: str) -> None:
    """Refuse an engine this machine cannot run before anything starts."""
    try:
        resolve_engine(name)
    except (NativeUnavailable, ValueError) as error:
        raise ConfigError(f"engine: {error}") from None


def check_node_key_files(config: NodeConfig) -> None:
    """Refuse key files others can read, and a keystore without a password source, before
    anything starts (the node runs unattended and never prompts)."""
    try:
        password = PasswordSource(config.password_file, config.password_env)
    except PasswordError as error:
        raise ConfigError(str(error)) from None
    node_key = config.node_key_path or config.data_dir / "node.key"
    checks = [("signer_key", config.signer_key_path, "signer key"),
              ("node_key", node_key if node_key.exists() else None, "node key")]
    for key, path, what in checks:
        if path is None:
            continue
        try:
            check_key_file(path, what, password)
        except KeystoreError as error:
            raise ConfigError(f"{key}: {error}") from None


@main.command()
@click.option("--nodes", type=int, default=None,
              help="Number of nodes, each a validator [default: 1 for a new data dir, what it "
                   "holds for an existing one].")
@click.option("--data-dir", default=Path("devnet-data"), show_default=True,
              type=click.Path(path_type=Path, file_okay=False),
              help="Directory of the devnet; a second run on it resumes the same chain.")
@click.option("--base-port", default=8545, show_default=True, type=int,
              help="JSON-RPC port of node 0; node i listens on base-port + i.")
@click.option("--p2p-base-port", type=int, default=None,
              help="p2p port of node 0; node i listens on it + i [default: base-port + 100].")
@click.option("--stakes", default=None, metavar="S0,S1,...",
              help="Stake of each node's validator, one positive integer per node: whole "
                   "governance tokens locked on the L1 (20,000 to 100,000; default 50,000 "
                   f"each), or with --l1 none a weight in the genesis [default: "
                   f"{DEFAULT_STAKE} each].")
@click.option("--epoch-length", type=int, default=None,
              help=f"Blocks per epoch (producer rotation) [default: {DEVNET_EPOCH_LENGTH}].")
@click.option("--block-time", type=float, default=None,
              help="Passed to every node (default: the node's own default).")
@click.option("--quiet-pending", type=click.IntRange(0, 10_000), default=None, metavar="N",
              help="Passed to every node: at most N pending transactions start a block at "
                   "once; 0: every block waits the block time [default: the node's own].")
@click.option("--engine", type=click.Choice(["auto", "native", "py-evm"]), default=None,
              help="Block executor of every node [default: the node's own, auto: native where "
                   "built, else py-evm].")
@click.option("--challenge-window", type=int, default=None, metavar="S",
              help="Seconds after a batch lands before withdrawals proved against it can be "
                   f"finalized [default: {DEVNET_CHALLENGE_WINDOW}].")
@click.option("--sequencer-timeout", type=int, default=None, metavar="S",
              help="Seconds without a signed batch before anyone may post a fallback batch "
                   f"(ordo bridge self-post) [default: {DEVNET_SEQUENCER_TIMEOUT}].")
@click.option("--dispute-clock", type=int, default=None, metavar="S",
              help="Seconds per side of the dispute game's chess clock (a new devnet on an "
                   f"L1) [default: {DEVNET_MAX_CLOCK_DURATION}].")
@click.option("--ready-timeout", default=120.0, show_default=True, type=float,
              help="Seconds to wait for each node to answer eth_blockNumber.")
@click.option("--l1", "l1_mode", default="dev", show_default=True,
              type=click.Choice(["dev", "none"]),
              help="dev: stake on the embedded Ethereum dev chain, run as a child; none: no "
                   "L1, the validators are written into the genesis.")
@click.option("--l1-rpc", metavar="URL", default=None,
              help="Stake on this Ethereum JSON-RPC endpoint (anvil, a testnet) instead of the "
                   "dev chain; a new devnet needs a funded deployer key.")
@click.option("--l1-port", type=int, default=None,
              help=f"JSON-RPC port of the dev L1 [default: base-port + {DEV_L1_PORT_OFFSET}].")
@click.option("--l1-deployer-key-file", type=click.Path(path_type=Path), default=None,
              help="Owner-only file with the hex private key that deploys and funds on "
                   "--l1-rpc.")
@click.option("--l1-deployer-key-env", metavar="NAME", default=None,
              help="Environment variable holding that hex private key instead.")
def devnet(nodes: int | None, data_dir: Path, base_port: int, p2p_base_port: int | None,
           stakes: str | None, epoch_length: int | None, block_time: float | None,
           quiet_pending: int | None, engine: str | None, challenge_window: int | None,
           sequencer_timeout: int | None,
           dispute_clock: int | None, ready_timeout: float, l1_mode: str,
           l1_rpc: str | None, l1_port: int | None,
           l1_deployer_key_file: Path | None, l1_deployer_key_env: str | None) -> None:
    """Start a local devnet and keep it running in the foreground (Ctrl-C stops it)."""
    try:
        parsed_stakes = None if stakes is None else parse_stakes(stakes)
        l1 = choose_l1(l1_mode, l1_rpc, l1_port, l1_deployer_key_file, l1_deployer_key_env)
    except (DevnetSetupError, L1ChoiceError) as error:
        _fail(str(error), EXIT_CONFIG)
    options = DevnetOptions(nodes=nodes, data_dir=data_dir, base_port=base_port,
                            p2p_base_port=p2p_base_port, stakes=parsed_stakes,
                            epoch_length=epoch_length, block_time=block_time,
                            quiet_pending=quiet_pending, engine=engine,
                            challenge_window=challenge_window,
                            sequencer_timeout=sequencer_timeout, ready_timeout=ready_timeout,
                            dispute_clock=dispute_clock, l1=l1)
    # Piped output (a log file, CI) gets lines wide enough for URLs and addresses to stay whole.
    console = Console() if sys.stdout.isatty() else Console(width=200)
    sys.exit(run_devnet(options, console))


@main.command()
@click.option("--rpc", "rpc_url", default="http://127.0.0.1:8545", show_default=True,
              help="JSON-RPC URL of the node to ask.")
@click.option("--json", "as_json", is_flag=True, help="Print ordo_status as JSON for scripts.")
def status(rpc_url: str, as_json: bool) -> None:
    """Show a node's height, finality, epoch, producer, round, peers, mempool and, on an
    L1-anchored network, its L1, this sequencer's lock, rewards and exit, and the last batch."""
    if not rpc_url.startswith(("http://", "https://")):
        _fail(f"rpc: {rpc_url!r} is not allowed; use an http:// or https:// URL", EXIT_CONFIG)
    try:
        answer = fetch_status(rpc_url)
    except StatusUnavailable as error:
        _fail(str(error), EXIT_FAILED)
    if as_json:
        click.echo(json.dumps(answer, indent=2))
        return
    console = Console() if sys.stdout.isatty() else Console(width=200)
    console.print(status_table(rpc_url, answer))


class StatusUnavailable(RuntimeError):
    """The node did not answer ordo_status; the message is one line for the operator."""


def fetch_status(rpc_url: str) -> dict[str, Any]:
    body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": "ordo_status", "params": []})
    request = urllib.request.Request(rpc_url, data=body.encode(), method="POST",
                                     headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=STATUS_TIMEOUT_S) as response:
            answer = json.loads(response.read())
    except urllib.error.HTTPError as error:
        raise StatusUnavailable(f"{rpc_url} answered HTTP {error.code}") from None
    except urllib.error.URLError as error:
        raise StatusUnavailable(f"cannot reach {rpc_url}: {error.reason}") from None
    except OSError as error:
        raise StatusUnavailable(f"cannot reach {rpc_url}: {error}") from None
    except ValueError:
        raise StatusUnavailable(f"{rpc_url} did not answer with JSON") from None
    if not isinstance(answer, dict):
        raise StatusUnavailable(f"{rpc_url} did not answer with a JSON-RPC object")
    if "error" in answer:
        raise StatusUnavailable(f"{rpc_url}: ordo_status failed: {answer['error']}")
    result = answer.get("result")
    if not isinstance(result, dict):
        raise StatusUnavailable(f"{rpc_url}: ordo_status returned no status object")
    return result


def status_table(rpc_url: str, answer: dict[str, Any]) -> Table:
    table = Table(title=f"ordo node at {rpc_url}", show_header=False)
    table.add_column("field", style="bold")
    table.add_column("value")
    for name, value in status_rows(answer, time.time()):
        table.add_row(name, value)
    return table


main.add_command(keys_group)
main.add_command(init_command)
main.add_command(fees_command)
main.add_command(stake_group)
main.add_command(bridge_group)
main.add_command(challenger_command)
main.add_command(dispute_group)
main.add_command(forge_batch_command)


@dataclass(frozen=True)
class P2pOptions:
    """The p2p options of ``ordo node`` as typed; build_node_config checks them."""

    host: str = "127.0.0.1"
    port: int = 30303
    peers: tuple[str, ...] = ()
    node_key_path: Path | None = None


def build_node_config(data_dir: Path, genesis_path: Path, rpc_host: str, rpc_port: int,
                      block_time: float | None, signer_key_path: Path | None,
                      fee_recipient: str | None, p2p: P2pOptions | None = None) -> NodeConfig:
    """Check what the node would only discover later (missing files, a bad genesis or address)
    and build the NodeConfig, which checks the rest; raises ConfigError."""
    p2p = p2p or P2pOptions()
    if data_dir.exists() and not data_dir.is_dir():
        raise ConfigError(f"data_dir: {data_dir} exists and is not a directory")
    _check_genesis(genesis_path)
    if signer_key_path is not None and not signer_key_path.is_file():
        raise ConfigError(f"signer_key: {signer_key_path} does not exist or is not a file")
    if not rpc_host.strip():
        raise ConfigError("rpc_host: must not be empty")
    if not p2p.host.strip():
        raise ConfigError("p2p_host: must not be empty")
    check_port("p2p_port", p2p.port)
    peers = tuple(parse_peer(text) for text in p2p.peers)
    for host, port in peers:
        if (host, port) == (p2p.host, p2p.port):
            raise ConfigError(f"peer: {host}:{port} is this node's own p2p address")
    if p2p.node_key_path is not None:
        _check_node_key(p2p.node_key_path)
    extra: dict[str, object] = {}
    if block_time is not None:
        extra["block_time"] = block_time
        # Keep the heartbeat at least one block time so a slower block time stays valid.
        extra["heartbeat_interval"] = max(NodeConfig.heartbeat_interval, block_time)
    if fee_recipient is not None:
        extra["fee_recipient"] = parse_address("fee_recipient", fee_recipient)
    return NodeConfig(data_dir=data_dir, genesis_path=genesis_path, rpc_host=rpc_host,
                      rpc_port=rpc_port, signer_key_path=signer_key_path, p2p_host=p2p.host,
                      p2p_port=p2p.port, peers=tuple(dict.fromkeys(peers)),
                      node_key_path=p2p.node_key_path, **extra)  # type: ignore[arg-type]


def _check_node_key(path: Path) -> None:
    """An existing key must be readable and valid; a missing one is created by the node, so only
    its directory has to exist."""
    if path.exists():
        if not path.is_file():
            raise ConfigError(f"node_key: {path} is not a file")
        if is_keystore_file(path):
            return  # opened with the password at start; check_node_key_files checks the rest
        try:
            read_key_file(path, "node key")
        except KeyFileError as error:
            raise ConfigError(f"node_key: {error}") from None
    elif not path.parent.is_dir():
        raise ConfigError(f"node_key: {path} does not exist and its directory {path.parent} "
                          "does not either")


def parse_address(key: str, text: str) -> bytes:
    digits = text[2:] if text.startswith(("0x", "0X")) else text
    try:
        address = bytes.fromhex(digits)
    except ValueError:
        raise ConfigError(f"{key}: {text!r} is not a hex address") from None
    if len(address) != 20:
        raise ConfigError(f"{key}: {text!r} has {len(address)} bytes; an address has 20")
    return address


def run_node_until_signalled(config: NodeConfig) -> int:
    """Run the node; SIGINT and SIGTERM cancel it so it can close its database and sockets.
    A node that finds L1 holds another chain exits non-zero with the reason: the next start
    adopts L1's chain (the devnet supervisor restarts it at once)."""
    from ordo.node.l1_chain_adoption import ChainAdoptionError, ChainReplacedOnL1
    from ordo.node.runner import run_node

    async def supervise() -> int:
        task = asyncio.create_task(run_node(config))
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, _cancel_with_log, task, signum)
        try:
            await task
        except asyncio.CancelledError:
            log.info("node stopped")
        return 0

    try:
        return asyncio.run(supervise())
    except ConfigError as error:
        _fail(str(error), EXIT_CONFIG)
    except OSError as error:  # e.g. the RPC port is taken: the message names the address
        _fail(str(error), EXIT_FAILED)
    except (ChainReplacedOnL1, ChainAdoptionError) as error:
        log.error("%s", error)
        return EXIT_FAILED
    except Exception:
        log.exception("node crashed")
        return EXIT_FAILED


def _cancel_with_log(task: asyncio.Task[None], signum: signal.Signals) -> None:
    if not task.done():
        log.info("received %s, stopping", signal.Signals(signum).name)
        task.cancel()


def _check_genesis(path: Path) -> None:
    from ordo.core.genesis import Genesis

    try:
        Genesis.load(path)
    except FileNotFoundError:
        raise ConfigError(f"genesis: {path} does not exist") from None
    except OSError as error:
        raise ConfigError(f"genesis: cannot read {path}: {error.strerror}") from None
    except json.JSONDecodeError as error:
        raise ConfigError(f"genesis: {path} is not valid JSON ({error.msg} at line "
                          f"{error.lineno})") from None
    except (ValueError, UnicodeDecodeError) as error:
        raise ConfigError(f"genesis: {path}: {error}") from None


def _fail(message: str, code: int) -> NoReturn:
    click.echo(f"error: {message}", err=True)
    sys.exit(code)
