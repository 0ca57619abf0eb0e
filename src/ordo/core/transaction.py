"""Decoding raw L2 transactions and recovering their senders.

Every raw transaction enters Ordo through :func:`decode_transaction`: it parses the bytes with
py-evm's Prague transaction builder (legacy/EIP-155, EIP-2930, EIP-1559, EIP-7702; EIP-4844 blob
transactions are refused on L2) and recovers the sender with coincurve, which is about 8x faster
than the pure-Python recovery py-evm would otherwise use.
"""

from __future__ import annotations

from dataclasses import dataclass

import rlp
from coincurve import PublicKey
from eth.abc import SignedTransactionAPI
from eth.vm.forks.prague.transactions import PragueTransactionBuilder
from eth_hash.auto import keccak
from rlp.codec import consume_length_prefix, length_prefix

from ordo.core.errors import RejectedTransaction
from ordo.core.lru import LruCache

BLOB_TRANSACTION_TYPE = 3
SUPPORTED_TYPED_TRANSACTIONS = frozenset({1, 2, 4})
LAST_TYPE_BYTE = 0x7F
"""EIP-2718: a first byte up to 0x7f names a transaction type; from 0xc0 on it opens a legacy
RLP list."""
DECODED_CACHE_SIZE = 16_384
"""Transactions kept decoded by their bytes (:func:`decode_transaction`): a few full blocks'
worth, enough to span a transaction's way through one node (admission, gossip, the proposal that
carries it, re-execution). About 3 KB each in py-evm's objects, so about 50 MB at most."""
_DECODED: LruCache[bytes, DecodedTransaction] = LruCache(DECODED_CACHE_SIZE)
SECP256K1_N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141


@dataclass(frozen=True)
class DecodedTransaction:
    """A parsed, signature-checked transaction with what admission and execution need cached."""

    raw: bytes
    tx: SignedTransactionAPI
    sender: bytes
    hash: bytes

    @property
    def nonce(self) -> int:
        return int(self.tx.nonce)


def typed_signing_message(raw: bytes) -> bytes:
    """The message the sender of a typed transaction signed, sliced out of its canonical
    encoding: ``type || rlp(every field but the last three)``. py-evm rebuilds it by serializing
    the unsigned transaction in Python (``get_message_for_signing``, about 40% of decoding a
    transfer); a successful strict decode (py-evm refuses non-minimal integers and length
    prefixes) means the bytes are that serialization, so slicing gives the same message."""
    body = raw[1:]
    _, _, length, start = consume_length_prefix(body, 0)
    ends = [start]
    while ends[-1] < start + length:
        _, _, item_length, item_start = consume_length_prefix(body, ends[-1])
        ends.append(item_start + item_length)
    unsigned = body[start:ends[-4]]
    return raw[:1] + length_prefix(len(unsigned), 0xC0) + unsigned


def recover_sender(tx: SignedTransactionAPI, raw: bytes | None = None) -> bytes:
    """Recover the 20-byte sender address; raises RejectedTransaction("invalid sender").
    ``raw``, the typed transaction's canonical encoding when known, saves rebuilding the
    signed message (:func:`typed_signing_message`)."""
    r, s, y_parity = int(tx.r), int(tx.s), int(tx.y_parity)
    # EIP-2: high-s signatures are invalid since Homestead.
    if not (0 < r < SECP256K1_N and 0 < s <= SECP256K1_N // 2) or y_parity not in (0, 1):
        raise RejectedTransaction("invalid sender")
    message = tx.get_message_for_signing() if raw is None else typed_signing_message(raw)
    message_hash = keccak(message)
    signature = r.to_bytes(32, "big") + s.to_bytes(32, "big") + bytes([y_parity])
    try:
        public_key = PublicKey.from_signature_and_message(signature, message_hash, hasher=None)
    except Exception as error:  # coincurve raises plain Exception for unrecoverable signatures
        raise RejectedTransaction("invalid sender") from error
    return keccak(public_key.format(compressed=False)[1:])[-20:]


def decode_transaction(raw: bytes) -> DecodedTransaction:
    """Parse raw bytes as sent to eth_sendRawTransaction. Raises RejectedTransaction.

    A node meets the same transaction several times: over RPC or gossip, then in the proposal
    that carries it (and a validator again when it re-executes or stores that block). Decoding
    and recovering the sender cost about 0.25 ms of Python each time, so the result is kept for
    the last :data:`DECODED_CACHE_SIZE` distinct encodings: it is a pure function of the bytes
    and the result is immutable. Refusals are not kept (each is decided again).
    """
    raw = bytes(raw)
    known = _DECODED.get(raw)
    if known is None:
        known = _decode(raw)
        _DECODED.put(raw, known)
    return known


def known_transaction(encoded: bytes) -> DecodedTransaction | None:
    """The transaction this process decoded from exactly these bytes lately, without decoding:
    its sender was recovered from them, so a block carrying the same bytes need not recover it
    again (``PyEvmEngine._check_senders``)."""
    return _DECODED.get(bytes(encoded))


def _decode(raw: bytes) -> DecodedTransaction:
    if not raw:
        raise RejectedTransaction("typed transaction too short", code=-32602)
    if raw[0] == BLOB_TRANSACTION_TYPE:
        raise RejectedTransaction("transaction type not supported: blob transactions are not "
                                  "accepted on L2")
    if raw[0] <= LAST_TYPE_BYTE and raw[0] not in SUPPORTED_TYPED_TRANSACTIONS:
        # py-evm's own refusal is a tuple repr; name the type the way a client can act on
        raise RejectedTransaction(f"transaction type not supported: type 0x{raw[0]:02x}")
    try:
        tx = PragueTransactionBuilder.decode(raw)
    except (rlp.DecodingError, rlp.DeserializationError, ValueError, TypeError) as error:
        raise RejectedTransaction(f"rlp: {error}", code=-32602) from error
    except Exception as error:  # py-evm raises ValidationError and others for unknown types
        raise RejectedTransaction(f"transaction type not supported: {error}") from error
    sender = recover_sender(tx, raw if raw[0] <= LAST_TYPE_BYTE else None)
    return DecodedTransaction(raw=bytes(raw), tx=tx, sender=sender, hash=bytes(tx.hash))
