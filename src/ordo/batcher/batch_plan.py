"""Which final L2 blocks the next batch covers, and the header every validator signs for it.

Every validator plans independently and must reach the same batch, so the plan is a function of
final blocks only (never of the time, a node's L1 view or what it happens to have received):

- a batch starts at the block after the previous batch (the inbox's ``last_block + 1``);
- it never spans two L2 epochs (each epoch is signed by its own L1 set);
- it holds at most ``max_blocks`` blocks;
- it stops before the block that would take the ENCODED (uncompressed, canonical) size of its
  blocks past ``max_encoded_bytes``. The rule does not look at compressed sizes: two nodes with
  different zstd builds would cut different batches. ``encoded_limit_for`` turns a payload
  limit into an encoded limit that fits after compression even for incompressible blocks.

A batch is *closed* once one of those rules ends it, which needs the blocks up to its last
(epoch end, ``max_blocks``) or up to the block after its last (the size rule): until then
:func:`plan_next_batch` answers None, since an open batch may still grow and validators with
different final heights would otherwise sign different batches.

Signed data commitment. A planned batch has two headers that differ only in ``data_kind`` and
``data_hash``: calldata (keccak of the payload) and blobs (keccak of the versioned hashes of the
payload packed into blobs, which are deterministic given the payload bytes and the KZG setup).
Validators sign both, so the poster can post blobs where the L1 takes type-3 transactions and fall
back to calldata where it does not (the embedded dev L1), without a second signing round and
without every validator having to know what the poster's L1 accepts. The encoded limit defaults
to what fits the calldata limit, so both variants always fit one transaction (the blob variant is
then one blob). The payload is compressed with the project's pinned zstd; validators built from
the same lock produce the same bytes (a node with another zstd signs another header hash, which
:mod:`ordo.batcher.batch_attestations` reports as an attestation for another header).

Pure: no clock, disk or network; ckzg is deterministic computation.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from ordo.batcher.batch_codec import CALLDATA_PAYLOAD_LIMIT, compress_blocks
from ordo.batcher.batch_header import (
    BatchHeader,
    DataKind,
    Producer,
    blob_data_hash,
    calldata_data_hash,
)
from ordo.batcher.blob_packing import BlobSidecar, blob_sidecar, pack_blobs
from ordo.core.batch_blocks import BatchBlock, encode_blocks
from ordo.core.block import Block
from ordo.core.l1_fee import header_l1_prices
from ordo.faultproof.batch_inputs import inputs_root

BUILDER_LENGTH = 20
DEFAULT_MAX_BLOCKS = 20
ZSTD_FRAME_HEADER_BOUND = 18
"""The largest zstd frame header (magic, descriptor, window, dictionary id, content size)."""
ZSTD_BLOCK_HEADER = 3
ZSTD_MAX_BLOCK = 128 * 1024
"""zstd stores a block raw when compression does not shrink it: 3 header bytes per 128 KiB."""


class BatchPlanError(ValueError):
    """Blocks or parameters a batch cannot be planned from; the message names which."""


def encoded_limit_for(payload_limit: int) -> int:
    """The largest encoded size whose compressed payload (version byte + zstd frame) is at most
    ``payload_limit`` bytes whatever the blocks hold, since zstd falls back to raw blocks."""
    encoded = payload_limit - 1 - ZSTD_FRAME_HEADER_BOUND
    while encoded > 0 and _compressed_bound(encoded) > payload_limit:
        encoded -= 1
    if encoded <= 0:
        raise BatchPlanError(f"payload limit {payload_limit} bytes leaves no room for blocks")
    return encoded


def _compressed_bound(encoded: int) -> int:
    blocks = max(1, -(-encoded // ZSTD_MAX_BLOCK))
    return 1 + ZSTD_FRAME_HEADER_BOUND + ZSTD_BLOCK_HEADER * blocks + encoded


DEFAULT_MAX_ENCODED_BYTES = encoded_limit_for(CALLDATA_PAYLOAD_LIMIT)


@dataclass(frozen=True)
class PlanRules:
    """The batch-cutting parameters; every validator of a network must use the same."""

    epoch_length: int
    max_blocks: int = DEFAULT_MAX_BLOCKS
    max_encoded_bytes: int = DEFAULT_MAX_ENCODED_BYTES

    def __post_init__(self) -> None:
        for name in ("epoch_length", "max_blocks", "max_encoded_bytes"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise BatchPlanError(f"{name}: {value!r} must be a positive integer")

    def epoch_of(self, number: int) -> int:
        """L2 epoch e holds blocks e*E+1 .. (e+1)*E (as ``ordo.consensus.get_epoch``)."""
        return (number - 1) // self.epoch_length

    def epoch_last_block(self, number: int) -> int:
        return (self.epoch_of(number) + 1) * self.epoch_length


@dataclass(frozen=True)
class FinalBlock:
    """What the plan needs of one final L2 block."""

    batch_block: BatchBlock
    block_hash: bytes
    output_root: bytes
    """The block's output root (``ordo.core.output_root``): what the batch header commits to."""
    builder: bytes
    """The validator that built it (the first 20 bytes of its extra data): it is credited."""

    def __post_init__(self) -> None:
        for name, value, length in (("block_hash", self.block_hash, 32),
                                    ("output_root", self.output_root, 32),
                                    ("builder", self.builder, BUILDER_LENGTH)):
            if not isinstance(value, bytes) or len(value) != length:
                raise BatchPlanError(f"block {self.batch_block.number}: {name} is not "
                                     f"{length} bytes")

    @property
    def number(self) -> int:
        return self.batch_block.number


def final_block_of(block: Block, output_root: bytes) -> FinalBlock:
    """A stored block (whose output root the caller read from its state) as the plan sees it;
    raises BatchPlanError for a header without a builder (only genesis has none, and genesis
    is never posted)."""
    header = block.header
    extra = bytes(header.extra_data)
    if len(extra) < BUILDER_LENGTH:
        raise BatchPlanError(f"block {block.number}: extra data of {len(extra)} bytes names no "
                             f"builder")
    batch_block = BatchBlock(
        number=int(header.block_number), timestamp=int(header.timestamp),
        coinbase=bytes(header.coinbase), gas_limit=int(header.gas_limit), extra_data=extra,
        mix_hash=bytes(header.mix_hash),
        transactions=tuple(bytes(transaction.encode()) for transaction in block.transactions),
        l1_fee_word=header_l1_prices(header).word())
    return FinalBlock(batch_block, bytes(header.hash), output_root, extra[:BUILDER_LENGTH])


@dataclass(frozen=True)
class BatchRange:
    """The closed run of final blocks the next batch covers."""

    blocks: tuple[FinalBlock, ...]

    @property
    def first_block(self) -> int:
        return self.blocks[0].number

    @property
    def last_block(self) -> int:
        return self.blocks[-1].number


FinalBlockAt = Callable[[int], FinalBlock]


def plan_next_batch(first_block: int, final_number: int, block_at: FinalBlockAt,
                    rules: PlanRules) -> BatchRange | None:
    """The batch starting at ``first_block`` once it is closed by final blocks up to
    ``final_number``, else None. ``block_at(n)`` gives final block n (only n <= final_number is
    asked). Raises BatchPlanError when a single block's encoding alone exceeds the limit (it can
    never be posted under these rules) or ``block_at`` answers another block."""
    if isinstance(first_block, bool) or not isinstance(first_block, int) or first_block < 1:
        raise BatchPlanError(f"first_block: {first_block!r} must be a block number >= 1")
    if final_number < first_block:
        return None
    hard_last = min(rules.epoch_last_block(first_block), first_block + rules.max_blocks - 1)
    taken: list[FinalBlock] = []
    for number in range(first_block, min(hard_last, final_number) + 1):
        block = block_at(number)
        if block.number != number:
            raise BatchPlanError(f"asked for final block {number}, got block {block.number}")
        candidate = [*taken, block]
        size = len(encode_blocks([entry.batch_block for entry in candidate]))
        if size > rules.max_encoded_bytes:
            if not taken:
                raise BatchPlanError(f"block {number} alone encodes to {size} bytes, over the "
                                     f"{rules.max_encoded_bytes}-byte batch limit")
            return BatchRange(tuple(taken))  # the size rule closed it at the previous block
        taken = candidate
    if taken and taken[-1].number == hard_last:
        return BatchRange(tuple(taken))
    return None


def producers_of(blocks: Sequence[FinalBlock]) -> tuple[Producer, ...]:
    """Blocks built per builder, in ascending builder address (a canonical order)."""
    counts = Counter(block.builder for block in blocks)
    return tuple(Producer(builder, counts[builder]) for builder in sorted(counts))


@dataclass(frozen=True)
class PlannedBatch:
    """A closed batch with its payload and the two headers validators sign."""

    batch_range: BatchRange
    payload: bytes
    """version byte + zstd frame of the blocks' canonical encoding."""
    calldata_header: BatchHeader
    blob_header: BatchHeader
    sidecar: BlobSidecar
    """The payload packed into blobs, with commitments and proofs (what a type-3 post carries)."""

    @property
    def index(self) -> int:
        return self.calldata_header.index

    def header(self, kind: DataKind) -> BatchHeader:
        return self.blob_header if kind is DataKind.BLOBS else self.calldata_header


def plan_headers(index: int, batch: BatchRange, epoch: int, forced_through: int) -> PlannedBatch:
    """The payload and both headers of batch ``index`` over ``batch``. ``epoch`` is the
    LockingPool epoch whose set signs (the L1 epoch of the batch's L2 epoch);
    ``forced_through`` is taken as given. Raises BatchHeaderError for a field out of range."""
    payload = compress_blocks([block.batch_block for block in batch.blocks])
    sidecar = blob_sidecar(pack_blobs(payload))
    last = batch.blocks[-1]
    producers = producers_of(batch.blocks)
    root = inputs_root([block.batch_block for block in batch.blocks])

    def header(kind: DataKind, data_hash: bytes) -> BatchHeader:
        return BatchHeader(index=index, first_block=batch.first_block,
                           last_block=batch.last_block, last_block_hash=last.block_hash,
                           output_root=last.output_root, inputs_root=root, data_kind=kind,
                           data_hash=data_hash, epoch=epoch, producers=producers,
                           forced_through=forced_through)

    return PlannedBatch(batch_range=batch, payload=payload,
                        calldata_header=header(DataKind.CALLDATA, calldata_data_hash(payload)),
                        blob_header=header(DataKind.BLOBS,
                                           blob_data_hash(sidecar.versioned_hashes)),
                        sidecar=sidecar)
