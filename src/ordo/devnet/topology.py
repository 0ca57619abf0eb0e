"""Which ports each devnet node listens on and which peers it dials.

Kept apart from the process shell so the rules (RPC on P+i, p2p on Q+i, everyone peers with
everyone else, no overlapping ranges) are plain functions a test can check without sockets.
"""

from __future__ import annotations

from dataclasses import dataclass

LOOPBACK = "127.0.0.1"
P2P_PORT_OFFSET = 100
"""Default distance between the JSON-RPC and the p2p port ranges."""


class TopologyError(ValueError):
    """The asked-for ports cannot work; the message names the option to change."""


@dataclass(frozen=True)
class NodeAddresses:
    index: int
    rpc_port: int
    p2p_port: int
    peers: tuple[tuple[str, int], ...]
    """Every other node's p2p address, in node order."""

    @property
    def p2p_address(self) -> str:
        return f"{LOOPBACK}:{self.p2p_port}"


def default_p2p_base_port(rpc_base_port: int) -> int:
    return rpc_base_port + P2P_PORT_OFFSET


def check_port_range(option: str, base: int, count: int) -> None:
    last = base + count - 1
    if base < 1 or last > 65535:
        raise TopologyError(f"{option} {base}: node ports {base}..{last} must lie within 1..65535")


def plan_addresses(node_count: int, rpc_base_port: int,
                   p2p_base_port: int | None = None) -> tuple[NodeAddresses, ...]:
    """Ports and peers of ``node_count`` nodes on the loopback interface; raises TopologyError."""
    if node_count < 1:
        raise TopologyError(f"--nodes {node_count}: a devnet needs at least one node")
    p2p_base = default_p2p_base_port(rpc_base_port) if p2p_base_port is None else p2p_base_port
    check_port_range("--base-port", rpc_base_port, node_count)
    check_port_range("--p2p-base-port", p2p_base, node_count)
    if rpc_base_port < p2p_base + node_count and p2p_base < rpc_base_port + node_count:
        raise TopologyError(
            f"--p2p-base-port {p2p_base}: p2p ports {p2p_base}..{p2p_base + node_count - 1} "
            f"overlap the JSON-RPC ports {rpc_base_port}..{rpc_base_port + node_count - 1}; "
            "pick ranges at least --nodes apart")
    return tuple(
        NodeAddresses(
            index=index,
            rpc_port=rpc_base_port + index,
            p2p_port=p2p_base + index,
            peers=tuple((LOOPBACK, p2p_base + other) for other in range(node_count)
                        if other != index),
        )
        for index in range(node_count)
    )
