"""Runs the real ``run_devnet`` shell with stand-in nodes, as its own process (signals and all).

Usage: devnet_with_stand_in.py DATA_DIR BASE_PORT [NODES]
"""

from __future__ import annotations

import sys
from pathlib import Path

from rich.console import Console

from ordo.devnet.launch import DevnetOptions, run_devnet
from ordo.devnet.provision import ProvisionedNode
from ordo.devnet.restart_policy import RestartPolicy

STAND_IN = Path(__file__).with_name("stand_in_node.py")


def stand_in_command(node: ProvisionedNode, genesis_path: Path, rpc_port: int) -> list[str]:
    return [sys.executable, str(STAND_IN), "--data-dir", str(node.data_dir),
            "--genesis", str(genesis_path), "--rpc-port", str(rpc_port)]


if __name__ == "__main__":
    options = DevnetOptions(
        nodes=int(sys.argv[3]) if len(sys.argv) > 3 else 1, data_dir=Path(sys.argv[1]),
        base_port=int(sys.argv[2]), ready_timeout=10, stop_grace=2,
        restart_policy=RestartPolicy(first_delay=0.2, max_delay=1.0))
    sys.exit(run_devnet(options, Console(width=200), node_command=stand_in_command))
