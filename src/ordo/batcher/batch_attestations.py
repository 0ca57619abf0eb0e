"""Validators' signatures over a planned batch's header, gossiped and collected into what
``RollupInbox.submit_batch`` takes.

After a batch closes (:mod:`ordo.batcher.batch_plan`), every validator of the epoch signs the
header digest (:func:`ordo.batcher.batch_header.batch_digest`) of each header variant and
gossips a :class:`BatchAttestation` ``(index, header_hash, signature)``. The signer is not sent:
it is recovered from the signature, so it cannot be claimed falsely.

An :class:`AttestationCollector` is one header's tally: it verifies each signature against the
epoch's set (canonical, recovers, signer in the set), keeps one per signer, and says when more
than 2/3 of the stake signed (the inbox's own rule, ``3*signed > 2*total``). Pure.

Wire form: ``rlp([index, header_hash, signature])`` with ``index`` a minimal big-endian
integer; decoding is strict (one encoding per message) and every refusal names what is wrong.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from enum import Enum

import rlp
from rlp.exceptions import DecodingError

from ordo.batcher.batch_header import BatchHeader, batch_digest, sign_batch_header
from ordo.consensus.signing import SIGNATURE_LENGTH, LocalSigner, recover_signer
from ordo.consensus.validator_set import ValidatorSet

HASH_LENGTH = 32
MAX_INDEX_BYTES = 32
MAX_ATTESTATION_BYTES = 1 + 2 + MAX_INDEX_BYTES + 1 + HASH_LENGTH + 1 + SIGNATURE_LENGTH + 8
"""Generous bound on the encoding (list header, three strings): larger input is refused unread."""


class AttestationCodecError(ValueError):
    """Bytes that are not the one canonical encoding of a batch attestation."""


@dataclass(frozen=True)
class BatchAttestation:
    index: int
    """The batch index (lets a node that has not planned the batch yet buffer it)."""
    header_hash: bytes
    """The digest signed: ``batch_digest(header, l2_chain_id, inbox)``."""
    signature: bytes
    """65 bytes r || s || parity, low s."""

    def __post_init__(self) -> None:
        if isinstance(self.index, bool) or not isinstance(self.index, int) or \
                not 0 <= self.index < 2**256:
            raise AttestationCodecError(f"index: {self.index!r} is not a uint256")
        if not isinstance(self.header_hash, bytes) or len(self.header_hash) != HASH_LENGTH:
            raise AttestationCodecError(f"header_hash: {self.header_hash!r:.80} is not "
                                        f"{HASH_LENGTH} bytes")
        if not isinstance(self.signature, bytes) or len(self.signature) != SIGNATURE_LENGTH:
            raise AttestationCodecError(f"signature: {self.signature!r:.80} is not "
                                        f"{SIGNATURE_LENGTH} bytes")


def attest(signer: LocalSigner, header: BatchHeader, l2_chain_id: int,
           inbox: bytes) -> BatchAttestation:
    """This validator's attestation of ``header``."""
    return BatchAttestation(header.index, batch_digest(header, l2_chain_id, inbox),
                            sign_batch_header(signer, header, l2_chain_id, inbox))


def encode_attestation(attestation: BatchAttestation) -> bytes:
    return bytes(rlp.encode([attestation.index, attestation.header_hash,
                             attestation.signature]))


def decode_attestation(data: bytes) -> BatchAttestation:
    """The attestation ``data`` encodes; AttestationCodecError says why it is refused."""
    if not isinstance(data, bytes | bytearray | memoryview):
        raise AttestationCodecError("attestation: expected bytes")
    data = bytes(data)
    if len(data) > MAX_ATTESTATION_BYTES:
        raise AttestationCodecError(f"attestation: {len(data)} bytes, at most "
                                    f"{MAX_ATTESTATION_BYTES}")
    try:
        items = rlp.decode(data, strict=True)
    except DecodingError as error:
        raise AttestationCodecError(f"attestation: malformed RLP: {error}") from error
    if not isinstance(items, list) or len(items) != 3:
        count = len(items) if isinstance(items, list) else "not a list"
        raise AttestationCodecError(f"attestation: expected a list of [index, header_hash, "
                                    f"signature], got {count}")
    if not all(isinstance(item, bytes) for item in items):
        raise AttestationCodecError("attestation: every field must be a byte string, not a list")
    raw_index, header_hash, signature = items
    if len(raw_index) > MAX_INDEX_BYTES:
        raise AttestationCodecError(f"index: {len(raw_index)} bytes, a uint256 has at most "
                                    f"{MAX_INDEX_BYTES}")
    if raw_index[:1] == b"\x00":
        raise AttestationCodecError("index: leading zero byte (not the minimal encoding)")
    attestation = BatchAttestation(int.from_bytes(raw_index, "big"), header_hash, signature)
    if encode_attestation(attestation) != data:
        raise AttestationCodecError("attestation: not the canonical encoding")
    return attestation


class AttestationOutcome(Enum):
    """What adding one attestation did."""

    COUNTED = "counted"
    DUPLICATE = "duplicate"
    """The signer was already counted (same or another signature of the same digest)."""
    OTHER_HEADER = "other header"
    """It signs another digest: this node planned a different header (diverging inputs)."""
    BAD_SIGNATURE = "bad signature"
    """Not canonical, or recovers to no address."""
    OUTSIDER = "outsider"
    """It recovers to an address outside the epoch's set."""


class AttestationCollector:
    """Signatures over one header digest by one epoch's set."""

    def __init__(self, header_hash: bytes, validators: ValidatorSet) -> None:
        if not isinstance(header_hash, bytes) or len(header_hash) != HASH_LENGTH:
            raise ValueError(f"header_hash: {header_hash!r:.80} is not {HASH_LENGTH} bytes")
        self.header_hash = header_hash
        self.validators = validators
        self._by_signer: dict[bytes, bytes] = {}

    def add(self, attestation: BatchAttestation) -> AttestationOutcome:
        if attestation.header_hash != self.header_hash:
            return AttestationOutcome.OTHER_HEADER
        signer = recover_signer(self.header_hash, attestation.signature)
        if signer is None:
            return AttestationOutcome.BAD_SIGNATURE
        if signer not in self.validators:
            return AttestationOutcome.OUTSIDER
        if signer in self._by_signer:
            return AttestationOutcome.DUPLICATE
        self._by_signer[signer] = attestation.signature
        return AttestationOutcome.COUNTED

    @property
    def signers(self) -> tuple[bytes, ...]:
        return tuple(sorted(self._by_signer))

    @property
    def signed_stake(self) -> int:
        return self.validators.stake_of_all(self._by_signer)

    @property
    def has_quorum(self) -> bool:
        """More than 2/3 of the epoch's stake signed: the inbox will accept these."""
        return self.validators.is_quorum(self.signed_stake)

    def has_quorum_without(self, excluded: Collection[bytes]) -> bool:
        """A quorum still, leaving out the signatures of ``excluded`` (signers whose stake
        could leave before the batch's disputes end: the inbox refuses a batch they sign)."""
        return self.validators.is_quorum(self.validators.stake_of_all(
            signer for signer in self._by_signer if signer not in excluded))

    def ordered_signatures(self, excluded: Collection[bytes] = frozenset()) -> list[bytes]:
        """One signature per signer not in ``excluded``, in strictly ascending signer address
        order (what ``submit_batch`` takes)."""
        return [self._by_signer[signer] for signer in sorted(self._by_signer)
                if signer not in excluded]


def stake_leaving_signers(locked_until: Mapping[bytes, int], l1_time: int,
                          challenge_window: int, max_dispute_duration: int,
                          margin: int) -> frozenset[bytes]:
    """The signers whose signature the inbox would refuse in a batch landing up to ``margin``
    seconds after ``l1_time``: their stake could be withdrawn (``stake_locked_until``, as the
    locking pool answers it) before that batch's challenge window and longest dispute are
    over (docs/settlement.md, "Signers whose stake could leave first are refused")."""
    safe_until = l1_time + margin + challenge_window + max_dispute_duration
    return frozenset(signer for signer, until in locked_until.items() if until <= safe_until)


class EarlyAttestations:
    """Attestations for batches this node has not planned yet (its finality lags the
    signers'), held until it has, so a slow poster does not lose the signatures it needs.

    Bounded: only indexes in ``[next_index, next_index + batches_ahead)`` are held, at most
    ``per_batch`` attestations each (first come first kept); verifying them waits for the
    collector, which knows the header and the epoch's set.
    """

    def __init__(self, batches_ahead: int = 8, per_batch: int = 256) -> None:
        if batches_ahead < 1 or per_batch < 1:
            raise ValueError("batches_ahead and per_batch must be at least 1")
        self.batches_ahead = batches_ahead
        self.per_batch = per_batch
        self._held: dict[int, list[BatchAttestation]] = {}

    def hold(self, attestation: BatchAttestation, next_index: int) -> bool:
        """Keep ``attestation`` if its batch is near enough ahead and there is room; whether
        it was kept. ``next_index`` is the next batch this node has not planned."""
        if not next_index <= attestation.index < next_index + self.batches_ahead:
            return False
        held = self._held.setdefault(attestation.index, [])
        if len(held) >= self.per_batch or attestation in held:
            return False
        held.append(attestation)
        return True

    def release(self, index: int) -> list[BatchAttestation]:
        """The attestations held for batch ``index`` (now planned), forgetting them and every
        older batch's."""
        released = self._held.pop(index, [])
        for older in [held for held in self._held if held < index]:
            del self._held[older]
        return released

    def __len__(self) -> int:
        return sum(len(held) for held in self._held.values())
