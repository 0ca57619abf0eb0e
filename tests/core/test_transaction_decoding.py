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
    recoveries: list[bytes] = []
    real_recover = transaction.recover_sender

    def counting_recover(tx: object) -> bytes:
        sender = real_recover(tx)  # type: ignore[arg-type]
        recoveries.append(sender)
        return sender

    monkeypatch.setattr(transaction, "recover_sender", counting_recover)
    first = decode_transaction(raw)
    again = decode_transaction(bytearray(raw))  # as a peer frame may hand it over
    assert again is first
    assert len(recoveries) == 1
    assert first.sender.hex() == Account.from_key(dev_private_keys(1)[0]).address[2:].lower()
    assert decode_transaction(_signed(123_458)) is not first


def test_refusals_are_not_kept() -> None:
    junk = b"\x02\xc0"
    for _ in range(2):
        with pytest.raises(RejectedTransaction, match="rlp"):
            decode_transaction(junk)
