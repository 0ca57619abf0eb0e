"""``devnet.json``: how tools find a running devnet (its nodes' URLs, pids, signers and stakes).

The document is rebuilt from scratch and replaced atomically whenever a pid changes, so a reader
(the load generator, a script) never sees half a file.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ordo.l1.rollup_deploy import RollupDeployment


@dataclass(frozen=True)
class NodeEntry:
    index: int
    pid: int
    rpc_port: int
    data_dir: Path
    signer: str
    p2p_port: int
    stake: int
    peer_id: str


@dataclass(frozen=True)
class L1Entry:
    """The L1 the devnet's sequencer set lives on."""

    url: str
    chain_id: int
    token: bytes
    locking_pool: bytes
    deploy_block: int
    origin_number: int
    dev_chain_pid: int | None
    """The embedded dev L1's process; None for an external L1."""
    rollup: RollupDeployment | None = None
    """Where the nodes post batches; None for a devnet made before the inbox was deployed."""

    def to_json(self) -> dict[str, Any]:
        rollup = {} if self.rollup is None else self.rollup.record_fields()
        return {"rpc": self.url, "chainId": self.chain_id, "token": "0x" + self.token.hex(),
                "lockingPool": "0x" + self.locking_pool.hex(), "deployBlock": self.deploy_block,
                **rollup, "originNumber": self.origin_number, "devChainPid": self.dev_chain_pid}


def manifest_document(chain_id: int, genesis_path: Path, nodes: list[NodeEntry],
                      l1: L1Entry | None = None) -> dict[str, Any]:
    return {
        "chainId": chain_id,
        "genesis": str(genesis_path),
        **({} if l1 is None else {"l1": l1.to_json()}),
        "nodes": [
            {
                "index": node.index,
                "pid": node.pid,
                "rpc": f"http://127.0.0.1:{node.rpc_port}",
                "ws": f"ws://127.0.0.1:{node.rpc_port}",
                "dataDir": str(node.data_dir),
                "signer": node.signer,
                "stake": node.stake,
                "p2p": f"127.0.0.1:{node.p2p_port}",
                "p2pPort": node.p2p_port,
                "peerId": node.peer_id,
            }
            for node in sorted(nodes, key=lambda entry: entry.index)
        ],
    }


def write_manifest(path: Path, document: dict[str, Any]) -> None:
    temporary = path.with_name(path.name + ".tmp")
    temporary.write_text(json.dumps(document, indent=2) + "\n")
    os.replace(temporary, path)
