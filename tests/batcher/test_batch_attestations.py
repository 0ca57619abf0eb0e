"""Attestations over planned batch headers: the collector's thresholds and refusals, and the
strict gossip codec."""

from __future__ import annotations

import pytest
import rlp

from ordo.batcher.batch_attestations import (
    MAX_ATTESTATION_BYTES,
    AttestationCodecError,
    AttestationCollector,
    AttestationOutcome,
    BatchAttestation,
    EarlyAttestations,
    attest,
    decode_attestation,
    encode_attestation,
)
from ordo.batcher.batch_header import BatchHeader, batch_digest, ordered_signatures
from ordo.batcher.batch_plan import PlanRules, plan_headers, plan_next_batch
from ordo.consensus.signing import LocalSigner
from ordo.consensus.validator_set import Validator, ValidatorSet
from tests.batcher.final_chain import final_chain

CHAIN_ID = 901
INBOX = b"\x1b" * 20
KEYS = [LocalSigner((0xBA7C4000 + index).to_bytes(32, "big")) for index in range(5)]
STAKES = (40, 40, 20, 20)  # 2/3 of 120 is exactly 80
VALIDATORS = ValidatorSet.of(Validator(key.address, stake)
                             for key, stake in zip(KEYS, STAKES, strict=False))
OUTSIDER = KEYS[4]


def planned_header() -> BatchHeader:
    blocks = final_chain(4, [key.address for key in KEYS[:4]])
    batch = plan_next_batch(1, 4, lambda number: blocks[number - 1], PlanRules(epoch_length=4))
    assert batch is not None
    return plan_headers(0, batch, epoch=1, forced_through=0).calldata_header


def collector_for(header: BatchHeader) -> AttestationCollector:
    return AttestationCollector(batch_digest(header, CHAIN_ID, INBOX), VALIDATORS)


def test_quorum_needs_more_than_two_thirds_of_the_stake() -> None:
    header = planned_header()
    collector = collector_for(header)
    for index in (0, 1):
        assert collector.add(attest(KEYS[index], header, CHAIN_ID, INBOX)) is \
            AttestationOutcome.COUNTED
    assert collector.signed_stake == 80 and not collector.has_quorum  # exactly 2/3
    assert collector.add(attest(KEYS[3], header, CHAIN_ID, INBOX)) is AttestationOutcome.COUNTED
    assert collector.signed_stake == 100 and collector.has_quorum
    small = collector_for(header)
    for index in (0, 2, 3):  # three of four signers, but only 80 of 120
        small.add(attest(KEYS[index], header, CHAIN_ID, INBOX))
    assert small.signed_stake == 80 and not small.has_quorum


def test_keeps_one_signature_per_signer_in_ascending_order() -> None:
    header = planned_header()
    collector = collector_for(header)
    attestations = [attest(key, header, CHAIN_ID, INBOX) for key in reversed(KEYS[:4])]
    for attestation in attestations:
        collector.add(attestation)
    assert collector.add(attestations[0]) is AttestationOutcome.DUPLICATE
    assert collector.signed_stake == 120
    assert list(collector.signers) == sorted(key.address for key in KEYS[:4])
    digest = collector.header_hash
    assert collector.ordered_signatures() == ordered_signatures(
        digest, [attestation.signature for attestation in attestations],
        [key.address for key in KEYS[:4]])


def test_refuses_outsiders_bad_signatures_and_other_headers() -> None:
    header = planned_header()
    collector = collector_for(header)
    assert collector.add(attest(OUTSIDER, header, CHAIN_ID, INBOX)) is AttestationOutcome.OUTSIDER
    good = attest(KEYS[0], header, CHAIN_ID, INBOX)
    high_s = good.signature[:32] + (2**256 - 1).to_bytes(32, "big") + good.signature[64:]
    assert collector.add(BatchAttestation(0, good.header_hash, high_s)) is \
        AttestationOutcome.BAD_SIGNATURE
    assert collector.add(BatchAttestation(0, good.header_hash, bytes(65))) is \
        AttestationOutcome.BAD_SIGNATURE
    other_chain = attest(KEYS[1], header, CHAIN_ID + 1, INBOX)
    assert collector.add(other_chain) is AttestationOutcome.OTHER_HEADER
    # a signature over another digest presented as ours recovers to some other address
    assert collector.add(BatchAttestation(0, good.header_hash, other_chain.signature)) is \
        AttestationOutcome.OUTSIDER
    assert collector.signed_stake == 0 and collector.ordered_signatures() == []


def test_codec_round_trips() -> None:
    attestation = attest(KEYS[2], planned_header(), CHAIN_ID, INBOX)
    encoded = encode_attestation(attestation)
    assert decode_attestation(encoded) == attestation
    assert len(encoded) <= MAX_ATTESTATION_BYTES
    big = BatchAttestation(2**256 - 1, attestation.header_hash, attestation.signature)
    assert decode_attestation(encode_attestation(big)) == big
    assert len(encode_attestation(big)) <= MAX_ATTESTATION_BYTES


@pytest.mark.parametrize(("data", "message"), [
    (b"", "malformed RLP"),
    (rlp.encode(b"\x01" * 10), "expected a list of \\[index, header_hash, signature\\], got not"),
    (rlp.encode([1, b"\x00" * 32]), "got 2"),
    (rlp.encode([1, b"\x00" * 32, b"\x00" * 65, b""]), "got 4"),
    (rlp.encode([[1], b"\x00" * 32, b"\x00" * 65]), "every field must be a byte string"),
    (rlp.encode([b"\x00\x01", b"\x00" * 32, b"\x00" * 65]), "leading zero byte"),
    (rlp.encode([b"\x01" * 33, b"\x00" * 32, b"\x00" * 65]), "index: 33 bytes"),
    (rlp.encode([1, b"\x00" * 31, b"\x00" * 65]), "header_hash: .* is not 32 bytes"),
    (rlp.encode([1, b"\x00" * 32, b"\x00" * 64]), "signature: .* is not 65 bytes"),
    (rlp.encode([1, b"\x00" * 32, b"\x00" * 65]) + b"\x00", "malformed RLP"),
    (b"\xf8" + bytes([0x02]) + b"\x01\x02", "malformed RLP"),  # long form for a short list
    (b"\x00" * (MAX_ATTESTATION_BYTES + 1), f"at most {MAX_ATTESTATION_BYTES}"),
])
def test_codec_refuses(data: bytes, message: str) -> None:
    with pytest.raises(AttestationCodecError, match=message):
        decode_attestation(data)


def test_early_attestations_are_held_within_bounds_and_released_once() -> None:
    early = EarlyAttestations(batches_ahead=2, per_batch=2)
    header = planned_header()
    signed = [attest(key, header, CHAIN_ID, INBOX) for key in KEYS[:3]]
    ahead = [BatchAttestation(index, entry.header_hash, entry.signature)
             for index, entry in zip((5, 6, 7), signed, strict=True)]
    assert early.hold(ahead[0], next_index=5) and early.hold(ahead[1], next_index=5)
    assert not early.hold(ahead[2], next_index=5)  # too far ahead
    assert not early.hold(BatchAttestation(4, signed[0].header_hash, signed[0].signature), 5)
    assert not early.hold(ahead[0], next_index=5)  # already held
    other = BatchAttestation(5, signed[1].header_hash, signed[1].signature)
    third = BatchAttestation(5, signed[2].header_hash, signed[2].signature)
    assert early.hold(other, next_index=5) and not early.hold(third, next_index=5)  # full
    assert len(early) == 3
    assert early.release(6) == [ahead[1]]  # batch 5's are dropped with it: planned past them
    assert len(early) == 0 and early.release(5) == []
