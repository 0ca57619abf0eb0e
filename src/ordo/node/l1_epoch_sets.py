"""Epoch sets of an L1-staked network: the LockingPool's set at each anchor block's L1 origin.

The L2 epoch e is weighed by the pool's current set at the L1 origin named in its anchor block
(the block at height e * epoch_length; the genesis block for epoch 0). That origin is final on
L2, and the pool's set of a started epoch never changes, so every node reads the same members and
stakes (the set hash is checked against the pool's). A resolved set is stored in the node's
database: restarts and schedule replays need no L1.

The set is read ahead: each time a final block names an L1 origin not read yet (and each time
the L1 watch confirms a new one), the pool's set at that block is read in the background and
kept. The anchor of the next epoch names one of those origins (an origin only moves forward,
and while the L1 is unreachable blocks keep their parent's), so the boundary takes the set from
memory and an L1 outage across it does not stop the chain. The block, its hash and the pool's
state there are the same whenever they are read, so a set read ahead is the set read late.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

import rlp
from eth.abc import BlockHeaderAPI

from ordo.consensus import Validator, ValidatorSet
from ordo.core.block import Block
from ordo.l1.client import L1Client
from ordo.node.l1_origin import L1Origin, origin_of
from ordo.staking.epoch_set import EpochSet, to_validator_set
from ordo.staking.pool_reader import read_current_set

log = logging.getLogger(__name__)

META_PREFIX = "epoch_set/"
READ_AHEAD_KEPT = 16
"""Sets read ahead that are kept (the newest origins); an anchor names one of the last few."""
READ_AHEAD_WAIT_S = 5.0
"""How long this node's builder keeps its parent's origin while the set at a newer confirmed
origin is being read ahead; after that it names the newer one anyway (an origin may not be held
back for good, and forced items wait on it)."""


class EpochSetUnavailable(Exception):
    """The set cannot be read now (L1 down or behind, a reorganised origin, an empty pool)."""


@dataclass(frozen=True)
class EpochSetRecord:
    """What the node stores per epoch; ``l1_epoch`` is what a batch of this epoch names."""

    epoch: int
    anchor_hash: bytes
    l1_epoch: int
    l1_block: int
    validators: ValidatorSet


def encode_record(record: EpochSetRecord) -> bytes:
    members = [[v.address, v.stake] for v in record.validators.validators]
    return bytes(rlp.encode([record.epoch, record.anchor_hash, record.l1_epoch, record.l1_block,
                             members]))


def decode_record(raw: bytes) -> EpochSetRecord:
    epoch, anchor, l1_epoch, l1_block, members = rlp.decode(raw)
    validators = ValidatorSet.of(Validator(bytes(address), int.from_bytes(stake, "big"))
                                 for address, stake in members)
    return EpochSetRecord(int.from_bytes(epoch, "big"), bytes(anchor),
                          int.from_bytes(l1_epoch, "big"), int.from_bytes(l1_block, "big"),
                          validators)


class L1EpochSets:
    def __init__(self, client: L1Client, pool: bytes,
                 header_at: Callable[[int], BlockHeaderAPI], epoch_length: int,
                 load: Callable[[str], bytes | None], save: Callable[[str, bytes], None],
                 confirmed_origin: Callable[[], L1Origin | None] = lambda: None,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._client = client
        self._pool = pool
        self._header_at = header_at
        self._epoch_length = epoch_length
        self._load = load
        self._save = save
        self._confirmed_origin = confirmed_origin
        self._records: dict[int, EpochSetRecord] = {}
        self._ahead: OrderedDict[L1Origin, EpochSet] = OrderedDict()
        self._reading: asyncio.Task[None] | None = None
        self._clock = clock
        self._wanted: dict[L1Origin, float] = {}
        """Parent origins a builder asked to move past, with when it first asked."""
        self.read_ahead_used = 0
        """Epochs whose set came from a read ahead, without an L1 read at the boundary."""

    def on_block_final(self, block: Block) -> None:
        """New-block listener: read ahead the set at the watch's confirmed L1 origin (the next
        one a builder names), or else at this block's, when not read yet; one read at a time,
        in the background (an unreachable L1 is tried again at a later block)."""
        for origin in (self._confirmed_origin(), origin_of(block.header)):
            if origin is not None and origin not in self._ahead:
                self._request(origin)
                return

    def ready_origin(self, parent: L1Origin, target: L1Origin) -> L1Origin:
        """Builder policy (``L1BlockInputs.ready_origin``): the L1 origin a new block names when
        the watch's confirmed origin ``target`` is newer than the parent's ``parent``.

        ``target`` itself once its set is read ahead, so that the anchor's set is in memory on
        the nodes before the L1 can go away (a block naming an origin just before an outage
        otherwise strands its epoch's boundary on every node that had not read it); else the
        newest origin after ``parent`` and up to ``target`` whose set is read (the confirmed
        origin moves on with every L1 block, often before a read of it ends: waiting for the
        newest one alone never ended on a 1 s L1); else ``target`` once READ_AHEAD_WAIT_S have
        passed since a builder first asked to move past ``parent``; else ``parent``."""
        if target in self._ahead:
            return target
        now = self._clock()
        first = self._wanted.setdefault(parent, now)
        for older in [wanted for wanted in self._wanted if wanted.number < parent.number]:
            del self._wanted[older]
        self._request(target)
        read = [origin for origin in self._ahead
                if parent.number < origin.number <= target.number]
        if read:
            return max(read, key=lambda origin: origin.number)
        return target if now - first >= READ_AHEAD_WAIT_S else parent

    def _request(self, origin: L1Origin) -> None:
        if self._reading is not None and not self._reading.done():
            return
        self._reading = asyncio.create_task(self._read_ahead(origin),
                                            name="epoch-set-read-ahead")

    async def _read_ahead(self, origin: L1Origin) -> None:
        try:
            block = await self._client.get_block(origin.number)
            if block is None or block.hash != origin.hash:
                return
            epoch_set = await read_current_set(self._client, self._pool, origin.number)
            to_validator_set(epoch_set)  # refuses an empty set now, as resolve would
        except Exception as error:
            log.debug("validator set at L1 block %d not read ahead: %s", origin.number, error)
            return
        self._ahead[origin] = epoch_set
        self._wanted.pop(origin, None)
        while len(self._ahead) > READ_AHEAD_KEPT:
            self._ahead.popitem(last=False)

    async def close(self) -> None:
        if self._reading is not None:
            self._reading.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._reading

    def record(self, epoch: int) -> EpochSetRecord | None:
        known = self._records.get(epoch)
        if known is not None:
            return known
        raw = self._load(META_PREFIX + str(epoch))
        if raw is None:
            return None
        try:
            record = decode_record(raw)
        except (rlp.DecodingError, ValueError) as error:
            log.error("stored set of epoch %d unreadable, reading it again: %s", epoch, error)
            return None
        self._records[epoch] = record
        return record

    def known(self, epoch: int) -> ValidatorSet | None:
        record = self.record(epoch)
        return None if record is None else record.validators

    async def resolve(self, epoch: int, anchor_hash: bytes) -> ValidatorSet:
        record = self.record(epoch)
        if record is not None and record.anchor_hash == anchor_hash:
            return record.validators
        anchor = self._header_at(epoch * self._epoch_length)
        if bytes(anchor.hash) != anchor_hash:
            raise EpochSetUnavailable(f"epoch {epoch}: anchor block 0x{anchor_hash.hex()} is not "
                                      "in this node's chain")
        origin = origin_of(anchor)
        if origin is None:
            raise EpochSetUnavailable(f"epoch {epoch}: the anchor block names no L1 origin")
        epoch_set = self._ahead.get(origin)
        if epoch_set is not None:
            self.read_ahead_used += 1
            log.info("epoch %d: validator set read ahead at L1 block %d (pool epoch %d)",
                     epoch, origin.number, epoch_set.epoch)
            validators = to_validator_set(epoch_set)
        else:
            epoch_set, validators = await self._read_at(epoch, origin)
        record = EpochSetRecord(epoch, anchor_hash, epoch_set.epoch, origin.number, validators)
        self._save(META_PREFIX + str(epoch), encode_record(record))
        self._records[epoch] = record
        return validators

    async def _read_at(self, epoch: int, origin: L1Origin) -> tuple[EpochSet, ValidatorSet]:
        """The pool's set at ``origin`` read from the L1 now."""
        try:
            block = await self._client.get_block(origin.number)
            if block is None:
                raise EpochSetUnavailable(f"epoch {epoch}: L1 block {origin.number} is unknown "
                                          "to the L1 endpoint (is it behind?)")
            if block.hash != origin.hash:
                raise EpochSetUnavailable(
                    f"epoch {epoch}: L1 block {origin.number} is 0x{block.hash.hex()} on the L1 "
                    f"endpoint, the anchor names 0x{origin.hash.hex()} (an L1 reorganisation "
                    "deeper than the confirmation depth)")
            epoch_set = await read_current_set(self._client, self._pool, origin.number)
            validators = to_validator_set(epoch_set)
        except EpochSetUnavailable:
            raise
        except Exception as error:
            raise EpochSetUnavailable(f"epoch {epoch}: {error}") from error
        return epoch_set, validators
