"""The extension's transaction decoder (native/src/raw_tx.rs) against py-evm's builder: for
valid transactions of types 0 (before and after EIP-155), 1, 2 and 4 and for mutations of
them (every byte flipped, truncations, non-canonical RLP, out-of-range signatures, odd field
shapes), ``decode_transaction``'s result with the extension equals py-evm's path (the same
refusal and code, or the same fields, sender, hash and an equal py-evm object built lazily).
The first difference fails the test."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
import rlp
from eth_account import Account

from ordo.core import transaction
from ordo.core.errors import RejectedTransaction
from ordo.core.genesis import DEVNET_CHAIN_ID, dev_private_keys
from ordo.core.native_loader import native_module
from ordo.core.transaction import SECP256K1_N, DecodedTransaction
from tests.native.twin_chain import require_native

KEY = dev_private_keys(1)[0]
TARGET = "0x" + "11" * 20
ACCESS = [{"address": "0x" + "66" * 20, "storageKeys": ["0x" + "00" * 31 + "01", "0x" + "02" * 32]},
          {"address": "0x" + "67" * 20, "storageKeys": []}]


def _sign(fields: dict[str, Any]) -> bytes:
    fields = {"nonce": 7, "gas": 100_000, "value": 12_345, "to": TARGET, **fields}
    if fields["to"] is None:
        del fields["to"]
    return bytes(Account.sign_transaction(fields, KEY).raw_transaction)


def _authorization(chain_id: int, nonce: int) -> Any:
    return Account.sign_authorization(
        {"chainId": chain_id, "address": "0x" + "77" * 20, "nonce": nonce}, KEY)


def _valid() -> list[bytes]:
    fees = {"maxFeePerGas": 2**200, "maxPriorityFeePerGas": 7, "chainId": DEVNET_CHAIN_ID}
    return [
        _sign({"gasPrice": 10**9}),  # legacy before EIP-155 (v 27 / 28)
        _sign({"gasPrice": 10**9, "chainId": DEVNET_CHAIN_ID, "to": None, "data": b"\x60" * 100}),
        _sign({"gasPrice": 0, "chainId": 1, "nonce": 0, "value": 0, "gas": 0}),
        _sign({"gasPrice": 3, "chainId": 2**40 + 3, "nonce": 2**64 - 1}),
        _sign({"gasPrice": 10**9, "chainId": DEVNET_CHAIN_ID, "accessList": []}),
        _sign({"gasPrice": 10**9, "chainId": DEVNET_CHAIN_ID, "accessList": ACCESS,
               "data": b"\xaa" * 300}),
        _sign({**fees}),
        _sign({**fees, "data": b"\x01" * 55, "accessList": ACCESS, "value": 2**256 - 1}),
        _sign({**fees, "data": b"\x00\x02" * 28, "to": None}),
        _sign({**fees, "data": b"\x03" * 4, "authorizationList": [
            _authorization(DEVNET_CHAIN_ID, 3), _authorization(0, 2**64 - 1)]}),
    ]


def _outcome(decode: Callable[[], DecodedTransaction]) -> DecodedTransaction | tuple[Any, ...]:
    try:
        return decode()
    except RejectedTransaction as refusal:
        return ("refused", refusal.message, refusal.code)


def _compare(raw: bytes) -> bool:
    """Fails on any difference between the two paths; True when the extension decoded the bytes
    itself (rather than leaving them to py-evm)."""
    native = _outcome(lambda: transaction._decode(raw))
    reference = _outcome(lambda: transaction._decode(raw, use_native=False))
    assert native == reference, raw.hex()
    if not isinstance(native, DecodedTransaction):
        return False
    assert isinstance(reference, DecodedTransaction)
    built, expected = native.tx, reference.tx
    assert type(built) is type(expected), raw.hex()
    assert built == expected, raw.hex()
    assert built.encode() == raw and built.hash == native.hash == expected.hash
    inner = getattr(built, "_inner", built)
    assert type(inner) is type(getattr(expected, "_inner", expected))
    assert built.access_list == expected.access_list
    if native.type_id == transaction.SET_CODE_TRANSACTION_TYPE:
        assert built.authorization_list == expected.authorization_list
    assert built.intrinsic_gas == native.intrinsic_gas
    assert built.get_message_for_signing() == expected.get_message_for_signing()
    if native_module().decode_raw_transaction(raw) is None:
        return False
    # the extension accepts canonical bytes only: serialized again from the fields (not the
    # cached bytes) they are the bytes (py-evm itself takes an empty list as the integer 0)
    assert rlp.encode(inner, sedes=type(inner)) == (raw[1:] if native.type_id else raw)
    return True


def _item(payload: bytes, base: int = 0x80) -> bytes:
    """Canonical RLP of a string (base 0x80) or of an encoded list payload (base 0xc0)."""
    if base == 0x80 and len(payload) == 1 and payload[0] < 0x80:
        return payload
    if len(payload) < 56:
        return bytes([base + len(payload)]) + payload
    size = len(payload).to_bytes((len(payload).bit_length() + 7) // 8, "big")
    return bytes([base + 55 + len(size)]) + size + payload


def _encode(fields: list[bytes], prefix: bytes) -> bytes:
    """A transaction from its fields' encodings (each already RLP, canonical or not)."""
    return prefix + _item(b"".join(fields), 0xC0)


def _split(raw: bytes) -> tuple[list[bytes], bytes]:
    """Each top-level field's canonical encoding, and the type prefix."""
    prefix = raw[:1] if raw[0] <= 0x7F else b""
    return [rlp.encode(item) for item in rlp.decode(raw[len(prefix):])], prefix


def _int(value: int) -> bytes:
    return rlp.encode(value)


def _flipped_parity(v: int, legacy: bool) -> int:
    if not legacy:
        return v ^ 1
    if v in (27, 28):
        return 55 - v
    return v + 1 if (v - 35) % 2 == 0 else v - 1


def _field_mutations(raw: bytes) -> Iterator[bytes]:
    """Shapes py-evm refuses or that the extension leaves to it, one field at a time."""
    fields, prefix = _split(raw)
    sig = len(fields) - 3
    y, r, s = (rlp.decode(fields[i], sedes=rlp.sedes.big_endian_int) for i in range(sig, sig + 3))

    def with_(index: int, encoded: bytes) -> bytes:
        return _encode([*fields[:index], encoded, *fields[index + 1:]], prefix)

    yield with_(sig + 2, _int(SECP256K1_N - s))  # high s
    # high s with the parity flipped: the same signature's other form, same signer
    yield _encode([*fields[:sig], _int(_flipped_parity(y, legacy=not prefix)), fields[sig + 1],
                   _int(SECP256K1_N - s)], prefix)
    yield with_(sig + 1, _int(0))
    yield with_(sig + 1, _int(SECP256K1_N))
    yield with_(sig + 1, _int(5))  # no point with this x: does not recover
    yield with_(sig + 2, _int(0))
    yield with_(sig + 2, _int(SECP256K1_N // 2 + 1))
    for v in ([0, 1, 2, 26, 27, 28, 29, 34, 35, 36, 37, 38, 2**63 + 40, 2**64 + 40]
              if not prefix else [0, 1, 2, 2**64]):
        yield with_(sig, _int(v))
    yield with_(sig, b"\x00")  # a zero integer written as the byte 0
    yield with_(sig, b"\x81\x01")  # a single byte wrapped
    yield with_(sig + 1, b"\xa1\x00" + r.to_bytes(32, "big"))  # a leading zero
    yield with_(sig + 1, b"\xa1" + (2**263 + r).to_bytes(33, "big"))  # over 256 bits
    yield with_(1, b"\xb8\x01\x05")  # long form for a short string
    yield with_(1, b"\xc0")  # a list where an integer belongs
    to_index = 3 if not prefix else (4 if prefix == b"\x01" else 5)
    yield with_(to_index, _item(b"\x11" * 19))
    yield with_(to_index, _item(b"\x11" * 21))
    yield with_(to_index, b"\x80")  # a creation
    yield with_(to_index + 2, b"\xc0")  # data as a list
    yield _encode(fields[:-1], prefix)  # a field missing
    yield _encode([*fields, b"\x80"], prefix)  # a field too many
    yield raw + b"\x00"  # trailing bytes
    body = b"".join(fields)
    yield prefix + b"\xfa\x00" + len(body).to_bytes(2, "big") + body  # length with a leading 0
    if len(body) < 56:
        yield prefix + b"\xf8" + bytes([len(body)]) + body  # long list prefix, short list
    if prefix:
        access_index = to_index + 3
        for entries in ([[b"\x66" * 20, [b"\x01" * 31]]], [[b"\x66" * 20, [b"\x01" * 33]]],
                        [[b"", [b"\x01" * 32]]], [[b"\x66" * 20]], [[b"\x66" * 20, b"\x01"]],
                        [[b"\x66" * 20, [b"\x01" * 32], b""]], [b"\x66" * 20]):
            yield with_(access_index, rlp.encode(entries))
    if prefix == b"\x04":
        auth = [DEVNET_CHAIN_ID, b"\x77" * 20, 1, 0, 1, 1]
        for changed in ([*auth[:1], b"", *auth[2:]], [*auth[:1], b"\x77" * 19, *auth[2:]],
                        auth[:5], [*auth[:3], 2**300, *auth[4:]], [*auth[:3], 2, *auth[4:]]):
            yield with_(access_index + 1, rlp.encode([changed]))
        yield with_(access_index + 1, b"\xc0")  # no authorization (admission refuses it)


def test_valid_transactions_decode_as_py_evm_does() -> None:
    require_native()
    decoded_natively = [_compare(raw) for raw in _valid()]
    assert all(decoded_natively)


def test_legacy_chain_id_zero_is_left_to_py_evm() -> None:
    """v 35 / 36 (chain id 0): py-evm signs over the chain id written as the byte 0."""
    require_native()
    fields, prefix = _split(_valid()[0])
    for v in (35, 36):
        raw = _encode([*fields[:6], _int(v), *fields[7:]], prefix)
        assert native_module().decode_raw_transaction(raw) is None
        _compare(raw)


def test_mutated_transactions_decode_or_refuse_as_py_evm_does() -> None:
    require_native()
    natively = total = 0
    for raw in _valid():
        mutations = list(_field_mutations(raw))
        positions = list(range(min(len(raw), 120))) + list(range(max(120, len(raw) - 70),
                                                                  len(raw)))
        for position in positions:
            for flip in (0x01, 0x80):
                mutations.append(raw[:position] + bytes([raw[position] ^ flip])
                                 + raw[position + 1:])
        mutations += [raw[:length] for length in range(0, len(raw), 7)]
        for mutated in mutations:
            natively += _compare(mutated)
            total += 1
    # flipped value or data bytes still decode (to another sender): the native path is used
    assert 0 < natively < total


def test_without_the_extension_the_py_evm_path_decodes(monkeypatch: pytest.MonkeyPatch) -> None:
    """A machine without the extension (``native_available`` false): py-evm's path gives the
    light fields and keeps py-evm's own object."""
    raw = _valid()[6]
    monkeypatch.setattr(transaction, "native_available", lambda: False)
    transaction._native_decoder.cache_clear()
    try:
        assert transaction._native_decoder() is None
        decoded = transaction._decode(raw)
    finally:
        transaction._native_decoder.cache_clear()
    assert decoded.tx is decoded.decoded_by_py_evm
    assert decoded.sender.hex() == Account.from_key(KEY).address[2:].lower()
    assert (decoded.nonce, decoded.max_fee_per_gas, decoded.max_priority_fee_per_gas) == (
        7, 2**200, 7)
