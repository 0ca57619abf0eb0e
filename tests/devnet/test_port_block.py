import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from ordo.devnet.ports import (
    PortAllocator,
    ephemeral_port_range,
    free_devnet_base_port,
    free_port,
    free_port_block,
    port_is_free,
)


def test_a_block_of_ports_is_free_and_contiguous() -> None:
    base = free_port_block(4)
    assert all(port_is_free("127.0.0.1", base + offset) for offset in range(4))


def test_a_held_port_is_not_free() -> None:
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        assert not port_is_free("127.0.0.1", holder.getsockname()[1])


def test_ports_are_never_handed_out_twice_nor_from_the_ephemeral_range() -> None:
    """bind(0) draws from the ephemeral range, and may give a released port again; so does
    every outgoing connection on the machine. The allocator gives neither a chance."""
    low, high = ephemeral_port_range()
    ports = [free_port() for _ in range(200)] + [free_port_block(3) + i for i in range(3)]
    base = free_devnet_base_port(2)
    ports += [base, base + 1, base + 100, base + 101, base + 200]
    assert len(set(ports)) == len(ports)
    assert not [port for port in ports if low <= port <= high]


def test_a_port_in_use_or_leased_by_a_live_process_is_skipped(tmp_path: Path) -> None:
    port = free_port()
    only = PortAllocator(registry=None, floor=port, ephemeral=(port + 1, 65535))
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", port))
        holder.listen()
        with pytest.raises(OSError, match="no free TCP ports"):
            only.allocate()

    registry = tmp_path / "leases"
    dead = subprocess.Popen([sys.executable, "-c", ""])
    dead.wait()
    registry.write_text(f"{os.getppid()} {port}\n{dead.pid} {port + 1}\n")
    two = PortAllocator(registry=registry, floor=port, ephemeral=(port + 2, 65535))
    assert two.allocate() == port + 1  # the dead process's lease is gone, the live one holds
    assert registry.read_text().splitlines() == [f"{os.getppid()} {port}",
                                                 f"{os.getpid()} {port + 1}"]
    with pytest.raises(OSError):
        two.allocate()
