"""New L1 origins stay at or below the L1's own finalized block (a real anvil whose
"finalized" block lags 8 blocks): a reorg deeper than the confirmations but above finality
replaces no origin, and validators refuse an origin above their L1's finalized block."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import cast

import pytest

from ordo.chaos.fault_plan import REORG_DEPTHS
from ordo.chaos.l1_chain import ANVIL_SLOTS_PER_EPOCH
from ordo.l1.chain_records import L1Block
from ordo.l1.client import L1Client
from ordo.l1.rpc_errors import L1ResponseError, L1RpcError
from ordo.node.l1_origin import L1Origin, L1View, origin_view_error
from ordo.node.l1_watch import L1Watch
from tests.l1.l1_process import l1_process

CONFIRMATIONS = 2
SLOTS = 4
FINALITY_DEPTH = 2 * SLOTS


@pytest.fixture
def anvil_url() -> Iterator[str]:
    with l1_process("anvil", extra=("--slots-in-an-epoch", str(SLOTS))) as l1:
        yield l1.url


@pytest.mark.slow
async def test_origins_stay_final_through_a_reorg_deeper_than_the_confirmations(
        anvil_url: str, caplog: pytest.LogCaptureFixture) -> None:
    async with L1Client(anvil_url) as client:
        await client.request("anvil_mine", [hex(20)])
        watch = L1Watch(client, CONFIRMATIONS)
        await watch.refresh()
        assert watch.offers_finality is True
        assert watch.finalized == 20 - FINALITY_DEPTH
        origin = watch.confirmed_origin()
        assert origin is not None and origin.number == 20 - FINALITY_DEPTH
        block = await client.get_block(origin.number)
        assert block is not None and block.hash == origin.hash
        with caplog.at_level(logging.WARNING, logger="ordo.node.l1_watch"):
            await client.request("anvil_reorg", [FINALITY_DEPTH - 2, []])
            await watch.refresh()
        assert watch.deep_reorgs == 1  # deeper than the 2 confirmations ...
        assert "no block names it" in caplog.text  # ... but above the origins
        assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
        again = await client.get_block(origin.number)
        assert again is not None and again.hash == origin.hash
        assert watch.confirmed_origin() == origin


@pytest.mark.slow
async def test_a_validator_refuses_an_origin_above_its_finalized_block(anvil_url: str) -> None:
    async with L1Client(anvil_url) as client:
        await client.request("anvil_mine", [hex(20)])
        watch = L1Watch(client, CONFIRMATIONS)
        await watch.refresh()
        deep_enough = await client.get_block(20 - CONFIRMATIONS)
        assert deep_enough is not None
        parent = L1Origin(1, bytes(32))
        view = await watch.view_for(deep_enough.number)
        assert origin_view_error(L1Origin(deep_enough.number, deep_enough.hash), parent, view,
                                 CONFIRMATIONS // 2) == \
            f"L1 origin 18 is above the L1's finalized block {20 - FINALITY_DEPTH}"
        final = await client.get_block(20 - FINALITY_DEPTH)
        assert final is not None
        view = await watch.view_for(final.number)
        assert origin_view_error(L1Origin(final.number, final.hash), parent, view,
                                 CONFIRMATIONS // 2) is None


def test_without_finality_the_depth_alone_holds() -> None:
    origin, parent = L1Origin(18, b"\x01" * 32), L1Origin(1, bytes(32))
    assert origin_view_error(origin, parent, L1View(20, {18: origin.hash}), 1) is None
    assert origin_view_error(origin, parent, L1View(20, {18: origin.hash}, finalized=12), 1) \
        is not None


def test_the_chaos_anvil_finalizes_below_every_planned_reorg() -> None:
    assert REORG_DEPTHS[1] < 2 * ANVIL_SLOTS_PER_EPOCH


class NoFinalityL1:
    """An L1 endpoint of one part's unit test: 20 blocks, and the finalized tag refused."""

    def __init__(self, refusal: Exception | None) -> None:
        self.refusal = refusal

    async def block_number(self) -> int:
        return 20

    async def get_block(self, block: int | str = "latest") -> L1Block | None:
        if block == "finalized":
            if self.refusal is not None:
                raise self.refusal
            return None
        assert isinstance(block, int)
        return L1Block(block, block.to_bytes(32, "big"), (block - 1).to_bytes(32, "big"), block,
                       30_000_000, 0, 1, ())


@pytest.mark.parametrize("refusal", [
    L1RpcError("eth_getBlockByNumber", -32602, "unknown block tag"),
    L1ResponseError("block.number: expected a quantity"),
    None,  # answered with no block
])
async def test_an_l1_without_a_finalized_block_gets_the_depth_alone(
        refusal: Exception | None, caplog: pytest.LogCaptureFixture) -> None:
    watch = L1Watch(cast(L1Client, NoFinalityL1(refusal)), CONFIRMATIONS)
    assert watch.confirmed_origin() is None
    with caplog.at_level(logging.WARNING, logger="ordo.node.l1_watch"):
        await watch.refresh()
    assert watch.offers_finality is False and watch.finalized is None
    assert "reports no finalized block" in caplog.text
    assert watch.confirmed_origin() == L1Origin(18, (18).to_bytes(32, "big"))
    assert (await watch.view_for(18)).finalized is None
