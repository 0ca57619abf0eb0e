"""Views of the consensus state for RPC (``ordo_status``, ``ordo_getCommit``): pure functions
of what the driver holds, so what a user sees is testable without a running node."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from eth.abc import BlockHeaderAPI

from ordo.consensus import ConsensusState, decode_certificate, get_epoch
from ordo.network import PeerInfo


def current_producer(state: ConsensusState) -> bytes | None:
    """The epoch's producer as this node sees it: the order at the tip's offset (§3)."""
    return state.order[state.tip.proposer_offset % len(state.order)] if state.order else None


def status_fields(state: ConsensusState, epoch_length: int, peers: Sequence[PeerInfo],
                  syncing: bool, ignored: Mapping[str, int], timeouts: Mapping[str, int],
                  evidence: int, l1: dict[str, Any] | None) -> dict[str, Any]:
    producer = current_producer(state)
    address = state.address
    return {
        "height": hex(state.height),
        "epoch": hex(get_epoch(max(state.height, 1), epoch_length)),
        "producer": None if producer is None else "0x" + producer.hex(),
        "round": hex(state.round),
        "step": state.step.name.lower(),
        "role": "validator" if address is not None and address in state.validators
        else "follower",
        "validators": [{"address": "0x" + v.address.hex(), "stake": hex(v.stake)}
                       for v in state.validators.validators],
        "peers": [{"id": "0x" + info.peer_id.hex(), "host": info.host, "port": info.port,
                   "direction": info.direction, "score": info.score} for info in peers],
        "syncing": syncing,
        "ignoredMessages": dict(ignored),
        "timeouts": dict(timeouts),
        "evidence": evidence,
        **({} if l1 is None else {"l1": l1}),
    }


def commit_json(raw_certificate: bytes, header: BlockHeaderAPI | None) -> dict[str, Any]:
    """``ordo_getCommit``: a stored certificate with the parent its precommits signed."""
    certificate = decode_certificate(raw_certificate)
    return {
        "height": hex(certificate.height),
        "round": hex(certificate.round),
        "blockHash": "0x" + certificate.block_hash.hex(),
        # what every precommit also signed (vote format v2): the block's parent
        "parentHash": None if header is None else "0x" + bytes(header.parent_hash).hex(),
        "signatures": [{"validator": "0x" + address.hex(), "signature": "0x" + sig.hex()}
                       for address, sig in certificate.signatures],
    }
