"""``ordo fees``: print one epoch's fee-vault settlement (``ordo.operator.fee_report``)."""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path
from typing import NoReturn

import click

from ordo.core.genesis import Genesis
from ordo.l1.client import L1Client
from ordo.l1.rpc_errors import L1Error
from ordo.operator.fee_report import epoch_fees

EXIT_FAILED = 1
EXIT_CONFIG = 2


@click.command(name="fees")
@click.option("--genesis", "genesis_path", required=True, type=click.Path(path_type=Path),
              help="The network's genesis.json (inbox, epoch length, fee vault).")
@click.option("--epoch", type=click.IntRange(min=0), required=True,
              help="The epoch to settle; its blocks must be final.")
@click.option("--rpc", "rpc_url", default="http://127.0.0.1:8545", show_default=True,
              help="JSON-RPC URL of an L2 node.")
@click.option("--l1-rpc", "l1_url", required=True, help="JSON-RPC URL of the L1 node.")
def fees_command(genesis_path: Path, epoch: int, rpc_url: str, l1_url: str) -> None:
    """Per sequencer, for one epoch: blocks produced, L2 fees (tips) earned, L1 gas and wei
    spent posting batches that landed, and the vault's share by the rule of
    ordo.staking.fee_sharing (posting reimbursed first, the rest by blocks produced)."""
    try:
        genesis = Genesis.load(genesis_path)
    except (OSError, ValueError) as error:
        _fail(f"genesis: {error}", EXIT_CONFIG)
    if genesis.l1_fee is None or genesis.l1 is None or genesis.l1.inbox is None:
        _fail("genesis: fees are shared on an L1-anchored network with an inbox and l1Fee",
              EXIT_CONFIG)

    async def report() -> dict[str, object]:
        assert genesis.l1 is not None and genesis.l1.inbox is not None
        assert genesis.l1_fee is not None
        async with L1Client(rpc_url) as l2, L1Client(l1_url) as l1:
            fees = await epoch_fees(l2, l1, genesis.l1.inbox, genesis.chain_id,
                                    genesis.l1_fee.vault, epoch, genesis.consensus.epoch_length,
                                    genesis.l1.origin_number)
        return fees.to_json()

    try:
        answer = asyncio.run(report())
    except (L1Error, OSError, ValueError) as error:
        _fail(str(error), EXIT_FAILED)
    click.echo(json.dumps(answer, indent=2))


def _fail(message: str, code: int) -> NoReturn:
    click.echo(f"error: {message}", err=True)
    sys.exit(code)
