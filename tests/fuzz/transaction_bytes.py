"""Hypothesis strategies for raw transaction bytes: pure noise, and near-valid encodings made by
mutating real signed transactions of every type (so the decoder's deeper checks get exercised,
not just its first length test)."""

from __future__ import annotations

from typing import Any

import rlp
from coincurve import PrivateKey
from eth_account import Account
from eth_hash.auto import keccak
from hypothesis import strategies as st

from tests.fuzz.live_node import CHAIN_ID, GWEI

MUTATION_KEY = bytes.fromhex("4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318")
RECIPIENT = "0x" + "44" * 20
TYPE_BYTES = [0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x7F, 0x80, 0xBF, 0xC0, 0xF7, 0xF8, 0xFF]


def _signed_examples() -> list[bytes]:
    account = Account.from_key(MUTATION_KEY)
    common = {"chainId": CHAIN_ID, "nonce": 0, "to": RECIPIENT, "value": 5, "gas": 60_000}
    legacy = {**common, "gasPrice": 2 * GWEI}
    dynamic = {**common, "maxFeePerGas": 2 * GWEI, "maxPriorityFeePerGas": GWEI // 10}
    access = [{"address": RECIPIENT, "storageKeys": ["0x" + "00" * 31 + "01"]}]
    authorization = account.sign_authorization({"chainId": CHAIN_ID, "address": RECIPIENT,
                                                "nonce": 1})
    transactions: list[dict[str, Any]] = [
        legacy,
        {**legacy, "type": 1, "accessList": access},
        {**dynamic, "type": 2, "accessList": access, "data": "0x" + "ab" * 40},
        {**dynamic, "type": 4, "authorizationList": [authorization]},
        {**dynamic, "type": 2, "to": "", "data": "0x6000"},
    ]
    return [bytes(account.sign_transaction(tx).raw_transaction) for tx in transactions]


SIGNED_EXAMPLES = _signed_examples()


def split_envelope(raw: bytes) -> tuple[bytes, list[Any]]:
    """(type prefix or b"" for legacy, the decoded RLP fields)."""
    if raw[0] >= 0xC0:
        return b"", list(rlp.decode(raw))
    return raw[:1], list(rlp.decode(raw[1:]))


RLP_LEAF = (st.binary(max_size=40)
            | st.integers(0, 2**64).map(lambda n: _int_bytes(n))
            | st.integers(2**64, 2**300).map(lambda n: _int_bytes(n))
            | st.sampled_from([b"", b"\x00", b"\x00\x01", b"\xff" * 32, b"\x01" * 65]))


def _int_bytes(value: int) -> bytes:
    return value.to_bytes((value.bit_length() + 7) // 8, "big")


RLP_ITEMS = st.recursive(RLP_LEAF, lambda inner: st.lists(inner, max_size=6), max_leaves=20)


@st.composite
def mutated_transaction(draw: st.DrawFn) -> bytes:
    prefix, fields = split_envelope(draw(st.sampled_from(SIGNED_EXAMPLES)))
    mutation = draw(st.sampled_from(["drop", "append", "replace", "truncate_signature",
                                     "parity", "retype", "cut", "trail", "leading_zero",
                                     "nest"]))
    if mutation == "drop" and fields:
        del fields[draw(st.integers(0, len(fields) - 1))]
    elif mutation == "append":
        fields.extend(draw(st.lists(RLP_ITEMS, min_size=1, max_size=3)))
    elif mutation == "replace":
        fields[draw(st.integers(0, len(fields) - 1))] = draw(RLP_ITEMS)
    elif mutation == "truncate_signature":
        which = draw(st.sampled_from([-1, -2]))
        fields[which] = bytes(fields[which])[:draw(st.integers(0, 31))]
    elif mutation == "parity":
        fields[-3] = _int_bytes(draw(st.sampled_from([2, 3, 26, 27, 28, 29, 35, 36, 2**70])))
    elif mutation == "retype":
        prefix = bytes([draw(st.sampled_from(TYPE_BYTES))])
    elif mutation == "leading_zero":
        index = draw(st.integers(0, len(fields) - 1))
        if isinstance(fields[index], bytes):
            fields[index] = b"\x00" + fields[index]
    elif mutation == "nest":
        index = draw(st.integers(0, len(fields) - 1))
        fields[index] = [fields[index]]
    raw = prefix + rlp.encode(fields)
    if mutation == "cut":
        raw = raw[:draw(st.integers(0, len(raw) - 1))]
    elif mutation == "trail":
        raw += draw(st.binary(min_size=1, max_size=8))
    return raw


@st.composite
def typed_envelope(draw: st.DrawFn) -> bytes:
    """A type byte (defined, undefined or in the legacy range) then RLP of a random shape."""
    type_byte = bytes([draw(st.sampled_from(TYPE_BYTES) | st.integers(0, 255))])
    body = draw(st.lists(RLP_ITEMS, max_size=16).map(rlp.encode) | st.binary(max_size=60))
    return type_byte + bytes(body)


RAW_TRANSACTIONS = (st.binary(max_size=200) | typed_envelope() | mutated_transaction()
                    | st.lists(RLP_ITEMS, max_size=12).map(lambda items: bytes(rlp.encode(items))))


BOUNDARY_INTS = (st.sampled_from([0, 1, 21_000, 2 * GWEI, 2**63 - 1, 2**64 - 1, 2**64, 2**255,
                                  2**256 - 1, 2**256, 2**300])
                 | st.integers(0, 2**70))
SMALL_INTS = st.integers(0, 3) | BOUNDARY_INTS
ADDRESSES = st.sampled_from([b"", b"\x44" * 20, b"\x44" * 19, b"\x44" * 21, b"\x00" * 20,
                             b"\x00" * 19 + b"\x01"])
ACCESS_LISTS: st.SearchStrategy[Any] = (st.just([]) | st.lists(st.tuples(ADDRESSES, st.lists(
    st.binary(min_size=31, max_size=33), max_size=2)).map(list), max_size=2) | RLP_ITEMS)


def _mostly(draw: st.DrawFn, usual: Any, odd: st.SearchStrategy[Any]) -> Any:
    """The usual value four times in five, so most examples get past the first check."""
    return usual if draw(st.integers(0, 4)) else draw(odd)


def _fee_fields(draw: st.DrawFn, type_id: int) -> list[Any]:
    if type_id in (0, 1):
        return [_mostly(draw, 2 * GWEI, SMALL_INTS)]
    return [_mostly(draw, GWEI // 10, SMALL_INTS), _mostly(draw, 2 * GWEI, SMALL_INTS)]


@st.composite
def authorization(draw: st.DrawFn) -> list[Any]:
    return [draw(st.just(CHAIN_ID) | SMALL_INTS), draw(ADDRESSES), draw(SMALL_INTS),
            draw(st.integers(0, 3)), draw(BOUNDARY_INTS), draw(BOUNDARY_INTS)]


@st.composite
def signed_odd_transaction(draw: st.DrawFn, key: bytes) -> bytes:
    """Correctly signed by ``key`` (a funded account), with boundary values in every field, so
    the transaction gets past signature recovery into admission and, sometimes, into blocks."""
    type_id = draw(st.sampled_from([0, 1, 2, 4]))
    chain_id = _mostly(draw, CHAIN_ID, SMALL_INTS)
    nonce = _mostly(draw, draw(st.integers(0, 60)), BOUNDARY_INTS)
    gas = _mostly(draw, 100_000, BOUNDARY_INTS)
    body = [nonce, *_fee_fields(draw, type_id), gas, _mostly(draw, b"\x44" * 20, ADDRESSES),
            draw(SMALL_INTS), draw(st.binary(max_size=64))]
    if type_id == 0:
        return sign_legacy(key, body, chain_id)
    fields = [chain_id, *body, _mostly(draw, [], ACCESS_LISTS)]
    if type_id == 4:
        fields.append(draw(st.lists(authorization(), max_size=2)))
    return sign_typed(key, type_id, fields)


def sign_legacy(key: bytes, body: list[Any], chain_id: int) -> bytes:
    signature = PrivateKey(key).sign_recoverable(
        keccak(rlp.encode([*body, chain_id, 0, 0])), hasher=None)
    v = signature[64] + 35 + 2 * chain_id
    return bytes(rlp.encode([*body, v, _word(signature[:32]), _word(signature[32:64])]))


def sign_typed(key: bytes, type_id: int, fields: list[Any]) -> bytes:
    prefix = bytes([type_id])
    signature = PrivateKey(key).sign_recoverable(keccak(prefix + rlp.encode(fields)), hasher=None)
    return prefix + bytes(rlp.encode([*fields, signature[64], _word(signature[:32]),
                                      _word(signature[32:64])]))


def _word(value: bytes) -> int:
    return int.from_bytes(value, "big")
