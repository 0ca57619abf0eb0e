"""Hosts of their own: namespaces on a bridge, reached through the link proxies from each source's
own address, the WAN latency kept through heals, a host cut off and reconnected, all torn down.

Needs root and iproute2 (``ip netns``); skipped with that reason otherwise. About two seconds.
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
import time
from collections.abc import Iterator

import pytest

from ordo.chaos.link_proxy import LinkProxy
from ordo.chaos.netns_hosts import NetnsHosts, unavailable

SERVER = """
import socket, sys
server = socket.socket()
server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
server.bind((sys.argv[1], 7000))
server.listen()
print("ready", flush=True)
while True:
    connection, peer = server.accept()
    connection.sendall(peer[0].encode() + b"\\n")
    connection.close()
"""


@pytest.fixture
def hosts() -> Iterator[NetnsHosts]:
    reason = unavailable()
    if reason is not None:
        pytest.skip(f"network namespaces unavailable here: {reason}")
    made = NetnsHosts(2, tag=251)
    made.set_up()
    try:
        yield made
    finally:
        made.tear_down()


def namespaces() -> str:
    return subprocess.run(["ip", "netns", "list"], capture_output=True, text=True,
                          check=True).stdout


async def ask(proxy: LinkProxy, timeout: float = 5.0) -> tuple[str, float]:
    """(the address host 1 saw the connection come from, seconds for the exchange)."""
    started = time.monotonic()
    reader, writer = await asyncio.wait_for(asyncio.open_connection(proxy.host, proxy.port),
                                            timeout)
    try:
        line = await asyncio.wait_for(reader.readline(), timeout)
        if not line:
            raise ConnectionError("closed without an answer")
    finally:
        writer.close()
    return line.decode().strip(), time.monotonic() - started


async def test_a_proxied_link_between_two_hosts_behaves_like_a_wan(hosts: NetnsHosts) -> None:
    server = subprocess.Popen([*hosts.prefix(1), sys.executable, "-c", SERVER,
                               hosts.hosts[1].address], stdout=subprocess.PIPE)
    try:
        assert server.stdout is not None
        assert server.stdout.readline().strip() == b"ready"
        proxy = LinkProxy(0, 1, 7000, seed=1, host=hosts.gateway,
                          target_host=hosts.hosts[1].address,
                          local_host=hosts.hosts[0].source_alias)
        await proxy.start()
        try:
            seen, _ = await ask(proxy)
            assert seen == hosts.hosts[0].source_alias, "host 1 sees host 0's own address"
            proxy.set_baseline(0.1, 0.0)
            proxy.cut()
            proxy.heal()
            _, slow = await ask(proxy)
            assert slow >= 0.1, "the WAN delay outlives a heal"
            hosts.cut_off(1)
            with pytest.raises((TimeoutError, ConnectionError)):
                await ask(proxy, timeout=1.0)
            hosts.reconnect(1)
            seen, _ = await ask(proxy)
            assert seen == hosts.hosts[0].source_alias
        finally:
            await proxy.close()
    finally:
        server.kill()
        server.wait(timeout=5)
    assert hosts.hosts[1].namespace in namespaces()


def test_tear_down_removes_every_namespace_and_the_bridge() -> None:
    reason = unavailable()
    if reason is not None:
        pytest.skip(f"network namespaces unavailable here: {reason}")
    made = NetnsHosts(2, tag=252)
    made.set_up()
    made.tear_down()
    assert "ordo252-" not in namespaces()
    links = subprocess.run(["ip", "link", "show"], capture_output=True, text=True).stdout
    assert made.bridge not in links
