"""Blob packing round-trips, refuses non-canonical blobs, and ckzg commitments verify."""

from __future__ import annotations

import ckzg
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ordo.batcher.blob_packing import (
    BYTES_PER_BLOB,
    MAX_PAYLOAD_IN_BLOBS,
    USABLE_BYTES_PER_BLOB,
    BlobPackingError,
    blob_count_for,
    blob_sidecar,
    kzg_settings,
    pack_blobs,
    unpack_blobs,
)


@settings(max_examples=40, deadline=None)
@given(st.binary(max_size=3 * USABLE_BYTES_PER_BLOB // 2))
def test_round_trips(payload: bytes) -> None:
    blobs = pack_blobs(payload)
    assert len(blobs) == blob_count_for(len(payload))
    assert all(len(blob) == BYTES_PER_BLOB for blob in blobs)
    assert all(blob[index] == 0 for blob in blobs for index in range(0, BYTES_PER_BLOB, 32))
    assert unpack_blobs(blobs) == payload


def test_capacity_edges() -> None:
    assert blob_count_for(USABLE_BYTES_PER_BLOB - 4) == 1
    assert blob_count_for(USABLE_BYTES_PER_BLOB - 3) == 2
    full = bytes(range(256)) * (MAX_PAYLOAD_IN_BLOBS // 256) + b"\xff" * (
        MAX_PAYLOAD_IN_BLOBS % 256)
    blobs = pack_blobs(full)
    assert len(blobs) == 6
    assert unpack_blobs(blobs) == full
    with pytest.raises(BlobPackingError, match="hold at most"):
        pack_blobs(full + b"!")


def test_refuses_non_canonical_blobs() -> None:
    (blob,) = pack_blobs(b"payload")
    high = bytearray(blob)
    high[32 * 5] = 1
    with pytest.raises(BlobPackingError, match="high byte is not zero"):
        unpack_blobs([bytes(high)])
    padded = bytearray(blob)
    padded[-1] = 1
    with pytest.raises(BlobPackingError, match="non-zero bytes after the payload"):
        unpack_blobs([bytes(padded)])
    with pytest.raises(BlobPackingError, match="needs 1 blobs, got 2"):
        unpack_blobs([blob, blob])
    with pytest.raises(BlobPackingError, match="not 131072"):
        unpack_blobs([blob[:-1]])
    with pytest.raises(BlobPackingError, match=r"a payload is in 1\.\.6"):
        unpack_blobs([])


def test_sidecar_commitments_verify_and_hashes_are_versioned() -> None:
    sidecar = blob_sidecar(pack_blobs(b"\x01" * (USABLE_BYTES_PER_BLOB + 10)))
    assert len(sidecar.blobs) == len(sidecar.commitments) == len(sidecar.proofs) == 2
    assert all(len(value) == 32 and value[0] == 1 for value in sidecar.versioned_hashes)
    assert ckzg.verify_blob_kzg_proof_batch(b"".join(sidecar.blobs),
                                            b"".join(sidecar.commitments),
                                            b"".join(sidecar.proofs), kzg_settings())
    assert kzg_settings() is kzg_settings()  # loaded once per process
