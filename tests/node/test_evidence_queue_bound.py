"""The queue of evidence waiting to be reported on L1 is bounded like the evidence book it
comes from: past the bound, evidence stays in the book and the drop is counted, never raised."""

from __future__ import annotations

import asyncio

from ordo.consensus import LocalSigner, Vote, VoteType
from ordo.consensus.evidence import Equivocation, make_equivocation
from ordo.node.evidence_book import MAX_EVIDENCE
from ordo.node.l1_services import L1Services


def evidence_at(height: int) -> Equivocation:
    signer = LocalSigner(b"\x01" * 32)
    votes = [Vote(chain_id=1, height=height, round=0, vote_type=VoteType.PREVOTE,
                  parent_hash=b"\x03" * 32, block_hash=bytes([byte]) * 32,
                  validator=signer.address, signature=bytes(65))
             for byte in (4, 5)]
    return make_equivocation(*votes)


def test_a_full_evidence_queue_counts_and_keeps_going() -> None:
    services = L1Services.__new__(L1Services)  # only the evidence path: no L1 needed
    services._evidence = asyncio.Queue(maxsize=2)
    services.evidence_dropped = 0
    for height in (1, 2, 3):
        services.on_evidence(evidence_at(height))
    assert services._evidence.qsize() == 2 and services.evidence_dropped == 1
    assert MAX_EVIDENCE == 10_000
