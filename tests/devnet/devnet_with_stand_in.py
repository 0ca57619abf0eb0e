"""Runs the real ``run_devnet`` shell with stand-in nodes, as its own process (signals and all).

Usage: devnet_with_stand_in.py DATA_DIR BASE_PORT [--nodes N] [--stakes S,..] [--p2p-base-port Q]
[--epoch-length E]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from rich.console import Console

from ordo.devnet.launch import DevnetOptions, run_devnet
from ordo.devnet.provision import ProvisionedNode, parse_stakes
from ordo.devnet.restart_policy import RestartPolicy
from ordo.devnet.topology import NodeAddresses

STAND_IN = Path(__file__).with_name("stand_in_node.py")


def stand_in_command(node: ProvisionedNode, genesis_path: Path,
                     addresses: NodeAddresses) -> list[str]:
    line = [sys.executable, str(STAND_IN), "--data-dir", str(node.data_dir),
            "--genesis", str(genesis_path), "--rpc-port", str(addresses.rpc_port),
            "--p2p-port", str(addresses.p2p_port), "--node-key", str(node.node_key_path)]
    for host, port in addresses.peers:
        line += ["--peer", f"{host}:{port}"]
    return line


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("data_dir", type=Path)
    parser.add_argument("base_port", type=int)
    parser.add_argument("--nodes", type=int)
    parser.add_argument("--stakes", type=parse_stakes)
    parser.add_argument("--p2p-base-port", type=int)
    parser.add_argument("--epoch-length", type=int)
    arguments = parser.parse_args()
    options = DevnetOptions(
        nodes=arguments.nodes, data_dir=arguments.data_dir, base_port=arguments.base_port,
        p2p_base_port=arguments.p2p_base_port, stakes=arguments.stakes,
        epoch_length=arguments.epoch_length, ready_timeout=60, stop_grace=2,
        restart_policy=RestartPolicy(first_delay=0.2, max_delay=1.0), l1=None)
    sys.exit(run_devnet(options, Console(width=250), node_command=stand_in_command))
