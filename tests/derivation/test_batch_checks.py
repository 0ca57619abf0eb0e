"""The pure refusals: data that does not match its commitment, blocks outside the header's
range, batches out of order, submit_batch inputs that are not the accepted header."""

from __future__ import annotations

from dataclasses import replace

import pytest

from ordo.batcher.batch_codec import compress_blocks
from ordo.batcher.batch_header import BatchHeader, DataKind, Producer, batch_digest
from ordo.batcher.blob_packing import blob_sidecar, pack_blobs
from ordo.core.batch_blocks import BatchBlock
from ordo.derivation.batch_data import checked_blobs, checked_calldata, decode_batch
from ordo.derivation.batch_sequence import BatchSequence, in_index_order
from ordo.derivation.errors import DerivationError, InvalidBatch
from ordo.derivation.inbox_batches import calldata_payload, decode_submit_batch
from ordo.faultproof.batch_inputs import inputs_root
from ordo.l1.rollup_deploy import inbox_abi
from tests.derivation.batch_fixtures import accepted

L2_CHAIN_ID = 77077
INBOX = b"\x42" * 20


def blocks(first: int, last: int) -> list[BatchBlock]:
    return [BatchBlock(number, 1000 + number, b"\x01" * 20, 30_000_000, b"", bytes(32),
                       (b"\x02raw",)) for number in range(first, last + 1)]


def test_calldata_must_hash_to_data_hash() -> None:
    batch = accepted(0, 1, 2, payload=b"\x01the posted payload")
    assert checked_calldata(batch, b"\x01the posted payload") == b"\x01the posted payload"
    with pytest.raises(InvalidBatch, match=r"^batch 0: payload hashes to 0x[0-9a-f]{64}, the "
                                           r"header commits to 0x"):
        checked_calldata(batch, b"\x01another payload")


def test_blobs_must_commit_to_the_event_hashes_in_order() -> None:
    first = blob_sidecar(pack_blobs(b"first" * 30_000))
    second = blob_sidecar(pack_blobs(b"second"))
    assert len(first.blobs) == 2
    batch = accepted(3, 1, 1, blob_hashes=first.versioned_hashes)
    assert checked_blobs(batch, first.blobs) == b"first" * 30_000
    with pytest.raises(InvalidBatch, match="batch 3: 1 blobs served, the event names 2"):
        checked_blobs(batch, first.blobs[:1])
    with pytest.raises(InvalidBatch, match=r"batch 3: blob 0 commits to versioned hash 0x"):
        checked_blobs(batch, tuple(reversed(first.blobs)))
    with pytest.raises(InvalidBatch, match=r"batch 3: blob 1 commits to versioned hash 0x"
                                           rf"{second.versioned_hashes[0].hex()}"):
        checked_blobs(batch, (first.blobs[0], second.blobs[0]))
    with pytest.raises(InvalidBatch, match="batch 3: carries blobs, not a calldata payload"):
        checked_calldata(batch, b"\x01")


def test_decoded_blocks_must_be_exactly_the_header_range() -> None:
    payload = compress_blocks(blocks(5, 8))
    signed = accepted(1, 5, 8, inputs_root=inputs_root(blocks(5, 8)))
    assert [block.number for block in decode_batch(signed, payload).blocks] == [5, 6, 7, 8]
    with pytest.raises(InvalidBatch, match=r"batch 1: payload holds blocks 5\.\.8, the header "
                                           r"covers 5\.\.9"):
        decode_batch(accepted(1, 5, 9), payload)
    gapped = compress_blocks(blocks(5, 6) + blocks(8, 8))
    with pytest.raises(InvalidBatch, match=r"payload holds blocks 5\.\.6, 8, the header covers "
                                           r"5\.\.7"):
        decode_batch(accepted(1, 5, 7), gapped)
    with pytest.raises(InvalidBatch, match="batch 1: payload does not decode: payload version "
                                           "2"):
        decode_batch(accepted(1, 5, 8), b"\x02" + payload[1:])
    with pytest.raises(InvalidBatch, match="batch 1: payload does not decode: not a zstd frame"):
        decode_batch(accepted(1, 5, 8), b"\x01garbage")


def test_decoded_blocks_must_give_the_signed_inputs_root() -> None:
    """The game reads inputs through the signed root, so a payload that decodes to other
    inputs (here one transaction fewer in block 6) is refused before anything runs."""
    posted = blocks(5, 8)
    other = list(posted)
    other[1] = replace(other[1], transactions=())
    signed = accepted(1, 5, 8, inputs_root=inputs_root(other))
    with pytest.raises(InvalidBatch, match=rf"^batch 1: payload's blocks give inputs_root "
                                           rf"0x{inputs_root(posted).hex()}, the signed header "
                                           rf"commits to 0x{inputs_root(other).hex()}$"):
        decode_batch(signed, compress_blocks(posted))


def test_sequence_refuses_gaps_repeats_and_discontinuous_blocks() -> None:
    sequence = BatchSequence()
    sequence.accept(accepted(0, 1, 4))
    with pytest.raises(DerivationError, match="batch 2 arrived where batch 1 was due: a batch "
                                              "is missing before it"):
        sequence.accept(accepted(2, 5, 6))
    with pytest.raises(DerivationError, match="batch 0 arrived where batch 1 was due: it was "
                                              "derived already"):
        sequence.accept(accepted(0, 1, 4))
    with pytest.raises(InvalidBatch, match=r"batch 1: first_block 6 does not follow the "
                                           r"previous batch \(next block 5\)"):
        sequence.accept(accepted(1, 6, 7))
    sequence.accept(accepted(1, 5, 5))
    assert (sequence.next_index, sequence.next_block) == (2, 6)


def test_index_order_sorts_and_refuses_two_headers_for_one_index() -> None:
    ordered = in_index_order([accepted(2, 7, 7), accepted(0, 1, 3), accepted(1, 4, 6)])
    assert [batch.index for batch in ordered] == [0, 1, 2]
    other = accepted(1, 4, 9)
    other = type(other)(**{**other.__dict__, "header_hash": b"\x99" * 32})
    with pytest.raises(DerivationError, match="batch 1 accepted twice with different headers"):
        in_index_order([accepted(1, 4, 6), other])


def submit_input(header: BatchHeader, payload: bytes) -> bytes:
    return inbox_abi().function("submit_batch", 3).encode_call(
        [header.as_abi_tuple(), [b"\x01" * 65], payload])


def test_submit_batch_input_gives_the_payload_of_the_accepted_header_only() -> None:
    payload = b"\x01compressed"
    header = BatchHeader(index=4, first_block=10, last_block=12, last_block_hash=b"\x03" * 32,
                         output_root=b"\x04" * 32, inputs_root=b"\x07" * 32,
                         data_kind=DataKind.CALLDATA,
                         data_hash=b"\x05" * 32, epoch=2,
                         producers=(Producer(b"\x06" * 20, 3),), forced_through=1)
    decoded = decode_submit_batch(submit_input(header, payload))
    assert decoded.header == header
    assert decoded.payload == payload
    assert decoded.signatures == (b"\x01" * 65,)
    record = accepted(4, 10, 12)
    matching = type(record)(**{**record.__dict__,
                               "header_hash": batch_digest(header, L2_CHAIN_ID, INBOX)})
    assert calldata_payload(matching, submit_input(header, payload), L2_CHAIN_ID, INBOX) == \
        payload
    with pytest.raises(DerivationError, match=r"batch 4: L1 transaction 0x[0-9a-f]{64} submits "
                                              r"header 0x[0-9a-f]{64}, the event accepted 0x"):
        calldata_payload(matching, submit_input(header, payload), L2_CHAIN_ID + 1, INBOX)
    with pytest.raises(DerivationError, match=r"is not a direct submit_batch call \(input starts"
                                              r" with 0xa9059cbb"):
        calldata_payload(matching, bytes.fromhex("a9059cbb") + bytes(64), L2_CHAIN_ID, INBOX)
