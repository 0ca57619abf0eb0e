"""The metrics parts in one process: live collector, event series, endpoint, JSON log lines."""

from __future__ import annotations

import json
import logging
import socket
from collections import Counter
from types import SimpleNamespace
from typing import Any, cast

import aiohttp
import pytest
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.parser import text_string_to_metric_families

from ordo.core.block import Block
from ordo.metrics.event_metrics import EventMetrics
from ordo.metrics.exposition import start_metrics_server
from ordo.metrics.json_log_lines import JsonLineFormatter, configure_logging
from ordo.metrics.node_metrics import NodeMetrics
from ordo.network import MessageKind

SIGNER = b"\x07" * 20


class FakeMempool:
    def __init__(self) -> None:
        self.counters = {"admitted": 5, "rejected_nonce_too_low": 2, "rejected_fee_too_low": 1,
                         "included": 3}

    def pending_count(self) -> int:
        return 2

    def queued_count(self) -> int:
        return 1


class FakeNode:
    def __init__(self) -> None:
        self.mempool = FakeMempool()
        self.head = 9

    def head_number(self) -> int:
        return self.head

    def finalized_number(self) -> int:
        return self.head

    def fault_counters(self) -> dict[str, int]:
        return {"write_refusals": self.head - 9, "disk_full_waits": 2, "commit_failures": 1}


class FakeDriver:
    def __init__(self) -> None:
        self.state = SimpleNamespace(height=10, round=2)
        self.blocks_committed = 9
        self.ignored: Counter[str] = Counter({"wrong height": 4, "bad signature": 1})
        self.commits: dict[int, dict[str, Any]] = {}

    def peer_count(self) -> int:
        return 3

    def get_commit(self, number: int) -> dict[str, Any] | None:
        return self.commits.get(number)


def samples_of(registry: CollectorRegistry) -> dict[tuple[str, tuple[tuple[str, str], ...]],
                                                      float]:
    text = generate_latest(registry).decode()
    return {(sample.name, tuple(sorted(sample.labels.items()))): sample.value
            for family in text_string_to_metric_families(text) for sample in family.samples}


def test_live_series_are_read_at_scrape_time() -> None:
    node, driver = FakeNode(), FakeDriver()
    metrics = NodeMetrics(node, driver, SIGNER)
    samples = samples_of(metrics.registry)
    assert samples[("ordo_head_height", ())] == 9
    assert samples[("ordo_consensus_round", ())] == 2
    assert samples[("ordo_peers", ())] == 3
    assert samples[("ordo_mempool_transactions", (("state", "pending"),))] == 2
    assert samples[("ordo_mempool_rejections_total", (("reason", "nonce_too_low"),))] == 2
    assert samples[("ordo_mempool_events_total", (("event", "admitted"),))] == 5
    assert samples[("ordo_consensus_messages_ignored_total", (("reason", "wrong height"),))] == 4
    assert not any(name == "ordo_consensus_timeouts_total" for name, _ in samples)
    node.head = 12
    driver.state.round = 0
    driver.timeouts = Counter({"propose": 2, "prevote": 1})  # type: ignore[attr-defined]
    samples = samples_of(metrics.registry)
    assert samples[("ordo_head_height", ())] == 12
    assert samples[("ordo_consensus_round", ())] == 0
    assert samples[("ordo_consensus_timeouts_total", (("step", "propose"),))] == 2
    assert samples[("ordo_node_faults_total", (("kind", "write_refusals"),))] == 3
    assert samples[("ordo_node_faults_total", (("kind", "disk_full_waits"),))] == 2
    assert samples[("ordo_node_faults_total", (("kind", "commit_failures"),))] == 1


def test_each_node_has_its_own_registry() -> None:
    first, second = NodeMetrics(FakeNode(), FakeDriver(), SIGNER), NodeMetrics(FakeNode(), None,
                                                                              None)
    first.events.transactions_included.inc(4)
    assert samples_of(first.registry)[("ordo_transactions_included_total", ())] == 4
    second_samples = samples_of(second.registry)
    assert second_samples[("ordo_transactions_included_total", ())] == 0
    assert ("ordo_peers", ()) not in second_samples  # no consensus driver, no consensus series


def test_blocks_rounds_and_messages_are_counted() -> None:
    registry = CollectorRegistry()
    driver = FakeDriver()
    driver.commits = {1: {"round": "0x0"}, 2: {"round": "0x2"}}
    events = EventMetrics(registry, SIGNER, driver.get_commit)
    for number, proposer, count in ((1, SIGNER, 3), (2, b"\x08" * 20, 0)):
        block = SimpleNamespace(number=number, header=SimpleNamespace(extra_data=proposer),
                                transactions=[object()] * count)
        events.on_block(cast(Block, block))
    seen: list[MessageKind] = []

    def handler(peer: bytes, kind: MessageKind, payload: bytes) -> bool | None:
        seen.append(kind)
        return kind == MessageKind.TX

    counting = events.counting(handler)
    assert counting(b"p", MessageKind.VOTE, b"") is False
    assert counting(b"p", MessageKind.TX, b"") is True
    counting(b"p", MessageKind.VOTE, b"")
    events.observe_rpc("eth_call", 0.003, True)
    events.observe_rpc("eth_call", 0.2, False)
    samples = samples_of(registry)
    assert seen == [MessageKind.VOTE, MessageKind.TX, MessageKind.VOTE]
    assert samples[("ordo_transactions_included_total", ())] == 3
    assert samples[("ordo_blocks_produced_total", ())] == 1
    assert samples[("ordo_rounds_per_height_count", ())] == 2
    assert samples[("ordo_rounds_per_height_bucket", (("le", "1.0"),))] == 1
    assert samples[("ordo_rounds_per_height_bucket", (("le", "3.0"),))] == 2
    assert samples[("ordo_votes_received_total", ())] == 2
    assert samples[("ordo_peer_messages_received_total", (("kind", "tx"),))] == 1
    assert samples[("ordo_rpc_requests_total", (("method", "eth_call"), ("outcome", "error")))] \
        == 1
    assert samples[("ordo_rpc_latency_seconds_count", (("method", "eth_call"),))] == 2


async def test_the_endpoint_serves_metrics_and_reports_a_taken_port() -> None:
    metrics = NodeMetrics(FakeNode(), FakeDriver(), SIGNER)
    server = await start_metrics_server(metrics.registry, "127.0.0.1", 0)
    try:
        assert server.port != 0
        async with aiohttp.ClientSession() as session:
            async with session.get(server.url) as response:
                assert response.status == 200
                assert "ordo_head_height 9.0" in await response.text()
            async with session.get(server.url.removesuffix("metrics") + "other") as response:
                assert response.status == 404
        with pytest.raises(OSError):
            await start_metrics_server(metrics.registry, "127.0.0.1", server.port)
    finally:
        await server.stop()
    with socket.socket() as probe:  # stopped means the port is free again
        probe.bind(("127.0.0.1", server.port))


def test_json_log_lines_carry_level_message_and_exception(
        capsys: pytest.CaptureFixture[str]) -> None:
    root = logging.getLogger()
    saved = (list(root.handlers), root.level)
    try:
        configure_logging("info", "json")
        log = logging.getLogger("ordo.test")
        log.debug("hidden")
        log.info("block %d final: %s", 7, "ünïcode \"quoted\"\nnext line")
        try:
            raise ValueError("boom")
        except ValueError:
            log.exception("failed")
        lines = capsys.readouterr().err.splitlines()
        assert len(lines) == 2
        first, second = (json.loads(line) for line in lines)
        assert (first["level"], first["logger"]) == ("INFO", "ordo.test")
        assert first["message"] == "block 7 final: ünïcode \"quoted\"\nnext line"
        assert second["level"] == "ERROR" and "ValueError: boom" in second["exception"]
        assert first["time"].endswith("+00:00")
        configure_logging("WARNING", "text")
        log.warning("plain")
        assert capsys.readouterr().err.endswith("WARNING ordo.test: plain\n")
    finally:
        root.handlers[:] = saved[0]
        root.setLevel(saved[1])


def test_a_record_that_cannot_be_serialised_still_makes_a_line() -> None:
    record = logging.LogRecord("ordo", logging.INFO, __file__, 1, "value %s", (b"\x00",), None)
    assert json.loads(JsonLineFormatter().format(record))["message"] == "value b'\\x00'"
