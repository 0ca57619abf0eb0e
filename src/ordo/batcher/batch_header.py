"""The batch header sequencers sign and the RollupInbox checks: type, digest, signatures.

Sequencers sign batch headers rather than the commit certificate of the batch's last block: a
certificate covers a block hash but not the batch data, so anyone holding a public certificate
could post garbage data under it. The header commits to the data (``data_hash``) and to the
blocks' inputs in a form L1 can read one block at a time (``inputs_root``, docs/fault_proofs.md
section 5: the payload is compressed, so the dispute game cannot read it), and its digest is
domain separated by a tag, the L2 chain id and the inbox address, so a signature is good for
exactly one batch of one chain at one inbox::

    keccak256(abi.encode(BATCH_DOMAIN, l2_chain_id, inbox, index, first_block, last_block,
                         last_block_hash, output_root, inputs_root, data_kind, data_hash,
                         epoch, producers, forced_through))

``RollupInbox.vy`` rebuilds the same bytes with one ``abi_encode``; the contract tests check
that its ``header_hash`` equals :func:`batch_digest`. Everything here is pure.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import IntEnum
from typing import Any

from eth_abi import encode
from eth_hash.auto import keccak

from ordo.consensus.signing import LocalSigner, recover_signer

BATCH_DOMAIN = keccak(b"ordo.batch.v2")
MAX_PRODUCERS = 64
MAX_SIGNATURES = 64
MAX_UINT64 = 2**64 - 1
MAX_UINT256 = 2**256 - 1

DIGEST_TYPES = (
    "bytes32", "uint256", "address",
    "uint256", "uint64", "uint64", "bytes32", "bytes32", "bytes32", "uint8", "bytes32", "uint256",
    "(address,uint256)[]", "uint256",
)


class DataKind(IntEnum):
    """Where a batch's payload travels."""

    CALLDATA = 0
    BLOBS = 1


class BatchHeaderError(ValueError):
    """A header field or a signature set is malformed; the message names which and why."""


@dataclass(frozen=True)
class Producer:
    """``blocks`` blocks of the batch were produced by the sequencer voting with ``signer``."""

    signer: bytes
    blocks: int

    def __post_init__(self) -> None:
        _check_bytes(self.signer, 20, "producer signer")
        _check_uint(self.blocks, MAX_UINT256, "producer blocks")
        if self.blocks == 0:
            raise BatchHeaderError("producer blocks: must be positive")


@dataclass(frozen=True)
class BatchHeader:
    index: int
    """Sequential from 0."""
    first_block: int
    last_block: int
    last_block_hash: bytes
    output_root: bytes
    """Output root of ``last_block`` (ordo.core.output_root)."""
    inputs_root: bytes
    """``ordo.faultproof.batch_inputs.inputs_root`` of the batch's blocks (the inbox refuses
    zero)."""
    data_kind: DataKind
    data_hash: bytes
    """keccak256 of the calldata payload, or of the concatenated blob versioned hashes."""
    epoch: int
    """The LockingPool epoch whose set signs."""
    producers: tuple[Producer, ...]
    forced_through: int
    """Forced-queue items [0, forced_through) are in L2 blocks up to ``last_block``."""

    def __post_init__(self) -> None:
        _check_uint(self.index, MAX_UINT256, "index")
        _check_uint(self.first_block, MAX_UINT64, "first_block")
        _check_uint(self.last_block, MAX_UINT64, "last_block")
        if self.first_block == 0:
            raise BatchHeaderError("first_block: L2 block 0 is genesis and is never posted")
        if self.last_block < self.first_block:
            raise BatchHeaderError(f"last_block {self.last_block} is before first_block "
                                   f"{self.first_block}")
        _check_bytes(self.last_block_hash, 32, "last_block_hash")
        _check_bytes(self.output_root, 32, "output_root")
        _check_bytes(self.inputs_root, 32, "inputs_root")
        _check_bytes(self.data_hash, 32, "data_hash")
        if not isinstance(self.data_kind, DataKind):
            raise BatchHeaderError(f"data_kind: {self.data_kind!r} is not a DataKind")
        _check_uint(self.epoch, MAX_UINT256, "epoch")
        _check_uint(self.forced_through, MAX_UINT256, "forced_through")
        if not isinstance(self.producers, tuple) or \
                not all(isinstance(entry, Producer) for entry in self.producers):
            raise BatchHeaderError("producers: must be a tuple of Producer")
        if len(self.producers) > MAX_PRODUCERS:
            raise BatchHeaderError(f"producers: {len(self.producers)} entries, at most "
                                   f"{MAX_PRODUCERS}")
        produced = sum(entry.blocks for entry in self.producers)
        if self.producers and produced != self.block_count:
            raise BatchHeaderError(f"producers: {produced} blocks credited, the batch has "
                                   f"{self.block_count}")

    @property
    def is_fallback(self) -> bool:
        """No producers: a batch anyone posts, unsigned and bonded, once the sequencers are
        silent (``RollupInbox.submit_fallback_batch``); signed batches credit every block."""
        return not self.producers

    @property
    def block_count(self) -> int:
        return self.last_block - self.first_block + 1

    def as_abi_tuple(self) -> tuple[Any, ...]:
        """The header as the ``BatchHeader`` struct argument of ``submit_batch``."""
        return (self.index, self.first_block, self.last_block, self.last_block_hash,
                self.output_root, self.inputs_root, int(self.data_kind), self.data_hash,
                self.epoch,
                [(entry.signer, entry.blocks) for entry in self.producers], self.forced_through)


def batch_digest(header: BatchHeader, l2_chain_id: int, inbox: bytes) -> bytes:
    """What every sequencer signs for ``header``; also the header hash the inbox logs."""
    _check_uint(l2_chain_id, MAX_UINT256, "l2_chain_id")
    _check_bytes(inbox, 20, "inbox")
    return keccak(encode(list(DIGEST_TYPES), [
        BATCH_DOMAIN, l2_chain_id, inbox, *header.as_abi_tuple()]))


def sign_batch_header(signer: LocalSigner, header: BatchHeader, l2_chain_id: int,
                      inbox: bytes) -> bytes:
    """A 65-byte r || s || parity signature over the header's digest (low s, parity 0/1)."""
    return signer.sign(batch_digest(header, l2_chain_id, inbox))


def calldata_data_hash(payload: bytes) -> bytes:
    return keccak(payload)


def blob_data_hash(versioned_hashes: Sequence[bytes]) -> bytes:
    """keccak256 of the versioned hashes concatenated in blob order (the inbox reads them with
    ``blobhash(i)``)."""
    if not versioned_hashes:
        raise BatchHeaderError("versioned hashes: a blob batch needs at least one blob")
    for position, value in enumerate(versioned_hashes):
        _check_bytes(value, 32, f"versioned hash {position}")
    return keccak(b"".join(versioned_hashes))


def ordered_signatures(digest: bytes, signatures: Iterable[bytes],
                       members: Iterable[bytes]) -> list[bytes]:
    """The signatures the inbox takes: one per signer of ``members``, in ascending signer
    address order (how the contract rejects a repeated signer cheaply).

    A signature that does not recover, or recovers to an address outside ``members`` (another
    header, another key), is dropped; of several by one signer the first is kept. Whether the
    rest carries more than 2/3 of the stake is the caller's (and the contract's) check.
    """
    _check_bytes(digest, 32, "digest")
    allowed = set(members)
    by_signer: dict[bytes, bytes] = {}
    for signature in signatures:
        signer = recover_signer(digest, bytes(signature))
        if signer is not None and signer in allowed:
            by_signer.setdefault(signer, bytes(signature))
    ordered = [by_signer[signer] for signer in sorted(by_signer)]
    if len(ordered) > MAX_SIGNATURES:
        raise BatchHeaderError(f"{len(ordered)} signers: the inbox takes at most "
                               f"{MAX_SIGNATURES}")
    return ordered


def _check_uint(value: object, maximum: int, name: str) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= maximum:
        raise BatchHeaderError(f"{name}: {value!r} is not an integer in 0..{maximum}")


def _check_bytes(value: object, length: int, name: str) -> None:
    if not isinstance(value, bytes) or len(value) != length:
        raise BatchHeaderError(f"{name}: {value!r:.80} is not {length} bytes")
