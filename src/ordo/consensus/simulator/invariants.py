"""The properties every simulated run must keep, checked as events happen.

Agreement: no two honest nodes ever commit different blocks at one height. Validity: every
honest commit is a valid block on its committer's chain with a certificate that verifies.
Evidence is only ever produced against Byzantine validators and always verifies. Liveness:
after the last fault, every honest node commits beyond the highest height any had reached.
"""

from __future__ import annotations

from dataclasses import dataclass

from ordo.consensus.certificate import CertificateError, CommitCertificate, verify_certificate
from ordo.consensus.evidence import Equivocation, EvidenceError, verify_equivocation
from ordo.consensus.messages import ProposedValue
from ordo.consensus.schedule import EpochValidators, get_epoch
from ordo.consensus.simulator.fake_block import is_fake_value_valid


class InvariantViolationError(Exception):
    def __init__(self, kind: str, detail: str) -> None:
        super().__init__(f"{kind}: {detail}")
        self.kind = kind
        self.detail = detail


@dataclass
class SafetyMonitor:
    validators_of: EpochValidators
    epoch_length: int
    chain_id: int
    genesis_hash: bytes
    byzantine_addresses: frozenset[bytes]

    def __post_init__(self) -> None:
        self.decided: dict[int, bytes] = {}
        self.evidence_count = 0

    def on_commit(
        self,
        node: int,
        time_ms: int,
        chain: list[tuple[ProposedValue, CommitCertificate]],
    ) -> None:
        """Check the newest entry of an honest node's chain (just appended)."""
        height = len(chain)
        value, certificate = chain[-1]
        parent = self.genesis_hash if height == 1 else chain[-2][0].block_hash
        where = f"node {node} height {height} at {time_ms} ms"
        if value.height != height or certificate.height != height:
            raise InvariantViolationError("validity", f"{where}: committed out of order")
        if value.parent_hash != parent:
            raise InvariantViolationError("validity", f"{where}: block does not extend its chain")
        if not is_fake_value_valid(value):
            raise InvariantViolationError("validity", f"{where}: committed an invalid block")
        if certificate.block_hash != value.block_hash:
            raise InvariantViolationError("validity", f"{where}: certificate is for another block")
        try:
            validators = self.validators_of(get_epoch(height, self.epoch_length))
            verify_certificate(certificate, validators, self.chain_id, value.parent_hash)
        except CertificateError as error:
            raise InvariantViolationError("validity", f"{where}: certificate: {error}") from error
        first = self.decided.setdefault(height, value.block_hash)
        if first != value.block_hash:
            raise InvariantViolationError(
                "agreement",
                f"{where}: committed 0x{value.block_hash.hex()[:16]}, another honest node "
                f"committed 0x{first.hex()[:16]}",
            )

    def on_evidence(self, node: int, evidence: Equivocation) -> None:
        try:
            verify_equivocation(evidence, self.chain_id)
        except EvidenceError as error:
            raise InvariantViolationError(
                "evidence", f"node {node} produced bad evidence: {error}"
            ) from error
        if evidence.validator not in self.byzantine_addresses:
            raise InvariantViolationError(
                "evidence", f"node {node} accused honest 0x{evidence.validator.hex()}"
            )
        self.evidence_count += 1
