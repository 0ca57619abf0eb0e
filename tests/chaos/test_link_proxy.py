"""The link proxy over real sockets: it forwards both ways, and each fault does what it says."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import pytest

from ordo.chaos.link_proxy import LinkProxy


async def echo(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while data := await reader.read(4096):
            writer.write(data)
            await writer.drain()
    except OSError:
        pass
    finally:
        writer.close()


@pytest.fixture
async def proxy() -> AsyncIterator[LinkProxy]:
    server = await asyncio.start_server(echo, "127.0.0.1", 0)
    link = LinkProxy(0, 1, int(server.sockets[0].getsockname()[1]), seed=1)
    await link.start()
    try:
        yield link
    finally:
        await link.close()
        server.close()
        await server.wait_closed()


async def round_trip(port: int, payload: bytes) -> bytes:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(payload)
        await writer.drain()
        return await asyncio.wait_for(reader.readexactly(len(payload)), 5)
    finally:
        writer.close()


async def test_bytes_pass_through_both_ways(proxy: LinkProxy) -> None:
    payload = bytes(range(256)) * 1000
    assert await round_trip(proxy.port, payload) == payload
    assert proxy.counters.connections == 1
    assert proxy.counters.bytes_forwarded >= 2 * len(payload)


async def test_cut_closes_open_connections_refuses_new_ones_and_heal_restores(
        proxy: LinkProxy) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", proxy.port)
    writer.write(b"ping")
    assert await asyncio.wait_for(reader.readexactly(4), 5) == b"ping"
    proxy.cut()
    assert await asyncio.wait_for(reader.read(10), 5) == b""
    writer.close()
    reader, writer = await asyncio.open_connection("127.0.0.1", proxy.port)
    assert await asyncio.wait_for(reader.read(10), 5) == b""
    writer.close()
    assert proxy.counters.refused == 1
    assert proxy.counters.closed_by_fault == 2
    proxy.heal()
    assert await round_trip(proxy.port, b"again") == b"again"


async def test_delay_holds_every_chunk(proxy: LinkProxy) -> None:
    proxy.set_delay(0.2)
    started = time.monotonic()
    assert await round_trip(proxy.port, b"slow") == b"slow"
    assert time.monotonic() - started >= 0.4  # delayed on the way there and back
    proxy.heal()
    started = time.monotonic()
    await round_trip(proxy.port, b"fast")
    assert time.monotonic() - started < 0.2


async def test_delay_is_pipelined_like_a_real_link(proxy: LinkProxy) -> None:
    """Messages sent 50 ms apart through a 0.3 s link each come back about 0.6 s (there and
    back) after they were sent; a serial sleep per chunk made later ones wait behind earlier
    ones' delays (up to twice as long)."""
    proxy.set_delay(0.3)
    reader, writer = await asyncio.open_connection("127.0.0.1", proxy.port)
    sent: dict[int, float] = {}
    latencies: list[float] = []

    async def send() -> None:
        for index in range(10):
            sent[index] = time.monotonic()
            writer.write(b"%d;" % index)
            await writer.drain()
            await asyncio.sleep(0.05)

    sender = asyncio.create_task(send())
    try:
        buffer = b""
        while len(latencies) < 10:
            buffer += await asyncio.wait_for(reader.read(100), 5)
            *complete, buffer = buffer.split(b";")
            latencies += [time.monotonic() - sent[int(number)] for number in complete]
        await sender
    finally:
        writer.close()
    assert min(latencies) >= 0.6
    assert max(latencies) < 0.85, latencies


async def test_certain_loss_stalls_or_breaks_every_chunk(proxy: LinkProxy) -> None:
    proxy.set_loss(1.0)
    outcomes = []
    for _ in range(3):
        try:
            outcomes.append(await round_trip(proxy.port, b"x"))
        except (asyncio.IncompleteReadError, ConnectionError):
            outcomes.append(b"broken")
    assert proxy.counters.stalls + proxy.counters.closed_by_fault >= 3
    assert proxy.counters.stalls >= 1
    assert all(outcome in (b"x", b"broken") for outcome in outcomes)


async def test_an_unreachable_target_closes_the_client_connection() -> None:
    probe = await asyncio.start_server(echo, "127.0.0.1", 0)
    port = int(probe.sockets[0].getsockname()[1])
    probe.close()
    await probe.wait_closed()
    link = LinkProxy(0, 1, port, seed=1)
    await link.start()
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", link.port)
        assert await asyncio.wait_for(reader.read(10), 5) == b""
        writer.close()
        assert link.counters.target_unreachable == 1
    finally:
        await link.close()
