"""The ``ordo`` command: ``ordo node`` runs one node, ``ordo devnet`` a local network.

Operators meet Ordo here first, so every mistake they can make on the command line ends in one
line naming the option and what is allowed (exit code 2), never in a stack trace.
"""

from __future__ import annotations

import asyncio
import json
import logging
import signal
import sys
from pathlib import Path
from typing import NoReturn

import click
from rich.console import Console

from ordo import __version__
from ordo.devnet.launch import DevnetOptions, run_devnet
from ordo.node.config import ConfigError, NodeConfig

EXIT_FAILED = 1
EXIT_CONFIG = 2
LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
log = logging.getLogger("ordo.cli")


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="ordo")
def main() -> None:
    """Ordo: a decentralized sequencer network for an EVM-compatible Ethereum L2."""


@main.command()
@click.option("--data-dir", required=True, type=click.Path(path_type=Path),
              help="Directory of this node's database (created if missing).")
@click.option("--genesis", "genesis_path", required=True, type=click.Path(path_type=Path),
              help="Genesis JSON file of the network.")
@click.option("--rpc-host", default="127.0.0.1", show_default=True,
              help="Interface the JSON-RPC server listens on.")
@click.option("--rpc-port", default=8545, show_default=True, type=int,
              help="TCP port of JSON-RPC over HTTP and WebSocket.")
@click.option("--block-time", type=float, default=None,
              help="Minimum seconds between blocks while transactions are pending.")
@click.option("--signer-key", "signer_key_path", type=click.Path(path_type=Path), default=None,
              help="File holding this node's sequencer signer key (hex).")
@click.option("--fee-recipient", default=None, help="Address credited with priority fees.")
@click.option("--log-level", default="INFO", show_default=True,
              type=click.Choice(["DEBUG", "INFO", "WARNING", "ERROR"], case_sensitive=False))
def node(data_dir: Path, genesis_path: Path, rpc_host: str, rpc_port: int,
         block_time: float | None, signer_key_path: Path | None, fee_recipient: str | None,
         log_level: str) -> None:
    """Run one sequencer node until SIGINT or SIGTERM."""
    logging.basicConfig(stream=sys.stderr, level=log_level.upper(), format=LOG_FORMAT)
    try:
        config = build_node_config(data_dir, genesis_path, rpc_host, rpc_port, block_time,
                                   signer_key_path, fee_recipient)
    except ConfigError as error:
        _fail(str(error), EXIT_CONFIG)
    sys.exit(run_node_until_signalled(config))


@main.command()
@click.option("--nodes", default=1, show_default=True, type=int, help="Number of nodes.")
@click.option("--data-dir", default=Path("devnet-data"), show_default=True,
              type=click.Path(path_type=Path, file_okay=False),
              help="Directory of the devnet; a second run on it resumes the same chain.")
@click.option("--base-port", default=8545, show_default=True, type=int,
              help="JSON-RPC port of node 0; node i listens on base-port + i.")
@click.option("--block-time", type=float, default=None,
              help="Passed to every node (default: the node's own default).")
@click.option("--ready-timeout", default=120.0, show_default=True, type=float,
              help="Seconds to wait for each node to answer eth_blockNumber.")
def devnet(nodes: int, data_dir: Path, base_port: int, block_time: float | None,
           ready_timeout: float) -> None:
    """Start a local devnet and keep it running in the foreground (Ctrl-C stops it)."""
    options = DevnetOptions(nodes=nodes, data_dir=data_dir, base_port=base_port,
                            block_time=block_time, ready_timeout=ready_timeout)
    # Piped output (a log file, CI) gets lines wide enough for URLs and addresses to stay whole.
    console = Console() if sys.stdout.isatty() else Console(width=200)
    sys.exit(run_devnet(options, console))


def build_node_config(data_dir: Path, genesis_path: Path, rpc_host: str, rpc_port: int,
                      block_time: float | None, signer_key_path: Path | None,
                      fee_recipient: str | None) -> NodeConfig:
    """Check what the node would only discover later (missing files, a bad genesis or address)
    and build the NodeConfig, which checks the rest; raises ConfigError."""
    if data_dir.exists() and not data_dir.is_dir():
        raise ConfigError(f"data_dir: {data_dir} exists and is not a directory")
    _check_genesis(genesis_path)
    if signer_key_path is not None and not signer_key_path.is_file():
        raise ConfigError(f"signer_key: {signer_key_path} does not exist or is not a file")
    if not rpc_host.strip():
        raise ConfigError("rpc_host: must not be empty")
    extra: dict[str, object] = {}
    if block_time is not None:
        extra["block_time"] = block_time
        # Keep the heartbeat at least one block time so a slower block time stays valid.
        extra["heartbeat_interval"] = max(NodeConfig.heartbeat_interval, block_time)
    if fee_recipient is not None:
        extra["fee_recipient"] = parse_address("fee_recipient", fee_recipient)
    return NodeConfig(data_dir=data_dir, genesis_path=genesis_path, rpc_host=rpc_host,
                      rpc_port=rpc_port, signer_key_path=signer_key_path,
                      **extra)  # type: ignore[arg-type]


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
    """Run the node; SIGINT and SIGTERM cancel it so it can close its database and sockets."""
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
