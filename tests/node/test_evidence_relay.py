"""The evidence relay: a peer's evidence reaches the listeners once and is relayed only when new
and valid; evidence of the node's own machine is also broadcast, since no peer has it yet."""

from __future__ import annotations

from eth_hash.auto import keccak

from ordo.consensus import (
    Equivocation,
    LocalSigner,
    Validator,
    ValidatorSet,
    VoteType,
    decode_evidence,
    sign_vote,
)
from ordo.consensus.evidence import make_equivocation
from ordo.network import MessageKind
from ordo.node.evidence_book import EvidenceBook
from ordo.node.evidence_relay import EvidenceRelay

CHAIN_ID = 78
SIGNERS = [LocalSigner(keccak(f"relay signer {i}".encode())) for i in range(4)]
VALIDATORS = ValidatorSet.of(Validator(signer.address, 10) for signer in SIGNERS)
PARENT = keccak(b"block 4")


class RecordingTransport:
    def __init__(self) -> None:
        self.sent: list[tuple[MessageKind, bytes]] = []

    def broadcast(self, kind: MessageKind, payload: bytes) -> None:
        self.sent.append((kind, payload))


def equivocation(index: int, chain_id: int = CHAIN_ID) -> Equivocation:
    votes = [sign_vote(SIGNERS[index], chain_id, 5, 0, VoteType.PREVOTE, PARENT, keccak(name))
             for name in (b"a", b"b")]
    return make_equivocation(*votes)


def relay_with(transport: RecordingTransport | None) -> tuple[EvidenceRelay, list[Equivocation]]:
    stored: dict[str, bytes] = {}
    book = EvidenceBook(CHAIN_ID, lambda height: VALIDATORS, stored.get, stored.__setitem__)
    relay = EvidenceRelay(book, lambda: transport)  # type: ignore[arg-type, return-value]
    heard: list[Equivocation] = []
    relay.listeners.append(heard.append)
    return relay, heard


def test_a_peers_new_evidence_is_kept_told_once_and_worth_relaying() -> None:
    transport = RecordingTransport()
    relay, heard = relay_with(transport)
    evidence = equivocation(1)
    assert relay.from_peer(evidence) is True
    assert relay.from_peer(evidence) is False
    assert heard == [evidence] and relay.book.items() == [evidence]
    assert transport.sent == []  # the driver relays a peer's payload itself


def test_a_peers_evidence_that_does_not_verify_is_refused_and_told_to_nobody() -> None:
    relay, heard = relay_with(RecordingTransport())
    assert relay.from_peer(equivocation(2, chain_id=CHAIN_ID + 1)) is False
    assert heard == [] and len(relay.book) == 0


def test_own_evidence_is_kept_told_and_broadcast_once() -> None:
    transport = RecordingTransport()
    relay, heard = relay_with(transport)
    evidence = equivocation(3)
    relay.from_own_machine(evidence)
    relay.from_own_machine(evidence)
    assert heard == [evidence]
    assert [(kind, decode_evidence(payload)) for kind, payload in transport.sent] == \
        [(MessageKind.EVIDENCE, evidence)]


def test_own_evidence_without_a_transport_is_still_kept_and_told() -> None:
    relay, heard = relay_with(None)
    evidence = equivocation(0)
    relay.from_own_machine(evidence)
    assert heard == [evidence] and relay.book.items() == [evidence]
