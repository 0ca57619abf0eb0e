"""What the operator sees once the devnet is up: where each node is and how to use it."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

from ordo.core.genesis import DEV_ACCOUNT_COUNT, DEV_MNEMONIC
from ordo.devnet.manifest import L1Entry, NodeEntry
from ordo.l1.verifier_completeness import INCOMPLETE_VERIFIER_NOTE
from ordo.operator.token_amount import format_token_amount

TOKEN_DECIMALS = 18
"""The devnet governance token's (staking_params.TOKEN is 10**18 units)."""


def render_nodes(console: Console, nodes: list[NodeEntry], chain_id: int,
                 l1: L1Entry | None = None) -> None:
    inbox_text = "" if l1 is None or l1.rollup is None else \
        f", rollup inbox 0x{l1.rollup.inbox.hex()}"
    caption = None if l1 is None else (
        f"L1 {l1.url} (chain id {l1.chain_id}), locking pool 0x{l1.locking_pool.hex()}"
        f"{inbox_text}")
    table = Table(title=f"Ordo devnet (chain id {chain_id})", caption=caption)
    stake_column = "stake" if l1 is None else "stake (tokens)"
    for column in ("node", "pid", "JSON-RPC URL", "WS URL", "p2p", stake_column, "data dir",
                   "signer address"):
        table.add_column(column, overflow="fold")
    for node in sorted(nodes, key=lambda entry: entry.index):
        stake = str(node.stake) if l1 is None else \
            format_token_amount(node.stake, TOKEN_DECIMALS)
        table.add_row(str(node.index), str(node.pid), f"http://127.0.0.1:{node.rpc_port}",
                      f"ws://127.0.0.1:{node.rpc_port}", f"127.0.0.1:{node.p2p_port}",
                      stake, str(node.data_dir), node.signer)
    console.print(table)
    first = min(nodes, key=lambda entry: entry.index, default=None)
    if first is not None:
        console.print(f"Dashboard: http://127.0.0.1:{first.rpc_port}/dashboard (every node "
                      "serves one at /dashboard on its JSON-RPC port)", highlight=False,
                      soft_wrap=True)
    if l1 is not None:
        # Also as one plain line: a table caption may be folded on a narrow terminal.
        rollup_text = "" if l1.rollup is None else (
            f"; batches are posted to the rollup inbox 0x{l1.rollup.inbox.hex()}, forced "
            f"items come from the queue 0x{l1.rollup.queue.hex()}")
        if l1.rollup is not None and l1.rollup.dispute_game is not None:
            rollup_text += (f"; the dispute game 0x{l1.rollup.dispute_game.hex()} decides "
                            "disputed output roots (ordo dispute list)")
            if l1.rollup.step_verifier_complete is False:
                rollup_text += f"; beware: {INCOMPLETE_VERIFIER_NOTE}"
        console.print(f"L1: {l1.url} (chain id {l1.chain_id}), locking pool "
                      f"0x{l1.locking_pool.hex()}, token 0x{l1.token.hex()}{rollup_text}",
                      highlight=False, soft_wrap=True)


def render_dev_accounts_hint(console: Console, first_account: str, first_key: str) -> None:
    console.print(
        f"Dev accounts: the {DEV_ACCOUNT_COUNT} accounts of the mnemonic \"{DEV_MNEMONIC}\" "
        "(m/44'/60'/0'/0/i) hold 10,000 ETH each.\n"
        f"  account 0: {first_account}  key {first_key}\n"
        "These keys are public: never use them outside a devnet. Ctrl-C stops the devnet.",
        highlight=False, soft_wrap=True,
    )
