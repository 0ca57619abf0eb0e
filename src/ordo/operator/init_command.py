"""``ordo init``: write a new network's commented config.toml and its genesis.json."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any, NoReturn

import click

from ordo.config.config_file import config_keys, render_template
from ordo.config.node_config import ConfigError
from ordo.core.genesis import DEVNET_CHAIN_ID, ConsensusRules
from ordo.operator.network_init import (
    GENESIS_NAME,
    InitOptions,
    build_genesis,
    parse_hex_address,
    parse_validators,
    write_network_files,
)

EXIT_CONFIG = 2


@click.command(name="init")
@click.option("--dir", "directory", required=True, type=click.Path(path_type=Path),
              help="Directory to write config.toml and genesis.json into (created if missing).")
@click.option("--chain-id", type=int, default=DEVNET_CHAIN_ID, show_default=True,
              help="Chain id of the new L2 network.")
@click.option("--validators", default=None, metavar="ADDR:STAKE,...",
              help="Signer address and stake of each first sequencer [default: none, a solo "
                   "chain run by the node's own signer key].")
@click.option("--epoch-length", type=int, default=ConsensusRules.epoch_length,
              show_default=True, help="Blocks per epoch (producer rotation).")
@click.option("--dev-accounts", is_flag=True,
              help="Give the ten public development accounts 10,000 ETH each (test networks "
                   "only: their keys are public).")
@click.option("--signer-key", type=click.Path(path_type=Path), default=None,
              help="Set [node] signer_key to this keystore or key file.")
@click.option("--rpc-port", type=int, default=None, help="Set [node] rpc_port.")
@click.option("--p2p-port", type=int, default=None, help="Set [p2p] port.")
@click.option("--l1-rpc", default=None, metavar="URL",
              help="Set [node] l1_rpc, the L1 JSON-RPC URL.")
@click.option("--locking-pool", default=None, metavar="ADDR",
              help="Set [stake] locking_pool, the L1 LockingPool `ordo stake` uses.")
@click.option("--force", is_flag=True, help="Overwrite an existing config.toml / genesis.json.")
def init_command(directory: Path, chain_id: int, validators: str | None, epoch_length: int,
                 dev_accounts: bool, signer_key: Path | None, rpc_port: int | None,
                 p2p_port: int | None, l1_rpc: str | None, locking_pool: str | None,
                 force: bool) -> None:
    """Write DIR/config.toml (every key explained) and DIR/genesis.json for a new network."""
    try:
        values = _config_values(signer_key, rpc_port, p2p_port, l1_rpc, locking_pool)
        options = InitOptions(chain_id=chain_id,
                              validators=parse_validators(validators) if validators else (),
                              epoch_length=epoch_length, dev_accounts=dev_accounts)
        genesis = build_genesis(options)
        config_path, genesis_path = write_network_files(
            directory, render_template({"genesis": GENESIS_NAME, "data_dir": "data",
                                        **values}), genesis, force)
    except (ConfigError, ValueError) as error:
        _fail(str(error))
    count = len(options.validators)
    click.echo(f"wrote {config_path} and {genesis_path} (chain id {chain_id}, {count} "
               f"validator{'' if count == 1 else 's'})")
    if not count and signer_key is None:
        click.echo("no --validators: the chain is run by one node's own signer; set signer_key "
                   f"in {config_path} before starting it")
    click.echo(f"start a node with: ordo node --config {config_path}")


def _config_values(signer_key: Path | None, rpc_port: int | None, p2p_port: int | None,
                   l1_rpc: str | None, locking_pool: str | None) -> dict[str, Any]:
    """The options as config keys, checked by the same parsers that read the file back."""
    by_name = {(key.section, key.name): key for key in config_keys()}
    chosen = {("node", "signer_key"): None if signer_key is None else str(signer_key.resolve()),
              ("node", "rpc_port"): rpc_port, ("p2p", "port"): p2p_port,
              ("node", "l1_rpc"): l1_rpc, ("stake", "locking_pool"): locking_pool}
    values: dict[str, Any] = {}
    for (section, name), value in chosen.items():
        if value is None:
            continue
        key = by_name.get((section, name))
        if key is None:
            raise ConfigError(f"{name}: this node version has no {name} setting")
        key.parse(name, value, Path.cwd())
        values[name] = value
    if locking_pool is not None:
        parse_hex_address("locking_pool", locking_pool)
    return values


def _fail(message: str) -> NoReturn:
    click.echo(f"error: {message}", err=True)
    sys.exit(EXIT_CONFIG)
