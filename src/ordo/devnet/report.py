"""What the operator sees once the devnet is up: where each node is and how to use it."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

from ordo.core.genesis import DEV_ACCOUNT_COUNT, DEV_MNEMONIC
from ordo.devnet.manifest import NodeEntry


def render_nodes(console: Console, nodes: list[NodeEntry], chain_id: int) -> None:
    table = Table(title=f"Ordo devnet (chain id {chain_id})")
    for column in ("node", "pid", "JSON-RPC URL", "WS URL", "p2p", "stake", "data dir",
                   "signer address"):
        table.add_column(column, overflow="fold")
    for node in sorted(nodes, key=lambda entry: entry.index):
        table.add_row(str(node.index), str(node.pid), f"http://127.0.0.1:{node.rpc_port}",
                      f"ws://127.0.0.1:{node.rpc_port}", f"127.0.0.1:{node.p2p_port}",
                      str(node.stake), str(node.data_dir), node.signer)
    console.print(table)


def render_dev_accounts_hint(console: Console, first_account: str, first_key: str) -> None:
    console.print(
        f"Dev accounts: the {DEV_ACCOUNT_COUNT} accounts of the mnemonic \"{DEV_MNEMONIC}\" "
        "(m/44'/60'/0'/0/i) hold 10,000 ETH each.\n"
        f"  account 0: {first_account}  key {first_key}\n"
        "These keys are public: never use them outside a devnet. Ctrl-C stops the devnet.",
        highlight=False, soft_wrap=True,
    )
