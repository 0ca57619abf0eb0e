"""A batch's inputs as one root the sequencers sign (docs/fault_proofs.md, section 5).

The batch payload is zstd-compressed and L1 cannot decompress it, so the dispute game cannot
read a block's transactions from it. Instead the batch header carries ``inputs_root``, a list
root (1.1) over each block's input hash, and each block's input hash commits to its header
fields and to a list root over its transactions. One disputed block's inputs, and one of its
transactions, are then shown to L1 with two list proofs of fixed depth 32::

    block_inputs_hash = keccak(abi.encode(number, timestamp, coinbase, gas_limit,
                                          keccak(extra_data), mix_hash, txs_root, tx_count))
    txs_root          = list_root(keccak(raw_tx_0), ..., keccak(raw_tx_{n-1}))
    inputs_root       = list_root(block_inputs_hash_0, ..., block_inputs_hash_{m-1})

The abi encoding is eight static 32-byte words (256 bytes): integers big-endian, the coinbase
left-padded with zeros. A block whose header carries a non-zero L1 fee word (a chain with the
L1 data fee, state_transition.md 6.4) appends it as a ninth word (288 bytes); a zero word is
never appended, so chains without the fee keep the eight-word encoding and their roots.
Raw transactions are the bytes the batch carries (the typed envelope
``type || rlp`` or a legacy rlp list), so ``keccak(raw_tx)`` is the transaction hash. Pure.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from eth_abi import encode
from eth_hash.auto import keccak

from ordo.core.batch_blocks import BatchBlock
from ordo.faultproof.cells import list_proof, list_root, root_from_proof

BLOCK_INPUTS_TYPES = ("uint256", "uint256", "address", "uint256", "bytes32", "bytes32",
                      "bytes32", "uint256")
BLOCK_INPUTS_BYTES = 32 * len(BLOCK_INPUTS_TYPES)
FEE_BLOCK_INPUTS_BYTES = BLOCK_INPUTS_BYTES + 32
"""With the block's non-zero L1 fee word as a ninth word (fault_proofs.md section 5)."""


class BatchInputsError(ValueError):
    """A block or transaction position outside the batch or the block."""


def txs_root(transactions: Sequence[bytes]) -> bytes:
    """The list root of the transactions' hashes, in block order (``EMPTY_ROOT`` for none)."""
    return list_root([keccak(raw) for raw in transactions])


def block_inputs_encoding(block: BatchBlock) -> bytes:
    """The bytes ``block_inputs_hash`` hashes: what the game is handed to read one field. 256
    bytes, and 32 more (the L1 fee word) when the block carries non-zero L1 prices."""
    words = encode(list(BLOCK_INPUTS_TYPES), [
        block.number, block.timestamp, block.coinbase, block.gas_limit,
        keccak(block.extra_data), block.mix_hash, txs_root(block.transactions),
        len(block.transactions)])
    fee_word = bytes(block.l1_fee_word)
    return words if fee_word == bytes(32) else words + fee_word


def block_inputs_hash(block: BatchBlock) -> bytes:
    return keccak(block_inputs_encoding(block))


def inputs_root(blocks: Sequence[BatchBlock]) -> bytes:
    """The root the batch header signs: the list root of the blocks' input hashes, in order."""
    return list_root([block_inputs_hash(block) for block in blocks])


@dataclass(frozen=True)
class BlockInputsProof:
    """Block ``position`` of a batch (0 = its first block) has input hash ``inputs_hash``;
    ``siblings`` lead from it to the header's ``inputs_root``."""

    position: int
    inputs_hash: bytes
    siblings: tuple[bytes, ...]

    def root(self) -> bytes:
        """The inputs root this proof shows; it holds when that is the header's."""
        return root_from_proof(self.position, self.inputs_hash, self.siblings)


@dataclass(frozen=True)
class TransactionProof:
    """Transaction ``position`` of a block hashes to ``transaction_hash``; ``siblings`` lead
    from it to the block's ``txs_root`` (itself proven through :class:`BlockInputsProof`)."""

    position: int
    transaction_hash: bytes
    siblings: tuple[bytes, ...]

    def root(self) -> bytes:
        """The txs root this proof shows; it holds when that is the block's."""
        return root_from_proof(self.position, self.transaction_hash, self.siblings)


def block_inputs_proof(blocks: Sequence[BatchBlock], position: int) -> BlockInputsProof:
    """The proof of block ``position``'s inputs against ``inputs_root(blocks)``."""
    if not 0 <= position < len(blocks):
        raise BatchInputsError(f"block position {position} outside the batch's "
                               f"{len(blocks)} blocks")
    hashes = [block_inputs_hash(block) for block in blocks]
    return BlockInputsProof(position, hashes[position], list_proof(hashes, position))


def transaction_proof(block: BatchBlock, position: int) -> TransactionProof:
    """The proof of transaction ``position`` of ``block`` against its ``txs_root``."""
    if not 0 <= position < len(block.transactions):
        raise BatchInputsError(f"transaction position {position} outside block {block.number}'s "
                               f"{len(block.transactions)} transactions")
    hashes = [keccak(raw) for raw in block.transactions]
    return TransactionProof(position, hashes[position], list_proof(hashes, position))

