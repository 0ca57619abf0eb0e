"""The output root of an L2 block: what a batch header commits to and withdrawals are proved by.

OP's layout (version 0)::

    keccak256(version ‖ state_root ‖ message_passer_storage_root ‖ block_hash)

The message passer's storage root is in it so that the L1 portal proves a withdrawal with one
storage proof against that root, without an account proof through the state root; the block hash
ties the root to one block of the chain. Pure: callers read the three parts from the chain.
"""

from __future__ import annotations

from dataclasses import dataclass

from eth_hash.auto import keccak

OUTPUT_VERSION = bytes(32)


@dataclass(frozen=True)
class OutputRoot:
    """The output root of block ``block_number`` and the parts it hashes."""

    block_number: int
    state_root: bytes
    message_passer_storage_root: bytes
    block_hash: bytes

    def __post_init__(self) -> None:
        for name in ("state_root", "message_passer_storage_root", "block_hash"):
            value = getattr(self, name)
            if not isinstance(value, bytes) or len(value) != 32:
                raise ValueError(f"output root: {name} is not 32 bytes")

    @property
    def root(self) -> bytes:
        return compute_output_root(self.state_root, self.message_passer_storage_root,
                                   self.block_hash)


def compute_output_root(state_root: bytes, message_passer_storage_root: bytes,
                        block_hash: bytes) -> bytes:
    return keccak(OUTPUT_VERSION + state_root + message_passer_storage_root + block_hash)
