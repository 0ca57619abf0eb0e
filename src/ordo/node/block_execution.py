"""Validation and commit: every block this node votes for or stores is executed here, once.

A proposed block is decoded, checked (``proposal_checks``, the header's L1 layout, the forced
items its origin makes, the L1 view of its origin) and re-executed; the verdict goes back to the
machine and the executed block is kept, so a decided block is stored without running it again.
A decided block never executed here (decided from others' votes, or synced) is executed at commit
and refused only if it does not decode or hash to the decided block, its forced items cannot be
taken (``ForcedItemsError``: the queue unreadable, e.g. while L1 is down, or not what the header
claims) or the EVM refuses it: its certificate proves it final, so its layout is not checked.
The commit stores block, receipts, state, certificate and finality in one transaction
(``ChainStore.commit_block``). Decoding and executing run in a worker thread.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable

from ordo.chain.chain import Chain
from ordo.consensus import Commit, ProposedValue, encode_certificate
from ordo.core.block import Block
from ordo.core.block_codec import BlockCodecError, decode_block
from ordo.core.forced_item import ForcedItem
from ordo.execution.errors import InvalidBlock
from ordo.node.block_builder import Executed
from ordo.node.l1_block_inputs import ForcedItemsError, L1BlockInputs
from ordo.node.l1_origin import header_origin_error
from ordo.node.proposal_checks import proposed_block_error

log = logging.getLogger(__name__)


class BlockExecution:
    def __init__(self, chain: Chain, inputs: L1BlockInputs, max_clock_drift_s: int,
                 count_invalid: Callable[[], None],
                 clock: Callable[[], float] = time.time) -> None:
        """``count_invalid`` is told of each proposal found invalid (``ordo_status``)."""
        self.chain = chain
        self.inputs = inputs
        self._drift = max_clock_drift_s
        self._count_invalid = count_invalid
        self._clock = clock
        self._prepared: dict[bytes, Executed] = {}
        self._decoded: dict[bytes, Block] = {}

    def remember(self, block_hash: bytes, executed: Executed) -> None:
        """A block we built: valid to us, and committed as is if decided."""
        self._prepared[block_hash] = executed

    def remember_decoded(self, block: Block) -> None:
        """A block decoded elsewhere (block sync): not decoded again at commit. The caller
        forgets it once its decision is taken or refused (``forget_decoded``)."""
        self._decoded[block.hash] = block

    def forget_decoded(self, block_hash: bytes) -> None:
        self._decoded.pop(block_hash, None)

    def forget(self) -> None:
        self._prepared.clear()
        self._decoded.clear()

    async def validate(self, value: ProposedValue) -> bool:
        """The verdict on a proposed value at our head (once per hash)."""
        verdict = await self._prepare(value)
        if verdict is None:
            return False
        problem = await self.inputs.origin_error(verdict.executed.block,
                                                 self.chain.head_header())
        if problem is not None:
            self._count_invalid()
            log.warning("block 0x%s at height %d has a bad L1 origin: %s",
                        value.block_hash.hex(), value.height, problem)
            return False
        return True

    async def _prepare(self, value: ProposedValue) -> Executed | None:
        """Decode, check and re-execute a proposed block (once per hash); None if invalid."""
        known = self._prepared.get(value.block_hash)
        if known is not None:
            return known
        parent = self.chain.head_header()
        now = self._clock()
        anchored = self.inputs.l1_watch is not None

        def problem(block: Block) -> str | None:
            return proposed_block_error(block, value, parent, now, self._drift) or \
                header_origin_error(block.header, parent, anchored)

        outcome = await self._execute(value, None, problem)
        if isinstance(outcome, str):
            self._count_invalid()
            log.warning("block 0x%s at height %d is invalid: %s", value.block_hash.hex(),
                        value.height, outcome)
            return None
        self._prepared[value.block_hash] = outcome
        return outcome

    async def _execute(self, value: ProposedValue, decoded: Block | None,
                       problem: Callable[[Block], str | None]) -> Executed | str:
        """Decode ``value`` (unless ``decoded``), take its forced items, check it by
        ``problem`` and run it on our head: the executed block, or why not."""
        parent = self.chain.head_header()

        def check_and_execute(block: Block, forced: tuple[ForcedItem, ...]) -> Executed | str:
            refusal = problem(block)
            if refusal is not None:
                return refusal
            try:
                executed, writes = self.chain.engine.execute_block(parent, block, forced)
            except InvalidBlock as error:
                return str(error)
            return Executed(executed, writes, ())

        try:
            block = decoded if decoded is not None else \
                await asyncio.to_thread(decode_block, value.payload)
            forced = await self.inputs.forced_for(block.header, parent)
        except (BlockCodecError, ForcedItemsError) as error:
            return str(error)
        return await asyncio.to_thread(check_and_execute, block, forced)

    async def commit(self, commit: Commit) -> tuple[Executed, bytes] | None:
        """Store the decided block as final; the executed block and the encoded certificate,
        or None when it cannot be stored (the driver then restarts from the store)."""
        value = commit.value
        if value.height != self.chain.head_number() + 1:
            log.error("decided height %d does not follow the stored head %d", value.height,
                      self.chain.head_number())
            return None
        prepared = self._prepared.get(value.block_hash)
        if prepared is None:
            prepared = await self._prepare_decided(value)
            if prepared is None:
                return None
        certificate = encode_certificate(commit.certificate)
        await asyncio.to_thread(
            self.chain.store.commit_block, prepared.executed, prepared.state_writes,
            certificate=certificate, finalized_number=value.height,
        )
        self.forget()
        return prepared, certificate

    async def _prepare_decided(self, value: ProposedValue) -> Executed | None:
        """A decided block we have not executed (decided from others' votes, or synced): the
        certificate proves it final, so only its hash, its forced items (unreadable or not
        matching, ``L1BlockInputs.forced_for``) and the EVM's verdict can stop it."""
        def problem(block: Block) -> str | None:
            if block.hash != value.block_hash:
                return "payload does not hash to the decided block"
            return None

        outcome = await self._execute(value, self._decoded.get(value.block_hash), problem)
        if isinstance(outcome, str):
            log.error("decided block 0x%s at height %d cannot be executed: %s",
                      value.block_hash.hex(), value.height, outcome)
            return None
        return outcome
