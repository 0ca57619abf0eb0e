"""Decoding raw L2 transactions and recovering their senders.

Every raw transaction enters Ordo through :func:`decode_transaction`. Where the native extension
is built, it reads the fields, recovers the sender and hashes the bytes in one call
(``decode_raw_transaction``, native/src/raw_tx.rs: ~33 µs of CPU for a transfer against
~100 µs on py-evm's path, most of it the secp256k1 recovery itself); it accepts
only bytes py-evm's Prague transaction builder accepts and recovers a sender from, and answers
None for anything else, which then goes through py-evm's builder (legacy/EIP-155, EIP-2930,
EIP-1559, EIP-7702; EIP-4844 blob transactions are refused on L2) and coincurve's recovery, as
on a machine without the extension. So the accepted set and every refusal are py-evm's
(``tests/native/test_native_decoding.py`` compares both paths on valid and mutated
transactions).

The result, :class:`DecodedTransaction`, carries the fields admission, the pool, gossip and the
engines read; py-evm's transaction object (``.tx``) is built from them only when something asks
for it (a block's transaction list, an RPC answer, the py-evm engine).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache, cached_property
from typing import Any

import rlp
from coincurve import PublicKey
from eth.abc import SignedTransactionAPI
from eth.vm.forks.berlin.transactions import AccessListTransaction, AccountAccesses
from eth.vm.forks.london.transactions import DynamicFeeTransaction
from eth.vm.forks.prague.transactions import (
    Authorization,
    PragueLegacyTransaction,
    PragueTransactionBuilder,
    PragueTypedTransaction,
    SetCodeTransaction,
)
from eth_hash.auto import keccak
from rlp.codec import consume_length_prefix, length_prefix

from ordo.core.errors import RejectedTransaction
from ordo.core.lru import LruCache
from ordo.core.native_loader import native_available, native_module

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


SET_CODE_TRANSACTION_TYPE = 4
_TYPED_CLASSES: dict[int, Any] = {
    1: AccessListTransaction,
    2: DynamicFeeTransaction,
    SET_CODE_TRANSACTION_TYPE: SetCodeTransaction,
}
"""The inner class py-evm's Prague builder decodes each typed transaction into."""


@dataclass(frozen=True)
class DecodedTransaction:
    """A parsed, signature-checked transaction: the fields admission, the pool and the engines
    read, as plain values, and py-evm's object only on demand (:attr:`tx`).

    Integer and byte fields are py-evm's: ``to`` is empty for a creation; ``chain_id`` is None
    for a legacy transaction signed before EIP-155; a legacy or EIP-2930 transaction reports its
    gas price as both fee fields; ``v`` is a legacy transaction's ``v`` and a typed one's y
    parity; ``access_list`` is ``((address, (key, ...)), ...)``; ``authorization_list`` is
    ``((chain_id, address, nonce, y_parity, r, s), ...)``; ``intrinsic_gas`` is py-evm's
    ``tx.intrinsic_gas``.
    """

    raw: bytes
    sender: bytes
    hash: bytes
    type_id: int
    chain_id: int | None
    nonce: int
    gas: int
    max_fee_per_gas: int
    max_priority_fee_per_gas: int
    to: bytes
    value: int
    data: bytes
    access_list: tuple[tuple[bytes, tuple[int, ...]], ...]
    authorization_list: tuple[tuple[int, bytes, int, int, int, int], ...]
    v: int
    r: int
    s: int
    intrinsic_gas: int
    decoded_by_py_evm: SignedTransactionAPI | None = field(default=None, repr=False,
                                                           compare=False)
    """py-evm's object when py-evm's builder decoded the bytes (no extension, or a shape the
    extension leaves to py-evm); otherwise :attr:`tx` builds it from the fields."""

    @cached_property
    def tx(self) -> SignedTransactionAPI:
        """py-evm's transaction object, equal to what its builder decodes from :attr:`raw`,
        built from the fields without parsing again (about 4 µs against 22 µs), with the
        encoding cached as ``rlp.decode`` caches it and a typed transaction's hash too."""
        if self.decoded_by_py_evm is not None:
            return self.decoded_by_py_evm
        if not self.type_id:
            legacy = PragueLegacyTransaction(self.nonce, self.max_fee_per_gas, self.gas, self.to,
                                             self.value, self.data, self.v, self.r, self.s)
            legacy._cached_rlp = self.raw
            return legacy
        access_list = tuple(AccountAccesses(account, keys) for account, keys in self.access_list)
        if self.type_id == 1:
            head: tuple[Any, ...] = (self.chain_id, self.nonce, self.max_fee_per_gas)
        else:
            head = (self.chain_id, self.nonce, self.max_priority_fee_per_gas,
                    self.max_fee_per_gas)
        tail: tuple[Any, ...] = (access_list,)
        if self.type_id == SET_CODE_TRANSACTION_TYPE:
            tail += (tuple(Authorization(*entry) for entry in self.authorization_list),)
        inner = _TYPED_CLASSES[self.type_id](*head, self.gas, self.to, self.value, self.data,
                                             *tail, self.v, self.r, self.s)
        inner._cached_rlp = self.raw[1:]
        typed = PragueTypedTransaction(self.type_id, inner)
        # ``hash`` and ``_type_byte`` are cached properties: the values they would compute
        typed.__dict__["hash"] = self.hash
        typed.__dict__["_type_byte"] = self.raw[:1]
        return typed


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
    and recovering the sender cost 35-100 µs each time, so the result is kept for
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


@cache
def _native_decoder() -> Callable[[bytes], tuple[Any, ...] | None] | None:
    """The extension's decoder, or None where the extension is not built."""
    if not native_available():
        return None
    decoder: Callable[[bytes], tuple[Any, ...] | None] = native_module().decode_raw_transaction
    return decoder


def _decode(raw: bytes, *, use_native: bool = True) -> DecodedTransaction:
    """``use_native=False`` takes py-evm's path even where the extension is built (the
    differential test's reference)."""
    if not raw:
        raise RejectedTransaction("typed transaction too short", code=-32602)
    if raw[0] == BLOB_TRANSACTION_TYPE:
        raise RejectedTransaction("transaction type not supported: blob transactions are not "
                                  "accepted on L2")
    if raw[0] <= LAST_TYPE_BYTE and raw[0] not in SUPPORTED_TYPED_TRANSACTIONS:
        # py-evm's own refusal is a tuple repr; name the type the way a client can act on
        raise RejectedTransaction(f"transaction type not supported: type 0x{raw[0]:02x}")
    decoder = _native_decoder() if use_native else None
    fields = None if decoder is None else decoder(raw)
    if fields is None:
        return decode_with_py_evm(raw)
    (type_id, chain_id, nonce, gas, fee_cap, tip, to, value, data, access_list,
     authorization_list, v, r, s, sender, tx_hash, intrinsic_gas) = fields
    return DecodedTransaction(
        raw=raw, sender=sender, hash=tx_hash, type_id=type_id, chain_id=chain_id, nonce=nonce,
        gas=gas, max_fee_per_gas=fee_cap, max_priority_fee_per_gas=tip, to=to, value=value,
        data=data, access_list=access_list, authorization_list=authorization_list, v=v, r=r,
        s=s, intrinsic_gas=intrinsic_gas)


def decode_with_py_evm(raw: bytes) -> DecodedTransaction:
    """py-evm's builder and coincurve's recovery: the reference path, and the only one on a
    machine without the extension. ``raw`` has passed :func:`_decode`'s type checks."""
    try:
        tx = PragueTransactionBuilder.decode(raw)
    except (rlp.DecodingError, rlp.DeserializationError, ValueError, TypeError) as error:
        raise RejectedTransaction(f"rlp: {error}", code=-32602) from error
    except Exception as error:  # py-evm raises ValidationError and others for unknown types
        raise RejectedTransaction(f"transaction type not supported: {error}") from error
    sender = recover_sender(tx, raw if raw[0] <= LAST_TYPE_BYTE else None)
    type_id = int(tx.type_id or 0)
    return DecodedTransaction(
        raw=bytes(raw), sender=sender, hash=bytes(tx.hash), type_id=type_id,
        chain_id=tx.chain_id, nonce=int(tx.nonce), gas=int(tx.gas),
        max_fee_per_gas=int(tx.max_fee_per_gas),
        max_priority_fee_per_gas=int(tx.max_priority_fee_per_gas), to=bytes(tx.to),
        value=int(tx.value), data=bytes(tx.data),
        access_list=tuple((bytes(account), tuple(keys)) for account, keys in tx.access_list),
        authorization_list=tuple(
            (a.chain_id, bytes(a.address), a.nonce, a.y_parity, a.r, a.s)
            for a in tx.authorization_list) if type_id == SET_CODE_TRANSACTION_TYPE else (),
        v=int(tx.y_parity if type_id else tx.v),  # type: ignore[attr-defined]  # legacy has v
        r=int(tx.r), s=int(tx.s),
        intrinsic_gas=int(tx.intrinsic_gas), decoded_by_py_evm=tx)
