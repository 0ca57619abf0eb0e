"""The equivocation evidence this node has seen, de-duplicated and kept in the store's meta.

Evidence is what gets a double-signer slashed, so it must survive restarts; it is rare, so one
meta record holding the whole list is enough.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import rlp

from ordo.consensus import (
    DecodeError,
    Equivocation,
    EvidenceError,
    ValidatorSet,
    decode_evidence,
    encode_evidence,
    verify_equivocation,
)

log = logging.getLogger(__name__)

EVIDENCE_META_KEY = "consensus_evidence"
MAX_EVIDENCE = 10_000


class EvidenceBook:
    def __init__(self, chain_id: int, validators_at: Callable[[int], ValidatorSet | None],
                 load: Callable[[str], bytes | None],
                 save: Callable[[str, bytes], None]) -> None:
        """``validators_at(height)``: the set that voted at that height, None if unknown."""
        self._chain_id = chain_id
        self._validators_at = validators_at
        self._save = save
        self._items: dict[bytes, Equivocation] = {}
        stored = load(EVIDENCE_META_KEY)
        if stored is not None:
            for raw in rlp.decode(stored):
                try:
                    self._items[bytes(raw)] = decode_evidence(bytes(raw))
                except DecodeError as error:
                    log.warning("stored evidence undecodable, skipped: %s", error)

    def add(self, evidence: Equivocation) -> bytes | None:
        """Keep verified, new evidence; returns its encoding if it was new, else None.
        Raises EvidenceError for evidence that proves nothing."""
        verify_equivocation(evidence, self._chain_id)
        validators = self._validators_at(evidence.height)
        if validators is None or evidence.validator not in validators:
            raise EvidenceError(f"0x{evidence.validator.hex()} is not a validator at height "
                                f"{evidence.height}")
        encoded = encode_evidence(evidence)
        if encoded in self._items or len(self._items) >= MAX_EVIDENCE:
            return None
        self._items[encoded] = evidence
        self._save(EVIDENCE_META_KEY, bytes(rlp.encode(list(self._items))))
        return encoded

    def items(self) -> list[Equivocation]:
        return list(self._items.values())

    def __len__(self) -> int:
        return len(self._items)

    def as_json(self) -> list[dict[str, Any]]:
        return [_evidence_json(raw, item) for raw, item in self._items.items()]


def _evidence_json(raw: bytes, evidence: Equivocation) -> dict[str, Any]:
    first, second = evidence.first, evidence.second
    return {
        "validator": "0x" + first.validator.hex(),
        "height": first.height,
        "round": first.round,
        "voteType": "prevote" if int(first.vote_type) == 1 else "precommit",
        "parentHash": "0x" + first.parent_hash.hex(),
        "votes": [{"blockHash": "0x" + vote.block_hash.hex(),
                   "signature": "0x" + vote.signature.hex()} for vote in (first, second)],
        "encoded": "0x" + raw.hex(),
    }
