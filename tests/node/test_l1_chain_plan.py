"""The pure halves of adopting L1's chain: the plan a returning node follows, and where
consensus resumes when its head (or any block of the epoch) is a fallback block."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from eth_hash.auto import keccak

from ordo.batcher.batch_header import DataKind
from ordo.consensus import LocalSigner, Validator, ValidatorSet, compute_tip
from ordo.derivation.inbox_batches import AcceptedBatch
from ordo.node.chain_tip import tip_after
from ordo.node.l1_chain_adoption import ChainReplacedOnL1
from ordo.node.l1_chain_plan import plan_adoption
from ordo.node.runner import _Replacement, _run_until_replaced


def ours(number: int) -> bytes:
    return keccak(b"ours" + number.to_bytes(8, "big"))


def theirs(number: int) -> bytes:
    return keccak(b"theirs" + number.to_bytes(8, "big"))


def batch(index: int, first: int, last: int, last_hash: bytes, *,
          fallback: bool = False) -> AcceptedBatch:
    return AcceptedBatch(index=index, header_hash=keccak(bytes([index])), submitter=b"\x01" * 20,
                         first_block=first, last_block=last, last_block_hash=last_hash,
                         output_root=b"\x00" * 32, inputs_root=b"\x04" * 32,
                         data_kind=DataKind.CALLDATA,
                         data_hash=b"\x00" * 32, epoch=1, forced_through=0, blob_hashes=(),
                         l1_block_number=100 + index, l1_block_hash=b"\x02" * 32,
                         l1_transaction=b"\x03" * 32, l1_log_index=0, fallback=fallback)


def store_up_to(head: int) -> Callable[[int], bytes | None]:
    return lambda number: ours(number) if number <= head else None


SIGNED = [batch(0, 1, 5, ours(5)), batch(1, 6, 10, ours(10))]


def test_a_store_on_l1s_chain_keeps_its_unposted_blocks() -> None:
    plan = plan_adoption(SIGNED, 14, store_up_to(14))
    assert plan.changes_nothing and plan.keep_through == 14
    assert plan_adoption([], 3, store_up_to(3)).changes_nothing


def test_a_fallback_batch_over_the_unposted_blocks_rewinds_to_the_last_signed_batch() -> None:
    fallback = batch(2, 11, 11, theirs(11), fallback=True)
    plan = plan_adoption([*SIGNED, fallback], 14, store_up_to(14))
    assert plan.keep_through == 10 and plan.imports == (fallback,)
    assert "batch 2" in plan.reason and "fallback" in plan.reason


def test_every_batch_from_the_parting_one_on_is_imported() -> None:
    fallback = batch(2, 11, 11, theirs(11), fallback=True)
    signed_after = batch(3, 12, 16, theirs(16))
    plan = plan_adoption([*SIGNED, fallback, signed_after], 14, store_up_to(14))
    assert plan.keep_through == 10 and plan.imports == (fallback, signed_after)


def test_a_signed_batch_that_differs_from_the_final_chain_is_never_adopted() -> None:
    """A quorum signing another chain than this node's final one is fraud to dispute: the
    store is not touched, even when a fallback batch follows."""
    forged = batch(1, 6, 10, theirs(10))
    for batches in ([SIGNED[0], forged], [SIGNED[0], forged, batch(2, 11, 11, theirs(11),
                                                                     fallback=True)]):
        plan = plan_adoption(batches, 14, store_up_to(14))
        assert plan.refused and plan.changes_nothing and plan.keep_through == 14
        assert "a signed batch, not adopted" in plan.reason and "batch 1" in plan.reason


def test_a_store_behind_signed_batches_waits_for_its_peers() -> None:
    plan = plan_adoption(SIGNED, 7, store_up_to(7))
    assert plan.changes_nothing and plan.keep_through == 7


def test_a_store_behind_a_fallback_batch_imports_it_from_l1() -> None:
    fallback = batch(2, 11, 11, theirs(11), fallback=True)
    at_the_end = plan_adoption([*SIGNED, fallback], 10, store_up_to(10))
    assert at_the_end.keep_through == 10 and at_the_end.imports == (fallback,)
    # Inside a signed batch that a fallback batch follows: its stored blocks are not vouched
    # for, so the import starts at that batch.
    inside = plan_adoption([*SIGNED, fallback], 8, store_up_to(8))
    assert inside.keep_through == 5 and inside.imports == (SIGNED[1], fallback)


SIGNERS = [LocalSigner(keccak(bytes([i]))) for i in range(4)]
VALIDATORS = ValidatorSet.of(Validator(s.address, 10 + i) for i, s in enumerate(SIGNERS))


@dataclass
class FakeHeader:
    hash: bytes
    extra_data: bytes
    block_number: int


def test_the_tip_after_fallback_blocks_is_what_replaying_the_chain_gives() -> None:
    epoch_length = 4
    headers = [FakeHeader(keccak(b"genesis"), b"", 0)]
    decided = []
    zero = bytes(20)
    for number in range(1, 14):
        # Fallback blocks (zero builder) at an epoch's first, middle and last heights.
        builder = zero if number in (3, 5, 6, 8, 9, 10, 11) else \
            SIGNERS[(number * 7) % 4].address
        block_hash = keccak(number.to_bytes(8, "big"))
        headers.append(FakeHeader(block_hash, builder + b"\x00" * 9, number))
        decided.append((block_hash, builder))
        expected = compute_tip(headers[0].hash, decided, epoch_length, lambda _: VALIDATORS)
        got = tip_after(number, lambda n: headers[n], epoch_length,  # type: ignore[arg-type,return-value]
                        lambda _: VALIDATORS)
        assert got == expected, number


class ForeverDriver:
    """A consensus driver that runs until cancelled, noting that it was."""

    def __init__(self) -> None:
        self.cancelled = False

    async def run(self) -> None:
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            self.cancelled = True
            raise


def test_a_running_node_stops_with_the_reason_once_l1_holds_another_chain() -> None:
    async def scenario() -> ForeverDriver:
        driver = ForeverDriver()
        replaced = _Replacement()
        asyncio.get_running_loop().call_later(0.05, replaced.replace, "batch 3 is not ours")
        with pytest.raises(ChainReplacedOnL1, match=r"batch 3 is not ours.*adopts L1's chain"):
            await _run_until_replaced(driver, replaced)  # type: ignore[arg-type]
        return driver

    assert asyncio.run(scenario()).cancelled
