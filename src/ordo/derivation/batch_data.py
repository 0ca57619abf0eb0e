"""A batch's data, checked against what its accepted header commits to, and decoded into blocks.

The inbox already checked the data commitment when it accepted the batch, but a verifier must
not trust whoever served it the bytes (an L1 node, a beacon node, an archive): the calldata
payload must hash to ``data_hash``, and each blob must commit (KZG) to the versioned hash the
event names, so a server can neither swap nor reorder what was posted. The decoded blocks must
also give the header's ``inputs_root`` (docs/fault_proofs.md section 5): the dispute game reads a
block's inputs through that root, so a batch whose payload says otherwise is refused here, before
any of it is executed. Pure.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from ordo.batcher.batch_codec import BatchCodecError, decompress_blocks
from ordo.batcher.batch_header import DataKind, blob_data_hash, calldata_data_hash
from ordo.batcher.blob_packing import (
    BYTES_PER_BLOB,
    BlobPackingError,
    blob_sidecar,
    unpack_blobs,
)
from ordo.core.batch_blocks import BatchBlock
from ordo.derivation.errors import InvalidBatch
from ordo.derivation.inbox_batches import AcceptedBatch
from ordo.faultproof.batch_inputs import inputs_root


@dataclass(frozen=True)
class DecodedBatch:
    """An accepted batch with its blocks, checked against the header's data and block range."""

    accepted: AcceptedBatch
    blocks: tuple[BatchBlock, ...]

    @property
    def transaction_count(self) -> int:
        return sum(len(block.transactions) for block in self.blocks)


def checked_calldata(batch: AcceptedBatch, payload: bytes) -> bytes:
    if batch.data_kind is not DataKind.CALLDATA:
        raise InvalidBatch(batch.index, "carries blobs, not a calldata payload")
    if calldata_data_hash(payload) != batch.data_hash:
        raise InvalidBatch(batch.index, f"payload hashes to 0x{calldata_data_hash(payload).hex()}"
                                        f", the header commits to 0x{batch.data_hash.hex()}")
    return payload


def checked_blobs(batch: AcceptedBatch, blobs: Sequence[bytes]) -> bytes:
    """The payload packed in ``blobs`` once each one is shown to be the blob the event names."""
    if batch.data_kind is not DataKind.BLOBS:
        raise InvalidBatch(batch.index, "carries a calldata payload, not blobs")
    if not batch.blob_hashes:
        raise InvalidBatch(batch.index, "a blob batch whose event names no versioned hashes")
    if blob_data_hash(batch.blob_hashes) != batch.data_hash:
        raise InvalidBatch(batch.index, "the event's versioned hashes do not hash to data_hash")
    if len(blobs) != len(batch.blob_hashes):
        raise InvalidBatch(batch.index, f"{len(blobs)} blobs served, the event names "
                                        f"{len(batch.blob_hashes)}")
    for position, blob in enumerate(blobs):
        if len(blob) != BYTES_PER_BLOB:
            raise InvalidBatch(batch.index, f"blob {position} is {len(blob)} bytes, not "
                                            f"{BYTES_PER_BLOB}")
    served = blob_sidecar(blobs).versioned_hashes
    for position, (got, want) in enumerate(zip(served, batch.blob_hashes, strict=True)):
        if got != want:
            raise InvalidBatch(batch.index, f"blob {position} commits to versioned hash "
                                            f"0x{got.hex()}, the event names 0x{want.hex()}")
    try:
        return unpack_blobs(blobs)
    except BlobPackingError as error:
        raise InvalidBatch(batch.index, f"blobs do not hold a packed payload: {error}") \
            from error


def decode_batch(batch: AcceptedBatch, payload: bytes) -> DecodedBatch:
    """The blocks of a checked payload; they must be exactly ``first_block..last_block`` and
    give the header's inputs root."""
    try:
        blocks = decompress_blocks(payload)
    except (BatchCodecError, ValueError) as error:
        raise InvalidBatch(batch.index, f"payload does not decode: {error}") from error
    numbers = [block.number for block in blocks]
    expected = list(range(batch.first_block, batch.last_block + 1))
    if numbers != expected:
        raise InvalidBatch(batch.index, f"payload holds blocks {_ranges(numbers)}, the header "
                                        f"covers {batch.first_block}..{batch.last_block}")
    root = inputs_root(blocks)
    if root != batch.inputs_root:
        raise InvalidBatch(batch.index, f"payload's blocks give inputs_root 0x{root.hex()}, the "
                                        f"signed header commits to 0x{batch.inputs_root.hex()}")
    return DecodedBatch(batch, blocks)


def _ranges(numbers: Sequence[int]) -> str:
    """``1..4, 6, 8..9``: short enough for an error message whatever the count."""
    parts: list[str] = []
    start = previous = numbers[0]
    for number in [*numbers[1:], None]:
        if number is not None and number == previous + 1:
            previous = number
            continue
        parts.append(str(start) if start == previous else f"{start}..{previous}")
        if number is not None:
            start = previous = number
    return ", ".join(parts[:8]) + (", ..." if len(parts) > 8 else "")
