import asyncio
from collections.abc import Iterable

import pytest

from ordo.node.journal_writer import JournalWriter, rest_before_write


async def test_concurrent_appends_share_writes_and_all_are_acknowledged() -> None:
    writes: list[list[tuple[bytes, bytes]]] = []

    def write(entries: Iterable[tuple[bytes, bytes]]) -> None:
        writes.append(list(entries))

    writer = JournalWriter(write)
    writer.start()
    await asyncio.gather(*(writer.append(bytes([i]), b"raw") for i in range(50)))
    await writer.stop()
    written = [tx_hash for batch in writes for tx_hash, _ in batch]
    assert sorted(written) == [bytes([i]) for i in range(50)]
    assert len(writes) < 50  # grouped


async def test_failed_write_is_reported_to_every_waiter() -> None:
    def write(entries: Iterable[tuple[bytes, bytes]]) -> None:
        raise OSError("disk full")

    writer = JournalWriter(write)
    writer.start()
    results = await asyncio.gather(
        writer.append(b"a", b"1"), writer.append(b"b", b"2"), return_exceptions=True
    )
    await writer.stop()
    assert all(isinstance(result, OSError) for result in results)


async def test_appends_arriving_within_the_spacing_share_the_next_write() -> None:
    """The first append to an idle writer is written alone at once; three that arrive one by one
    while the spacing runs wait together for one write (without the spacing each would be
    written as it came)."""
    writes: list[list[bytes]] = []

    def write(entries: Iterable[tuple[bytes, bytes]]) -> None:
        writes.append([tx_hash for tx_hash, _ in entries])

    writer = JournalWriter(write, spacing_s=1.0)
    writer.start()
    await writer.append(b"a", b"1")
    assert writes == [[b"a"]]
    later: list[asyncio.Task[None]] = []
    for tx_hash in (b"b", b"c", b"d"):
        later.append(asyncio.create_task(writer.append(tx_hash, b"raw")))
        await asyncio.sleep(0.05)
    assert writes == [[b"a"]] and not any(task.done() for task in later)  # acks held
    await asyncio.gather(*later)
    assert writes == [[b"a"], [b"b", b"c", b"d"]]
    assert writer.writes == 2
    await writer.stop()


def test_the_wait_before_a_write_is_bounded_by_the_spacing() -> None:
    assert rest_before_write(None, 0.01, 5.0) == 0.0  # idle: at once
    assert rest_before_write(5.0, 0.01, 5.004) == pytest.approx(0.006)
    assert rest_before_write(5.0, 0.01, 5.5) == 0.0
    with pytest.raises(ValueError, match="spacing_s"):
        JournalWriter(lambda entries: None, spacing_s=-1)


def test_dropped_transactions_are_bounded_and_forgettable() -> None:
    from ordo.node.dropped_transactions import DroppedTransactions

    dropped = DroppedTransactions(capacity=2)
    dropped.record(b"a", "nonce too low")
    dropped.record(b"b", "evicted")
    dropped.record(b"c", "evicted")
    assert dropped.reason(b"a") is None
    assert dropped.reason(b"c") == "evicted"
    dropped.forget(b"c")
    assert dropped.reason(b"c") is None
    assert len(dropped) == 1


@pytest.mark.parametrize("capacity", [1, 10])
def test_dropped_capacity_respected(capacity: int) -> None:
    from ordo.node.dropped_transactions import DroppedTransactions

    dropped = DroppedTransactions(capacity=capacity)
    for i in range(100):
        dropped.record(bytes([i]), "x")
    assert len(dropped) == capacity
