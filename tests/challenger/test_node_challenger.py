"""The node's challenger: on by default where the node has an L1 key and the genesis an inbox,
off otherwise with the reason in ordo_status (and no dispute series), and ``--no-challenger``
reaches the node's config."""

from __future__ import annotations

import json
from pathlib import Path

from eth.abc import BlockHeaderAPI

from ordo.challenger.node_outputs import ChainOutputs
from ordo.challenger.node_steps import chain_steps
from ordo.challenger.trace_source import L2TraceSource
from ordo.config.node_config import NodeConfig
from ordo.core.genesis import GenesisL1, dev_private_keys, devnet_genesis
from ordo.node.l1_services import L1Services
from tests.cli.test_init_and_node_config import captured_config, ordo, write_config

from .status_checks import dispute_row, dispute_samples, l1_status_of

INBOX = b"\x22" * 20


def services(signer_key: bytes | None, inbox: bytes | None = INBOX) -> L1Services:
    anchor = GenesisL1(31337, b"\x11" * 20, 0, b"\x33" * 32, inbox=inbox,
                       forced_queue=None if inbox is None else b"\x44" * 20)
    return L1Services(anchor, "http://127.0.0.1:9", no_header, 8, lambda key: None,
                      lambda key, value: None, signer_key)


def no_header(number: int) -> BlockHeaderAPI:
    raise AssertionError("the challenger's setup reads no L2 header")


def outputs() -> ChainOutputs:
    return ChainOutputs(None)  # type: ignore[arg-type]


async def test_on_by_default_with_a_key_and_an_inbox() -> None:
    l1 = services(dev_private_keys()[0])
    steps = chain_steps(None, devnet_genesis())  # type: ignore[arg-type]
    l1.attach_challenger(outputs(), enabled=True, steps=steps)
    assert l1.challenger is not None
    source = l1.challenger.traces
    assert isinstance(source, L2TraceSource) and source.steps is steps, \
        "the node plays the step half with its own chain's tracer"
    assert l1.challenger.chain.inbox.address == INBOX
    disputes = l1.status()["disputes"]
    assert disputes["enabled"] is True and disputes["open"] == 0 and disputes["rounds"] == 0
    await l1.client.close()


async def test_off_without_a_key_without_an_inbox_or_when_turned_off() -> None:
    for l1, enabled, reason in (
            (services(None), True, "no L1 key to bond with (--signer-key)"),
            (services(dev_private_keys()[0], inbox=None), True, "the genesis names no inbox"),
            (services(dev_private_keys()[0]), False, "turned off (--no-challenger)")):
        l1.attach_challenger(outputs(), enabled=enabled)
        assert l1.challenger is None
        disputes = l1.status()["disputes"]
        assert disputes["enabled"] is False and disputes["reason"].startswith(reason)
        await l1.client.close()
    off = l1_status_of(None, "turned off (--no-challenger)")
    assert dispute_samples(off) == {}
    assert dispute_row(off) == "— (challenger off: turned off (--no-challenger))"


def test_no_challenger_flag_reaches_the_node_config(
        tmp_path: Path, captured_config: list[NodeConfig]) -> None:
    path = write_config(tmp_path, '[node]\ndata_dir = "d"\ngenesis = "genesis.json"\n')
    for flags, expected in (((), True), (("--no-challenger",), False)):
        code, _, err = ordo("node", "--config", str(path), *flags)
        assert code == 0, err
        assert captured_config.pop().challenger is expected


__all__ = ["captured_config"]  # the fixture, imported for the flag test


def test_the_dashboard_lists_the_games_of_the_status() -> None:
    from tests.dashboard.test_dashboard_script import run_js

    game = {"gameId": 3, "batchIndex": 7, "status": "open", "side": "defender", "claims": 9,
            "ownBonds": "2500000000000000", "secondsToAnswer": 42, "secondsToResolve": 0,
            "blocked": ["claim 4: no whole-block step tracer"]}
    l1 = l1_status_of(None)
    l1["disputes"] = {"enabled": True, "games": [game], "error": None}
    assert run_js(f"page.disputeRows({json.dumps(l1)})") == {
        "off": None, "error": None, "rows": [{
            "game": 3, "batch": 7, "status": "open", "side": "defender", "claims": 9,
            "bonds": "0.0025 ETH", "answer": "42 s", "resolve": "now", "blocked": 1}]}
    off = l1_status_of(None, "no L1 key to bond with (--signer-key)")
    assert run_js(f"page.disputeRows({json.dumps(off)})") == {
        "off": "no L1 key to bond with (--signer-key)", "rows": []}
    assert run_js("page.disputeRows({})") is None
