"""Checking that a TCP port is free before a node is told to listen on it.

A node that fails to bind only says so in its log; checking first lets the devnet refuse with a
message that names the port and the node that needed it.
"""

from __future__ import annotations

import socket


def port_is_free(host: str, port: int) -> bool:
    """True when ``port`` can be bound on ``host`` the way the node's server binds it.

    SO_REUSEADDR matches the server's own socket options, so a port held only by connections in
    TIME_WAIT (a node that just stopped) counts as free, while a live listener does not.
    """
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError:
            return False
    return True


def free_port(host: str = "127.0.0.1") -> int:
    """A port the kernel considers unused right now (for tests and temporary networks)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((host, 0))
        port: int = probe.getsockname()[1]
    return port


def free_port_block(count: int = 1, host: str = "127.0.0.1", attempts: int = 500) -> int:
    """A base port P such that P .. P+count-1 were all free a moment ago (a devnet's range)."""
    for _ in range(attempts):
        base = free_port(host)
        if base + count <= 65536 and all(port_is_free(host, base + i) for i in range(count)):
            return base
    raise OSError(f"no block of {count} free TCP ports found on {host}")
