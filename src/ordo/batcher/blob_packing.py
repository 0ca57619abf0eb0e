"""EIP-4844 blobs for batch payloads: bytes <-> blobs, and KZG commitments, proofs and versioned
hashes with ckzg.

A blob is 4096 field elements of 32 bytes, each below the BLS12-381 modulus. We fill 31 bytes of
each element and keep its first byte zero, which keeps every element in the field whatever the
data (the modulus starts 0x73, so a full 32 bytes would sometimes overflow): 126 976 usable
bytes per blob. The byte stream is ``length (4 bytes, big endian) || data || zero padding``; the
unpacker refuses a non-zero high byte, a length beyond the blobs' capacity and non-zero padding,
so each payload has exactly one blob encoding and a decoder cannot be fed two.

The trusted setup (the Ethereum KZG ceremony output that py-evm ships) is loaded once per
process, on first use, not per blob.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

import ckzg

FIELD_ELEMENTS_PER_BLOB = 4096
BYTES_PER_FIELD_ELEMENT = 32
USABLE_BYTES_PER_ELEMENT = 31
BYTES_PER_BLOB = FIELD_ELEMENTS_PER_BLOB * BYTES_PER_FIELD_ELEMENT
USABLE_BYTES_PER_BLOB = FIELD_ELEMENTS_PER_BLOB * USABLE_BYTES_PER_ELEMENT
MAX_BLOBS_PER_TRANSACTION = 6
LENGTH_PREFIX = 4
MAX_PAYLOAD_IN_BLOBS = MAX_BLOBS_PER_TRANSACTION * USABLE_BYTES_PER_BLOB - LENGTH_PREFIX
VERSIONED_HASH_VERSION_KZG = b"\x01"


class BlobPackingError(ValueError):
    """Data does not fit in blobs, or blobs do not hold a canonically packed payload."""


def blob_count_for(length: int) -> int:
    """How many blobs a payload of ``length`` bytes takes."""
    total = length + LENGTH_PREFIX
    return max(1, -(-total // USABLE_BYTES_PER_BLOB))


def pack_blobs(payload: bytes) -> tuple[bytes, ...]:
    """``payload`` in as few blobs as hold it (at most MAX_BLOBS_PER_TRANSACTION)."""
    if len(payload) > MAX_PAYLOAD_IN_BLOBS:
        raise BlobPackingError(f"payload of {len(payload)} bytes: {MAX_BLOBS_PER_TRANSACTION} "
                               f"blobs hold at most {MAX_PAYLOAD_IN_BLOBS}")
    count = blob_count_for(len(payload))
    stream = len(payload).to_bytes(LENGTH_PREFIX, "big") + payload
    stream += bytes(count * USABLE_BYTES_PER_BLOB - len(stream))
    blobs = []
    for blob_index in range(count):
        chunk = stream[blob_index * USABLE_BYTES_PER_BLOB:(blob_index + 1) *
                       USABLE_BYTES_PER_BLOB]
        blob = bytearray(BYTES_PER_BLOB)
        for element in range(FIELD_ELEMENTS_PER_BLOB):
            start = element * BYTES_PER_FIELD_ELEMENT + 1
            source = element * USABLE_BYTES_PER_ELEMENT
            blob[start:start + USABLE_BYTES_PER_ELEMENT] = \
                chunk[source:source + USABLE_BYTES_PER_ELEMENT]
        blobs.append(bytes(blob))
    return tuple(blobs)


def unpack_blobs(blobs: Sequence[bytes]) -> bytes:
    """The payload ``pack_blobs`` put in ``blobs``; BlobPackingError for anything it would not
    have produced."""
    if not 1 <= len(blobs) <= MAX_BLOBS_PER_TRANSACTION:
        raise BlobPackingError(f"{len(blobs)} blobs: a payload is in 1.."
                               f"{MAX_BLOBS_PER_TRANSACTION}")
    parts: list[bytes] = []
    for blob_index, blob in enumerate(blobs):
        if len(blob) != BYTES_PER_BLOB:
            raise BlobPackingError(f"blob {blob_index}: {len(blob)} bytes, not {BYTES_PER_BLOB}")
        view = memoryview(blob)
        if any(view[element * BYTES_PER_FIELD_ELEMENT] for element in
               range(FIELD_ELEMENTS_PER_BLOB)):
            raise BlobPackingError(f"blob {blob_index}: a field element's high byte is not zero")
        parts.extend(bytes(view[element * BYTES_PER_FIELD_ELEMENT + 1:
                                (element + 1) * BYTES_PER_FIELD_ELEMENT])
                     for element in range(FIELD_ELEMENTS_PER_BLOB))
    stream = b"".join(parts)
    length = int.from_bytes(stream[:LENGTH_PREFIX], "big")
    if blob_count_for(length) != len(blobs):
        raise BlobPackingError(f"length {length} needs {blob_count_for(length)} blobs, "
                               f"got {len(blobs)}")
    end = LENGTH_PREFIX + length
    if any(stream[end:]):
        raise BlobPackingError("non-zero bytes after the payload")
    return stream[LENGTH_PREFIX:end]


def trusted_setup_path() -> str:
    """py-evm's copy of the Ethereum KZG ceremony output (py-evm is a pinned dependency)."""
    located = resources.files("eth") / "_utils" / "kzg_trusted_setup.txt"
    if not located.is_file():
        raise FileNotFoundError(f"KZG trusted setup not found at {located}: py-evm moved it")
    return str(located)


@cache
def kzg_settings() -> Any:
    """Loaded once per process: loading takes about a second, a commitment milliseconds."""
    return ckzg.load_trusted_setup(trusted_setup_path(), 0)


def versioned_hash(commitment: bytes) -> bytes:
    return VERSIONED_HASH_VERSION_KZG + hashlib.sha256(commitment).digest()[1:]


@dataclass(frozen=True)
class BlobSidecar:
    """What a type-3 transaction carries beside its body, and the hashes the body names."""

    blobs: tuple[bytes, ...]
    commitments: tuple[bytes, ...]
    proofs: tuple[bytes, ...]
    versioned_hashes: tuple[bytes, ...]


def blob_sidecar(blobs: Sequence[bytes]) -> BlobSidecar:
    """Commitments and (EIP-4844 blob) proofs for ``blobs``, with one loaded trusted setup."""
    settings = kzg_settings()
    commitments = tuple(bytes(ckzg.blob_to_kzg_commitment(blob, settings)) for blob in blobs)
    proofs = tuple(bytes(ckzg.compute_blob_kzg_proof(blob, commitment, settings))
                   for blob, commitment in zip(blobs, commitments, strict=True))
    return BlobSidecar(tuple(blobs), commitments, proofs,
                       tuple(versioned_hash(commitment) for commitment in commitments))
