"""decode_transaction keeps what it decoded: the same bytes met again (gossip, then the proposal
that carries them) give the same object without decoding or recovering again; a refusal is
decided afresh every time."""

from __future__ import annotations

import pytest
from eth_account import Account

from ordo.core import transaction
from ordo.core.errors import RejectedTransaction
from ordo.core.genesis import DEVNET_CHAIN_ID, dev_private_keys
from ordo.core.transaction import decode_transaction


def _signed(nonce: int) -> bytes:
    key = dev_private_keys(1)[0]
    return bytes(Account.sign_transaction(
        {"chainId": DEVNET_CHAIN_ID, "nonce": nonce, "gas": 21_000, "to": "0x" + "11" * 20,
         "value": 1, "maxFeePerGas": 10**10, "maxPriorityFeePerGas": 10**9}, key
    ).raw_transaction)


def test_same_bytes_decode_once(monkeypatch: pytest.MonkeyPatch) -> None:
    raw = _signed(123_457)
    decodes: list[bytes] = []
    real_decode = transaction._decode

    def counting_decode(raw: bytes) -> transaction.DecodedTransaction:
        decoded = real_decode(raw)  # decodes and recovers (native or py-evm's path)
        decodes.append(decoded.sender)
        return decoded

    monkeypatch.setattr(transaction, "_decode", counting_decode)
    first = decode_transaction(raw)
    again = decode_transaction(bytearray(raw))  # as a peer frame may hand it over
    assert again is first
    assert len(decodes) == 1
    assert first.sender.hex() == Account.from_key(dev_private_keys(1)[0]).address[2:].lower()
    assert decode_transaction(_signed(123_458)) is not first


def test_refusals_are_not_kept() -> None:
    junk = b"\x02\xc0"
    for _ in range(2):
        with pytest.raises(RejectedTransaction, match="rlp"):
            decode_transaction(junk)


def _typed_variants() -> list[dict[str, object]]:
    """Types 1, 2 and 4 with empty, short and long (>= 56 bytes: long RLP prefixes) fields."""
    key = dev_private_keys(2)[1]
    delegation = Account.sign_authorization(
        {"chainId": DEVNET_CHAIN_ID, "address": "0x" + "77" * 20, "nonce": 3}, key)
    access = [{"address": "0x" + "66" * 20, "storageKeys": ["0x" + "01" * 32, "0x" + "02" * 32]}]
    fees = {"maxFeePerGas": 2**64 + 5, "maxPriorityFeePerGas": 7}
    return [
        {"gasPrice": 10**9, "accessList": []},
        {"gasPrice": 10**9, "accessList": access, "data": b"\xaa" * 300},
        {**fees},
        {**fees, "data": b"\x01" * 55, "accessList": access},
        {**fees, "data": b"\x02" * 56, "to": ""},
        {**fees, "authorizationList": [delegation], "data": b"\x03" * 4},
    ]


@pytest.mark.parametrize("index", range(6))
def test_typed_signing_message_equals_py_evm(index: int) -> None:
    key = dev_private_keys(1)[0]
    fields = {"chainId": DEVNET_CHAIN_ID, "nonce": 900_000 + index, "gas": 300_000,
              "to": "0x" + "11" * 20, "value": 12345, **_typed_variants()[index]}
    if fields["to"] == "":
        del fields["to"]
    raw = bytes(Account.sign_transaction(fields, key).raw_transaction)
    decoded = decode_transaction(raw)
    assert transaction.typed_signing_message(raw) == decoded.tx.get_message_for_signing()
    assert decoded.sender.hex() == Account.from_key(key).address[2:].lower()
    assert transaction.recover_sender(decoded.tx) == decoded.sender
