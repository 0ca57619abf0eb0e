"""The output root of a committed or replayed block, read from the engine's state.

One place computes it for every user: the batcher (what the sequencers sign), derivation (what
the verifier checks the signed header against) and ``ordo_outputAtBlock`` (what a client or a
challenger compares), so the three can never disagree on how.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from eth.abc import BlockHeaderAPI

from ordo.core.call import AccountProof
from ordo.core.output_root import OutputRoot
from ordo.core.predeploys import MESSAGE_PASSER_ADDRESS


class ProofSource(Protocol):
    def get_proof(self, header: BlockHeaderAPI, address: bytes,
                  slots: Sequence[int]) -> AccountProof: ...


def output_root_at(engine: ProofSource, header: BlockHeaderAPI) -> OutputRoot:
    """Raises UnknownBlock when the state of ``header`` is not in the store."""
    message_passer = engine.get_proof(header, MESSAGE_PASSER_ADDRESS, [])
    return OutputRoot(block_number=int(header.block_number),
                      state_root=bytes(header.state_root),
                      message_passer_storage_root=bytes(message_passer.storage_hash),
                      block_hash=bytes(header.hash))
