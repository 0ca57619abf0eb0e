"""The one-byte kinds that tag every frame, and which of them the transport itself consumes."""

from __future__ import annotations

from enum import IntEnum


class MessageKind(IntEnum):
    HELLO = 0
    AUTH = 1
    STATUS = 2
    TX = 3
    PROPOSAL = 4
    VOTE = 5
    BLOCK_REQUEST = 6
    BLOCK_RESPONSE = 7
    CERTIFICATE = 8
    EVIDENCE = 9
    PING = 10
    PONG = 11
    DISCONNECT = 12
    BATCH_ATTESTATION = 13
    TX_BATCH = 14
    """Many transactions in one frame (protocol 3, ``tx_batch``); the network unpacks it and
    hands the node each transaction as a TX."""


HANDSHAKE_KINDS = frozenset({MessageKind.HELLO, MessageKind.AUTH})
"""Only valid before a session is established; afterwards they are a protocol violation."""

CONTROL_KINDS = frozenset({MessageKind.PING, MessageKind.PONG, MessageKind.DISCONNECT})
"""Answered or acted on by the transport, never handed to the node."""

APPLICATION_KINDS = frozenset(set(MessageKind) - HANDSHAKE_KINDS - CONTROL_KINDS)
"""Kinds the node may send and receives through its handler."""

GOSSIP_KINDS = frozenset({
    MessageKind.TX,
    MessageKind.PROPOSAL,
    MessageKind.VOTE,
    MessageKind.CERTIFICATE,
    MessageKind.EVIDENCE,
    MessageKind.BATCH_ATTESTATION,
})
"""Kinds that flood the mesh, so the same payload arrives from several peers and is deduplicated.

TX_BATCH is not one of them: batches are cut differently on every link, so the transactions
inside are deduplicated one by one, as TX messages.

STATUS and the block sync pair are point-to-point answers: a repeat is a fresh answer, not a copy.
"""

DEFAULT_PAYLOAD_CAPS: dict[MessageKind, int] = {
    MessageKind.HELLO: 156,  # the responder's HELLO: 42 bytes plus its sealed identity (114)
    MessageKind.AUTH: 114,  # the initiator's sealed identity: key, signature, tag
    MessageKind.STATUS: 1024,
    MessageKind.TX: 128 * 1024,
    MessageKind.PROPOSAL: 16 * 1024 * 1024,
    MessageKind.VOTE: 1024,
    MessageKind.BLOCK_REQUEST: 256,
    MessageKind.BLOCK_RESPONSE: 16 * 1024 * 1024,
    MessageKind.CERTIFICATE: 256 * 1024,
    MessageKind.EVIDENCE: 8 * 1024,
    MessageKind.PING: 8,
    MessageKind.PONG: 8,
    MessageKind.DISCONNECT: 256,
    MessageKind.BATCH_ATTESTATION: 256,
    MessageKind.TX_BATCH: 1024 * 1024,
}
"""Largest payload per kind. A proposal carries a whole block, hence the same cap as a response."""


def parse_kind(value: int) -> MessageKind | None:
    """The kind for a wire byte, or None for a byte no version of this protocol defines."""
    try:
        return MessageKind(value)
    except ValueError:
        return None
