"""TCP ports for nodes, devnets and tests: checking one is free, and handing out fresh ones.

``port_is_free`` lets the devnet refuse with a message that names the port and the node that
needed it (a node that fails to bind only says so in its log).

``free_port``, ``free_port_block`` and ``free_port_layout`` are the one port allocator of a
process (tests, bench, chaos). Asking the kernel for a port (bind to port 0, close, pass the
number on) is not safe: the port stays free for anyone until the server binds it, and

* a later bind(0) in this process hands out the same number again (two nodes of one test were
  once told the same port: ``address already in use`` on the second);
* every outgoing connection of every process on the machine takes its local port from the same
  ephemeral range (``/proc/sys/net/ipv4/ip_local_port_range``), so a dialling peer or an L1
  client can occupy a node's port before the node (or its restart) binds it.

So the allocator hands out ports *outside* the ephemeral range (where neither bind(0) nor
connect() ever picks one), never the same port twice in a process, and records its leases in a
registry file shared by the processes of this machine (one pytest run does not hand out what a
concurrent one still holds). A port is leased only if it can be bound right now.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import socket
import tempfile
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path

LOCAL_PORT_RANGE = Path("/proc/sys/net/ipv4/ip_local_port_range")
DEFAULT_EPHEMERAL_RANGE = (49152, 65535)
"""IANA's dynamic range: the ephemeral range where the kernel does not say (macOS, BSD)."""
PORT_FLOOR = 10_000
"""Ports below this are left alone: well-known and commonly configured services (8545, ...)."""
REGISTRY_PATH = Path(tempfile.gettempdir()) / "ordo-port-leases"
"""Lines ``pid port``: ports leased by live processes on this machine."""


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


def ephemeral_port_range() -> tuple[int, int]:
    """The ports bind(0) and outgoing connections draw from (inclusive bounds)."""
    try:
        low, high = (int(word) for word in LOCAL_PORT_RANGE.read_text().split())
    except (OSError, ValueError):
        return DEFAULT_EPHEMERAL_RANGE
    return low, high


def _unused_everywhere(host: str, port: int) -> bool:
    """Bindable on ``host`` and on every IPv4 address, without SO_REUSEADDR (so not even a
    connection in TIME_WAIT or an outgoing connection holds it)."""
    for address in dict.fromkeys((host, "0.0.0.0")):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
            try:
                probe.bind((address, port))
            except OSError:
                return False
    return True


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process
        return True
    return True


class PortAllocator:
    """Hands out ports (or blocks of them) that nothing in this process got before, that no
    other live process leased through its own allocator, and that the kernel never picks for
    bind(0) or connect()."""

    def __init__(self, registry: Path | None = REGISTRY_PATH, floor: int = PORT_FLOOR,
                 ephemeral: tuple[int, int] | None = None) -> None:
        low, high = ephemeral or ephemeral_port_range()
        self.pool: list[int] = [port for port in range(max(floor, 1024), 65536)
                                if not low <= port <= high]
        if not self.pool:
            raise OSError(f"no TCP ports outside the ephemeral range {low}-{high} above "
                          f"{floor}; narrow net.ipv4.ip_local_port_range")
        self._in_pool = set(self.pool)
        self._handed_out: set[int] = set()
        self._registry = registry
        self._lock = threading.Lock()
        # Concurrent processes start in different places, so they rarely even probe the same port.
        self._cursor = (os.getpid() * 7919) % len(self.pool)

    def allocate(self, offsets: Sequence[int] = (0,), host: str = "127.0.0.1") -> int:
        """A base port P with every P + offset leased to this process, for good."""
        if not offsets or min(offsets) < 0:
            raise ValueError(f"offsets must be non-negative and not empty: {offsets!r}")
        with self._lock, self._leases() as (others, lease):
            for step in range(len(self.pool)):
                base = self.pool[(self._cursor + step) % len(self.pool)]
                ports = [base + offset for offset in offsets]
                if all(port in self._in_pool and port not in self._handed_out
                       and port not in others for port in ports) \
                        and all(_unused_everywhere(host, port) for port in ports):
                    self._handed_out.update(ports)
                    lease(ports)
                    self._cursor = (self._cursor + step + 1) % len(self.pool)
                    return base
        raise OSError(f"no free TCP ports at offsets {list(offsets)} on {host} outside the "
                      "ephemeral range")

    @contextlib.contextmanager
    def _leases(self) -> Iterator[tuple[frozenset[int], Callable[[Iterable[int]], None]]]:
        """(ports leased by other live processes, a function that records ours), under an
        exclusive lock on the registry; no registry (or an unusable one) leaves only the
        process's own record."""
        leased: list[int] = []
        handle = None
        if self._registry is not None:
            with contextlib.suppress(OSError):
                handle = self._registry.open("a+", encoding="ascii")
        if handle is None:
            yield frozenset(), leased.extend
            return
        with handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            handle.seek(0)
            entries = []
            for line in handle.read().splitlines():
                with contextlib.suppress(ValueError):
                    pid, port = (int(word) for word in line.split())
                    entries.append((pid, port))
            me = os.getpid()
            living = {pid: _alive(pid) for pid in {pid for pid, _ in entries if pid != me}}
            kept = [(pid, port) for pid, port in entries if pid == me or living[pid]]
            others = frozenset(port for pid, port in kept if pid != me)
            yield others, leased.extend
            kept += [(me, port) for port in leased]
            if len(kept) != len(entries) + len(leased):  # dead processes' leases: drop them
                handle.seek(0)
                handle.truncate()
                handle.writelines(f"{pid} {port}\n" for pid, port in kept)
            else:
                handle.seek(0, os.SEEK_END)
                handle.writelines(f"{me} {port}\n" for port in leased)


_allocators: dict[int, PortAllocator] = {}
_allocators_lock = threading.Lock()


def allocator() -> PortAllocator:
    """The process's one allocator (a forked child makes its own on first use)."""
    with _allocators_lock:
        found = _allocators.get(os.getpid())
        if found is None:
            _allocators.clear()
            found = _allocators[os.getpid()] = PortAllocator()
        return found


def free_port(host: str = "127.0.0.1") -> int:
    """A port for a server (a node, an L1, a test's fake) that nothing else will be given."""
    return allocator().allocate((0,), host)


def free_port_block(count: int = 1, host: str = "127.0.0.1") -> int:
    """A base port P with P .. P+count-1 all leased (a devnet's range of node ports)."""
    return allocator().allocate(range(count), host)


def free_port_layout(offsets: Iterable[int], host: str = "127.0.0.1") -> int:
    """A base port P with P + offset leased for every offset (ports derived from one base)."""
    return allocator().allocate(sorted(set(offsets)), host)


def free_devnet_base_port(nodes: int, host: str = "127.0.0.1") -> int:
    """A ``--base-port`` for an ``ordo devnet`` of ``nodes`` nodes with the ports it derives
    from it leased too: JSON-RPC base.., p2p base+P2P_PORT_OFFSET.., dev L1 base+200."""
    from ordo.devnet.l1_choice import DEV_L1_PORT_OFFSET
    from ordo.devnet.topology import P2P_PORT_OFFSET

    return free_port_layout([*range(nodes), *range(P2P_PORT_OFFSET, P2P_PORT_OFFSET + nodes),
                             DEV_L1_PORT_OFFSET], host)
