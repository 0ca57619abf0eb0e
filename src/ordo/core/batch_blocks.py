"""A compact, canonical byte encoding of a run of L2 blocks, before compression.

What is posted is what a verifier needs to re-execute the blocks, and nothing it can recompute:
the block number and timestamp as deltas from the previous block, the header fields a block
chooses (coinbase, gas limit, extra data, mix hash, L1 fee word) only when they differ from
the previous block's, and the raw signed transactions. Layout (varint = unsigned LEB128,
minimal)::

    varint block_count (>= 1)
    per block:
        byte   flags: 1 coinbase, 2 gas_limit, 4 extra_data, 8 mix_hash, 16 l1_fee_word
               (present = changed)
        varint number     (first block) | number - previous number - 1   (later blocks)
        varint timestamp  (first block) | timestamp - previous timestamp
        [20 bytes coinbase] [varint gas_limit] [varint length, extra_data] [32 bytes mix_hash]
        [32 bytes l1_fee_word]
        varint transaction_count, then per transaction: varint length, raw transaction

The first block compares against "nothing": zero coinbase, gas limit 0, empty extra data, zero
mix hash, zero L1 fee word (so a chain without the L1 fee encodes exactly as before it). The
encoding is canonical: the decoder refuses a flag set for an unchanged field, a non-minimal
varint, an unknown flag and trailing bytes, so ``encode(decode(b)) == b`` for every
``b`` it accepts and a verifier can never be shown two encodings of the same blocks. Pure.

In ``core/`` (not ``batcher/``) because the batcher that writes it, the derivation that reads it
and the fault proof that commits to its blocks (``faultproof/batch_inputs.py``) all need it, and
the fault proof sits below the batcher (docs/design.md §2, the layers).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

MAX_UINT64 = 2**64 - 1
MAX_EXTRA_DATA = 1_024
MAX_TRANSACTION_BYTES = 1 << 24
MAX_TRANSACTIONS_PER_BLOCK = 1 << 20
MAX_BLOCKS = 1 << 20
FLAG_COINBASE = 1
FLAG_GAS_LIMIT = 2
FLAG_EXTRA_DATA = 4
FLAG_MIX_HASH = 8
FLAG_L1_FEE_WORD = 16
KNOWN_FLAGS = FLAG_COINBASE | FLAG_GAS_LIMIT | FLAG_EXTRA_DATA | FLAG_MIX_HASH | FLAG_L1_FEE_WORD


class BlockEncodingError(ValueError):
    """Blocks that cannot be encoded, or bytes that are not a canonical encoding."""


@dataclass(frozen=True)
class BatchBlock:
    """What a batch carries of one L2 block: enough to re-execute it, nothing derivable."""

    number: int
    timestamp: int
    coinbase: bytes
    gas_limit: int
    extra_data: bytes
    mix_hash: bytes
    transactions: tuple[bytes, ...]
    """Raw signed transactions, in block order."""
    l1_fee_word: bytes = bytes(32)
    """The header's ``parent_beacon_block_root``: the block's L1 prices (state_transition.md
    6.4), zero on a chain without the L1 fee."""

    def __post_init__(self) -> None:
        for name in ("number", "timestamp", "gas_limit"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or \
                    not 0 <= value <= MAX_UINT64:
                raise BlockEncodingError(f"{name}: {value!r} is not a uint64")
        if not isinstance(self.coinbase, bytes) or len(self.coinbase) != 20:
            raise BlockEncodingError(f"coinbase: {self.coinbase!r:.60} is not 20 bytes")
        if not isinstance(self.mix_hash, bytes) or len(self.mix_hash) != 32:
            raise BlockEncodingError(f"mix_hash: {self.mix_hash!r:.80} is not 32 bytes")
        if not isinstance(self.l1_fee_word, bytes) or len(self.l1_fee_word) != 32:
            raise BlockEncodingError(f"l1_fee_word: {self.l1_fee_word!r:.80} is not 32 bytes")
        if not isinstance(self.extra_data, bytes) or len(self.extra_data) > MAX_EXTRA_DATA:
            raise BlockEncodingError(f"extra_data: not bytes of at most {MAX_EXTRA_DATA}")
        if not isinstance(self.transactions, tuple) or len(self.transactions) > \
                MAX_TRANSACTIONS_PER_BLOCK:
            raise BlockEncodingError("transactions: must be a tuple of raw transactions")
        for position, raw in enumerate(self.transactions):
            if not isinstance(raw, bytes) or not 0 < len(raw) <= MAX_TRANSACTION_BYTES:
                raise BlockEncodingError(f"block {self.number} transaction {position}: not "
                                         f"1..{MAX_TRANSACTION_BYTES} bytes")


_NOTHING = BatchBlock(0, 0, bytes(20), 0, b"", bytes(32), ())


def encode_blocks(blocks: Sequence[BatchBlock]) -> bytes:
    """The compact encoding of ``blocks``: numbers strictly increasing, timestamps never
    decreasing (what a chain's blocks are)."""
    if not 1 <= len(blocks) <= MAX_BLOCKS:
        raise BlockEncodingError(f"{len(blocks)} blocks: a batch has 1..{MAX_BLOCKS}")
    out = bytearray(_varint(len(blocks)))
    previous = _NOTHING
    for position, block in enumerate(blocks):
        if position and block.number <= previous.number:
            raise BlockEncodingError(f"block {block.number} follows block {previous.number}: "
                                     f"numbers must increase")
        if position and block.timestamp < previous.timestamp:
            raise BlockEncodingError(f"block {block.number}'s timestamp {block.timestamp} is "
                                     f"before its predecessor's {previous.timestamp}")
        flags = (FLAG_COINBASE * (block.coinbase != previous.coinbase)
                 | FLAG_GAS_LIMIT * (block.gas_limit != previous.gas_limit)
                 | FLAG_EXTRA_DATA * (block.extra_data != previous.extra_data)
                 | FLAG_MIX_HASH * (block.mix_hash != previous.mix_hash)
                 | FLAG_L1_FEE_WORD * (block.l1_fee_word != previous.l1_fee_word))
        out.append(flags)
        if position:
            out += _varint(block.number - previous.number - 1)
            out += _varint(block.timestamp - previous.timestamp)
        else:
            out += _varint(block.number) + _varint(block.timestamp)
        if flags & FLAG_COINBASE:
            out += block.coinbase
        if flags & FLAG_GAS_LIMIT:
            out += _varint(block.gas_limit)
        if flags & FLAG_EXTRA_DATA:
            out += _varint(len(block.extra_data)) + block.extra_data
        if flags & FLAG_MIX_HASH:
            out += block.mix_hash
        if flags & FLAG_L1_FEE_WORD:
            out += block.l1_fee_word
        out += _varint(len(block.transactions))
        for raw in block.transactions:
            out += _varint(len(raw)) + raw
        previous = block
    return bytes(out)


class _Reader:
    def __init__(self, data: bytes) -> None:
        self.data = data
        self.offset = 0

    def take(self, count: int, what: str) -> bytes:
        end = self.offset + count
        if end > len(self.data):
            raise BlockEncodingError(f"truncated: {what} needs {count} bytes at offset "
                                     f"{self.offset}, {len(self.data) - self.offset} left")
        chunk = self.data[self.offset:end]
        self.offset = end
        return chunk

    def varint(self, what: str, maximum: int = MAX_UINT64) -> int:
        value = 0
        shift = 0
        start = self.offset
        while True:
            (byte,) = self.take(1, what)
            value |= (byte & 0x7F) << shift
            shift += 7
            if not byte & 0x80:
                break
            if shift > 63:
                raise BlockEncodingError(f"{what}: varint at offset {start} is too long")
        if self.offset - start > 1 and byte == 0:
            raise BlockEncodingError(f"{what}: varint at offset {start} is not minimal")
        if value > maximum:
            raise BlockEncodingError(f"{what}: {value} is above {maximum}")
        return value


def decode_blocks(data: bytes) -> tuple[BatchBlock, ...]:
    """The blocks ``encode_blocks`` encoded as ``data``; BlockEncodingError names the first
    thing that is not canonical."""
    reader = _Reader(data)
    count = reader.varint("block count", MAX_BLOCKS)
    if count == 0:
        raise BlockEncodingError("block count: a batch has at least one block")
    blocks: list[BatchBlock] = []
    previous = _NOTHING
    for position in range(count):
        flags = reader.take(1, "flags")[0]
        if flags & ~KNOWN_FLAGS:
            raise BlockEncodingError(f"block {position}: unknown flags 0x{flags:02x}")
        if position:
            number = previous.number + 1 + reader.varint("number delta")
            timestamp = previous.timestamp + reader.varint("timestamp delta")
        else:
            number = reader.varint("number")
            timestamp = reader.varint("timestamp")
        coinbase = reader.take(20, "coinbase") if flags & FLAG_COINBASE else previous.coinbase
        gas_limit = reader.varint("gas limit") if flags & FLAG_GAS_LIMIT else previous.gas_limit
        extra_data = reader.take(reader.varint("extra data length", MAX_EXTRA_DATA),
                                 "extra data") if flags & FLAG_EXTRA_DATA else previous.extra_data
        mix_hash = reader.take(32, "mix hash") if flags & FLAG_MIX_HASH else previous.mix_hash
        l1_fee_word = reader.take(32, "L1 fee word") if flags & FLAG_L1_FEE_WORD \
            else previous.l1_fee_word
        for flag, name, new, old in ((FLAG_COINBASE, "coinbase", coinbase, previous.coinbase),
                                     (FLAG_GAS_LIMIT, "gas limit", gas_limit, previous.gas_limit),
                                     (FLAG_EXTRA_DATA, "extra data", extra_data,
                                      previous.extra_data),
                                     (FLAG_MIX_HASH, "mix hash", mix_hash, previous.mix_hash),
                                     (FLAG_L1_FEE_WORD, "L1 fee word", l1_fee_word,
                                      previous.l1_fee_word)):
            if flags & flag and new == old:
                raise BlockEncodingError(f"block {number}: {name} flagged as changed but equal "
                                         f"to the previous block's")
        transaction_count = reader.varint("transaction count", MAX_TRANSACTIONS_PER_BLOCK)
        transactions = tuple(
            reader.take(reader.varint("transaction length", MAX_TRANSACTION_BYTES),
                        "transaction")
            for _ in range(transaction_count))
        try:
            block = BatchBlock(number, timestamp, coinbase, gas_limit, extra_data, mix_hash,
                               transactions, l1_fee_word)
        except BlockEncodingError as error:
            raise BlockEncodingError(f"block {position}: {error}") from error
        blocks.append(block)
        previous = block
    if reader.offset != len(data):
        raise BlockEncodingError(f"{len(data) - reader.offset} trailing bytes after the blocks")
    return tuple(blocks)


def _varint(value: int) -> bytes:
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)
