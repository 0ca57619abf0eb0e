"""The block-level pieces of the step machine (docs/fault_proofs.md 2 and 4): the first and the
final state of a block's trace, the block totals, the parent header and block inputs as the
block-start and block-end steps read them, receipts, blooms and the header a block-end step
assembles. Pure functions over bytes; the step functions of :mod:`block_steps` and the tracer of
:mod:`block_tracer` share them, so there is one definition of each encoding.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

import rlp
from eth_abi import encode
from eth_hash.auto import keccak

from ordo.core.l1_fee import L1FeeRules
from ordo.faultproof.batch_inputs import BLOCK_INPUTS_BYTES, FEE_BLOCK_INPUTS_BYTES
from ordo.faultproof.machine_state import PHASE_BLOCK_START, PHASE_DONE, ZERO32
from ordo.faultproof.mpt_proof import BLANK_ROOT

BLOOM_BYTES = 256
ZERO_BLOOM = bytes(BLOOM_BYTES)
EMPTY_UNCLES_HASH = keccak(rlp.encode([]))
EMPTY_REQUESTS_HASH = bytes.fromhex(
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
"""sha256(b""): the EIP-7685 hash of no requests, a constant of every Ordo header."""
OUTPUT_VERSION = ZERO32
UINT64 = 1 << 64
MIN_GAS_LIMIT = 5_000
MAX_EXTRA_DATA = 32
BUILDER_LENGTH = 20
ANCHORED_EXTRA_LENGTH = 32
HEADER_FIELDS = 21
"""A Prague header: parent_hash, uncles_hash, coinbase, state_root, transaction_root,
receipt_root, bloom, difficulty, number, gas_limit, gas_used, timestamp, extra_data, mix_hash,
nonce, base_fee, withdrawals_root, blob_gas_used, excess_blob_gas, parent_beacon_block_root,
requests_hash."""
INVALID_OUTPUT = ZERO32
"""The output root a trace ends in when the block breaks a rule derivation enforces (section 4):
no claimed root equals it, so every claim about such a block loses."""


class BlockPartError(ValueError):
    """Bytes that are not what a block-level witness item must be."""


@dataclass(frozen=True)
class ChainRules:
    """The chain's parameters that no hash commits to (state_transition.md 1.6): constants of
    the verifier, fixed at deployment beside the inbox."""

    chain_id: int
    base_fee_floor: int
    elasticity_multiplier: int
    base_fee_max_change_denominator: int
    anchored: bool
    l1_fee: bool = False
    """The genesis has ``l1Fee`` (state_transition.md 6.4); the on-chain block-start part is
    deployed with this flag and reverts for such a chain until it proves the fee."""
    l1_fee_rules: L1FeeRules | None = None
    """The genesis's ``l1Fee`` (scalars, vault) that phases 1, 2 and 4 apply (4.1-4.3):
    required when ``l1_fee`` is set (without it block start is ``UnsupportedStep``), refused
    without it."""

    def __post_init__(self) -> None:
        if self.l1_fee_rules is not None and not self.l1_fee:
            raise ValueError("chain rules: l1_fee_rules given for a chain without the L1 fee")


def first_state(parent_output_root: bytes, inputs_root: bytes, position: int) -> bytes:
    """``keccak(abi(1, parent_output_root, inputs_root, k))``: the state a block's trace starts
    in, computable from claims the game holds (section 4)."""
    return keccak(encode(["uint256", "bytes32", "bytes32", "uint256"],
                         [PHASE_BLOCK_START, parent_output_root, inputs_root, position]))


def final_state(output_root: bytes) -> bytes:
    """``keccak(abi(6, output_root))``: the last state, repeated to the padded length."""
    return keccak(encode(["uint256", "bytes32"], [PHASE_DONE, output_root]))


def output_root(state_root: bytes, message_passer_root: bytes, block_hash: bytes) -> bytes:
    """The output root of state_transition.md 8.2 (version 0)."""
    return keccak(OUTPUT_VERSION + state_root + message_passer_root + block_hash)


def totals_hash(receipts_root: bytes, transactions_root: bytes, bloom: bytes,
                forced_next: int = 0, forced_end: int = 0) -> bytes:
    """The context's last word (section 2): ``keccak(receipts_root ‖ transactions_root ‖ bloom
    ‖ forced_next ‖ forced_end)``, 384 bytes: the block's receipts and transactions tries so
    far, the OR of their blooms, and the forced-queue items still to take (4.1)."""
    if len(bloom) != BLOOM_BYTES:
        raise BlockPartError("a bloom is 256 bytes")
    if not 0 <= forced_next <= forced_end < 1 << 256:
        raise BlockPartError("a forced-item cursor out of order")
    return keccak(receipts_root + transactions_root + bloom + forced_next.to_bytes(32, "big")
                  + forced_end.to_bytes(32, "big"))


EMPTY_TOTALS = totals_hash(BLANK_ROOT, BLANK_ROOT, ZERO_BLOOM)

KIND_TRANSACTION = 0
KIND_DEPOSIT = 1


@dataclass(frozen=True)
class QueueItem:
    """``ForcedInclusionQueue.items(i)`` as L1 stores it (the fields a step reads): its kind,
    the hash of a forced transaction's raw bytes, a deposit's recipient and amount, and the L1
    block it was enqueued at."""

    kind: int
    transaction_hash: bytes
    recipient: bytes
    amount: int
    enqueued_block: int


class ForcedQueue(Protocol):
    """The L1 queue as the verifier reads it at step time: the queue only appends and never
    changes an item, so a later read gives what derivation read."""

    def length(self) -> int: ...
    def item(self, index: int) -> QueueItem: ...


@dataclass(frozen=True)
class ListQueue:
    """A queue held in memory (tests, a challenger that read the L1 queue)."""

    items: tuple[QueueItem, ...] = ()

    def length(self) -> int:
        return len(self.items)

    def item(self, index: int) -> QueueItem:
        return self.items[index]


class QueueUnavailable(RuntimeError):
    """A step of an L1-anchored network needs the forced queue and none was given: the step
    cannot be decided (never guessed as an empty queue)."""


class NoQueue:
    """The default queue: a network without L1 never reads it; an anchored one raises
    :class:`QueueUnavailable` instead of seeing an empty queue."""

    def length(self) -> int:
        raise QueueUnavailable("block start of an L1-anchored network reads the forced queue; "
                               "none was given")

    def item(self, index: int) -> QueueItem:
        raise QueueUnavailable(f"forced-queue item {index} is needed; no queue was given")


NO_QUEUE: ForcedQueue = NoQueue()


@dataclass(frozen=True)
class BlockInputs:
    """The eight words of ``block_inputs_hash`` (section 5), decoded."""

    number: int
    timestamp: int
    coinbase: bytes
    gas_limit: int
    extra_data_hash: bytes
    mix_hash: bytes
    txs_root: bytes
    tx_count: int
    l1_fee_word: bytes = ZERO32
    """The ninth word: the header's L1 fee word (zero when the inputs have eight words)."""


def decode_block_inputs(data: bytes) -> BlockInputs:
    """The 256 bytes of a block's inputs, or 288 with a non-zero L1 fee word; refuses anything
    but eight canonical words, or nine with a zero ninth word (never what a batch encodes)."""
    if len(data) not in (BLOCK_INPUTS_BYTES, FEE_BLOCK_INPUTS_BYTES):
        raise BlockPartError(f"block inputs are {BLOCK_INPUTS_BYTES} or "
                             f"{FEE_BLOCK_INPUTS_BYTES} bytes")
    words = [data[i:i + 32] for i in range(0, len(data), 32)]
    fee_word = words[8] if len(words) == 9 else ZERO32
    if len(words) == 9 and fee_word == ZERO32:
        raise BlockPartError("block inputs: a ninth word that is zero")
    if any(words[i][:24] != bytes(24) for i in (0, 1, 3)) or words[2][:12] != bytes(12):
        raise BlockPartError("block inputs: a uint64 or address word with high bytes set")
    return BlockInputs(
        number=int.from_bytes(words[0], "big"), timestamp=int.from_bytes(words[1], "big"),
        coinbase=words[2][12:], gas_limit=int.from_bytes(words[3], "big"),
        extra_data_hash=words[4], mix_hash=words[5], txs_root=words[6],
        tx_count=int.from_bytes(words[7], "big"), l1_fee_word=fee_word)


@dataclass(frozen=True)
class ParentHeader:
    """What the block-start step reads of the parent header."""

    parent_hash: bytes
    state_root: bytes
    number: int
    gas_limit: int
    gas_used: int
    timestamp: int
    extra_data: bytes
    mix_hash: bytes
    base_fee: int
    l1_fee_word: bytes = ZERO32
    """``parent_beacon_block_root``: the L1 fee word (state_transition.md 6.4)."""


def _int(item: object) -> int:
    if not isinstance(item, bytes) or (item[:1] == b"\x00"):
        raise BlockPartError("a header integer that is not minimal big-endian")
    return int.from_bytes(item, "big")


def decode_header(data: bytes) -> ParentHeader:
    """A Prague header's RLP (21 fields); the caller checks ``keccak(data)`` against a hash."""
    try:
        items = rlp.decode(data, strict=True)
    except Exception as error:  # rlp raises several types for malformed input
        raise BlockPartError(f"a header that is not RLP: {error}") from error
    if not isinstance(items, list) or len(items) != HEADER_FIELDS or \
            not all(isinstance(item, bytes) for item in items):
        raise BlockPartError("a header that is not a list of 21 strings")
    if any(len(items[i]) != 32 for i in (0, 3, 13, 19)):
        raise BlockPartError("a header hash field that is not 32 bytes")
    return ParentHeader(
        parent_hash=items[0], state_root=items[3], number=_int(items[8]),
        gas_limit=_int(items[9]), gas_used=_int(items[10]), timestamp=_int(items[11]),
        extra_data=items[12], mix_hash=items[13], base_fee=_int(items[15]),
        l1_fee_word=items[19])


def header_parent_hash(data: bytes) -> bytes:
    """The parent hash of an ancestor header (the only field the hash chain needs)."""
    try:
        items = rlp.decode(data, strict=True)
    except Exception as error:  # rlp raises several types for malformed input
        raise BlockPartError(f"an ancestor header that is not RLP: {error}") from error
    if not isinstance(items, list) or len(items) != HEADER_FIELDS or \
            not isinstance(items[0], bytes) or len(items[0]) != 32:
        raise BlockPartError("an ancestor header that is not a Prague header")
    return bytes(items[0])


@dataclass(frozen=True)
class HeaderFields:
    """Everything a block-end step puts into the header (state_transition.md 2.1)."""

    parent_hash: bytes
    coinbase: bytes
    state_root: bytes
    transactions_root: bytes
    receipts_root: bytes
    bloom: bytes
    number: int
    gas_limit: int
    gas_used: int
    timestamp: int
    extra_data: bytes
    mix_hash: bytes
    base_fee: int
    l1_fee_word: bytes = ZERO32

    def encoded(self) -> bytes:
        """``rlp(header)`` with py-evm's Prague field order and Ordo's constants."""
        return rlp.encode([
            self.parent_hash, EMPTY_UNCLES_HASH, self.coinbase, self.state_root,
            self.transactions_root, self.receipts_root, self.bloom, 0, self.number,
            self.gas_limit, self.gas_used, self.timestamp, self.extra_data, self.mix_hash,
            bytes(8), self.base_fee, BLANK_ROOT, 0, 0, self.l1_fee_word, EMPTY_REQUESTS_HASH,
        ])


def next_base_fee(parent: ParentHeader, rules: ChainRules) -> int:
    """state_transition.md 2.5 (the engine's ``base_fee.next_base_fee``)."""
    target = parent.gas_limit // rules.elasticity_multiplier
    denominator = rules.base_fee_max_change_denominator
    if target == 0 or parent.gas_used == target:
        fee = parent.base_fee
    elif parent.gas_used > target:
        fee = parent.base_fee + max(
            parent.base_fee * (parent.gas_used - target) // target // denominator, 1)
    else:
        fee = parent.base_fee - parent.base_fee * (target - parent.gas_used) // target // \
            denominator
    return max(fee, rules.base_fee_floor)


def bloom_of(logs: Sequence[tuple[bytes, Sequence[bytes], bytes]]) -> bytes:
    """The 2048-bit Ethereum bloom of the logs' addresses and topics, 256 bytes big-endian."""
    bits = 0
    for address, topics, _data in logs:
        for item in (address, *topics):
            digest = keccak(item)
            for i in (0, 2, 4):
                bits |= 1 << (((digest[i] << 8) | digest[i + 1]) & 2047)
    return bits.to_bytes(BLOOM_BYTES, "big")


def bloom_or(a: bytes, b: bytes) -> bytes:
    return bytes(x | y for x, y in zip(a, b, strict=True))


def receipt_encoding(tx_type: int | None, success: bool, cumulative_gas: int,
                     logs: Sequence[tuple[bytes, Sequence[bytes], bytes]]) -> bytes:
    """``rlp([status, cumulative_gas, bloom, logs])``, prefixed by the type byte for a typed
    transaction (state_transition.md 7.1)."""
    body = rlp.encode([b"\x01" if success else b"", cumulative_gas, bloom_of(logs),
                       [[address, list(topics), data] for address, topics, data in logs]])
    return body if tx_type is None else bytes([tx_type]) + body


def log_entry_hash(address: bytes, topics: Sequence[bytes], data: bytes) -> bytes:
    """The hash a LOG step chains into ``logs_hash`` (1.4)."""
    return keccak(rlp.encode([address, list(topics), data]))
