"""The ``ordo devnet-forge-batch`` command (``ordo.devnet.forge_batch`` does the work)."""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path

import click

from ordo.devnet.forge_batch import ForgeError, forge_batch
from ordo.l1.rpc_errors import L1Error


def _root(value: str | None) -> bytes | None:
    if value is None:
        return None
    try:
        root = bytes.fromhex(value.removeprefix("0x"))
    except ValueError:
        root = b""
    if len(root) != 32 or root == bytes(32):
        raise click.BadParameter("expected 0x and 64 hex digits, not zero")
    return root


@click.command("devnet-forge-batch")
@click.option("--data-dir", type=click.Path(path_type=Path), required=True,
              help="The running devnet's data dir (its key files sign the forged header).")
@click.option("--wrong-output-root", metavar="0xROOT", default=None,
              help="The output root to sign [default: a hash of the right one].")
@click.option("--rpc", "node_url", default=None, metavar="URL",
              help="The node to read the blocks from [default: node 0 of devnet.json].")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
def forge_batch_command(data_dir: Path, wrong_output_root: str | None, node_url: str | None,
                        as_json: bool) -> None:
    """DEVNET ONLY: land the next batch with a wrong output root, signed by more than 2/3 of
    the devnet's stake with its own test keys; the nodes' challengers should dispute it and
    win, and the signers be slashed."""
    try:
        forged = asyncio.run(forge_batch(data_dir, _root(wrong_output_root), node_url))
    except (ForgeError, L1Error, OSError, TimeoutError) as error:
        click.echo(f"error: {error}", err=True)
        sys.exit(1)
    if as_json:
        click.echo(json.dumps(forged.to_json(), indent=2))
        return
    click.echo(f"forged batch {forged.index} (L2 blocks {forged.first_block}..{forged.last_block})"
               f" landed in L1 block {forged.l1_block}, transaction "
               f"0x{forged.l1_transaction.hex()}")
    click.echo(f"  wrong output root 0x{forged.wrong_root.hex()}")
    click.echo(f"  right output root 0x{forged.right_root.hex()}")
    click.echo("  signed by " + ", ".join("0x" + signer.hex() for signer in forged.signers))
    click.echo(f"watch the nodes' challengers: ordo dispute list --devnet {data_dir}; "
               "ordo status --rpc NODE_URL")
