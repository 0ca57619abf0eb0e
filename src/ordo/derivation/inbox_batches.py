"""The RollupInbox as a verifier reads it: ``BatchAccepted`` events and ``submit_batch`` calls.

An event names everything needed to find and check a batch's data (the header's commitments
and, for blobs, the versioned hashes); the payload of a calldata batch travels only in the L1
transaction's input, so that input is decoded as a ``submit_batch`` call and its header must hash
to the event's ``header_hash``: that ties the payload read to the batch accepted. Pure.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from eth_abi import decode as abi_decode
from eth_abi.exceptions import DecodingError

from ordo.batcher.batch_header import (
    BatchHeader,
    BatchHeaderError,
    DataKind,
    Producer,
    batch_digest,
)
from ordo.derivation.errors import DerivationError
from ordo.l1.abi_codec import AbiError
from ordo.l1.chain_records import L1Log
from ordo.l1.rollup_deploy import inbox_abi

EVENT_NAME = "BatchAccepted"
SUBMIT_FUNCTION = "submit_batch"
FALLBACK_FUNCTION = "submit_fallback_batch"


@dataclass(frozen=True)
class AcceptedBatch:
    """One ``BatchAccepted`` event and where it was logged on L1."""

    index: int
    header_hash: bytes
    submitter: bytes
    first_block: int
    last_block: int
    last_block_hash: bytes
    output_root: bytes
    inputs_root: bytes
    """What the batch's blocks must give (``ordo.faultproof.batch_inputs.inputs_root``)."""
    data_kind: DataKind
    data_hash: bytes
    epoch: int
    forced_through: int
    blob_hashes: tuple[bytes, ...]
    l1_block_number: int
    l1_block_hash: bytes
    l1_transaction: bytes
    l1_log_index: int
    fallback: bool = False
    """Posted unsigned and bonded after the sequencers were silent (submit_fallback_batch):
    its blocks must be the ones L1 alone determines (``fallback_rules``)."""

    @property
    def block_count(self) -> int:
        return self.last_block - self.first_block + 1


@dataclass(frozen=True)
class SubmittedBatch:
    """The arguments of one ``submit_batch`` call."""

    header: BatchHeader
    signatures: tuple[bytes, ...]
    payload: bytes


def batch_accepted_topic() -> bytes:
    return inbox_abi().event(EVENT_NAME).topic


def accepted_batch(log: L1Log) -> AcceptedBatch:
    """The event in ``log``; DerivationError if it is not a well-formed BatchAccepted."""
    where = f"L1 log {log.log_index} of transaction 0x{log.transaction_hash.hex()}"
    if log.removed:
        raise DerivationError(f"{where}: removed by an L1 reorganisation")
    try:
        arguments = inbox_abi().event(EVENT_NAME).decode(log).arguments
    except AbiError as error:
        raise DerivationError(f"{where}: {error}") from error
    try:
        kind = DataKind(int(arguments["data_kind"]))
    except ValueError as error:
        raise DerivationError(f"{where}: data_kind {arguments['data_kind']} is unknown") \
            from error
    return AcceptedBatch(
        index=int(arguments["index"]),
        header_hash=bytes(arguments["header_hash"]),
        submitter=_address(arguments["submitter"]),
        first_block=int(arguments["first_block"]),
        last_block=int(arguments["last_block"]),
        last_block_hash=bytes(arguments["last_block_hash"]),
        output_root=bytes(arguments["output_root"]),
        inputs_root=bytes(arguments["inputs_root"]),
        data_kind=kind,
        data_hash=bytes(arguments["data_hash"]),
        epoch=int(arguments["epoch"]),
        forced_through=int(arguments["forced_through"]),
        blob_hashes=tuple(bytes(value) for value in arguments["blob_hashes"]),
        l1_block_number=log.block_number,
        l1_block_hash=log.block_hash,
        l1_transaction=log.transaction_hash,
        l1_log_index=log.log_index,
        fallback=bool(arguments["fallback"]),
    )


def decode_submit_batch(call_input: bytes) -> SubmittedBatch:
    """The arguments of a ``submit_batch`` or ``submit_fallback_batch`` call (the latter has
    no signatures); DerivationError for any other input."""
    signed = inbox_abi().function(SUBMIT_FUNCTION, 3)
    unsigned = inbox_abi().function(FALLBACK_FUNCTION, 2)
    function = signed if call_input[:4] == signed.selector else unsigned
    if call_input[:4] != function.selector:
        raise DerivationError(f"input starts with 0x{call_input[:4].hex()}, not the "
                              f"{SUBMIT_FUNCTION} selector 0x{signed.selector.hex()} nor the "
                              f"{FALLBACK_FUNCTION} selector 0x{unsigned.selector.hex()}")
    try:
        decoded = abi_decode(list(function.input_types), call_input[4:])
    except (DecodingError, ValueError, OverflowError) as error:
        raise DerivationError(f"{function.name} input does not decode: {error}") from error
    header_tuple, payload = decoded[0], decoded[-1]
    signatures = decoded[1] if function is signed else ()
    return SubmittedBatch(_header(header_tuple), tuple(bytes(value) for value in signatures),
                          bytes(payload))


def calldata_payload(batch: AcceptedBatch, call_input: bytes, l2_chain_id: int,
                     inbox: bytes) -> bytes:
    """The payload the L1 transaction of ``batch`` carried, once its header is shown to be the
    accepted one (its digest is the event's header_hash)."""
    try:
        submitted = decode_submit_batch(call_input)
    except DerivationError as error:
        raise DerivationError(
            f"batch {batch.index}: L1 transaction 0x{batch.l1_transaction.hex()} is not a direct "
            f"{SUBMIT_FUNCTION} call ({error}); its payload cannot be read from its input"
        ) from error
    digest = batch_digest(submitted.header, l2_chain_id, inbox)
    if digest != batch.header_hash:
        raise DerivationError(
            f"batch {batch.index}: L1 transaction 0x{batch.l1_transaction.hex()} submits header "
            f"0x{digest.hex()}, the event accepted 0x{batch.header_hash.hex()}")
    return submitted.payload


def _header(value: Sequence[Any]) -> BatchHeader:
    (index, first, last, block_hash, output_root, inputs_root, kind, data_hash, epoch, producers,
     forced_through) = value
    try:
        return BatchHeader(
            index=int(index), first_block=int(first), last_block=int(last),
            last_block_hash=bytes(block_hash), output_root=bytes(output_root),
            inputs_root=bytes(inputs_root),
            data_kind=DataKind(int(kind)), data_hash=bytes(data_hash), epoch=int(epoch),
            producers=tuple(Producer(_address(signer), int(blocks))
                            for signer, blocks in producers),
            forced_through=int(forced_through))
    except (BatchHeaderError, ValueError) as error:
        raise DerivationError(f"{SUBMIT_FUNCTION} header is malformed: {error}") from error


def _address(value: Any) -> bytes:
    if isinstance(value, bytes):
        return value
    return bytes.fromhex(str(value).removeprefix("0x"))
