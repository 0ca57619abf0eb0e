"""Signed test transactions for the mempool tests: real eth_account signatures, decoded the way
the node decodes them, cached because signing dominates test time."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from typing import Any

from eth_account import Account
from eth_utils import to_checksum_address

from ordo.core.genesis import DEVNET_CHAIN_ID
from ordo.core.transaction import DecodedTransaction, decode_transaction
from ordo.mempool import ChainRules

GWEI = 10**9
RULES = ChainRules(chain_id=DEVNET_CHAIN_ID, block_gas_limit=30_000_000,
                   base_fee_floor=10_000_000)
RECIPIENT = "0x" + "11" * 20


def private_key(index: int) -> bytes:
    return (index + 1).to_bytes(32, "big")


@cache
def address(index: int) -> bytes:
    return bytes.fromhex(Account.from_key(private_key(index)).address[2:])


def checksum(index: int) -> str:
    return to_checksum_address(address(index))


@cache
def _sign(index: int, fields: tuple[tuple[str, Any], ...]) -> DecodedTransaction:
    signed = Account.sign_transaction(dict(fields), private_key(index))
    return decode_transaction(bytes(signed.raw_transaction))


def dynamic(index: int, nonce: int, *, fee_cap: int = 2 * GWEI, tip: int = GWEI,
            gas: int = 21_000, value: int = 1, data: bytes = b"", to: str | None = RECIPIENT,
            chain_id: int = DEVNET_CHAIN_ID) -> DecodedTransaction:
    """An EIP-1559 transaction from test account ``index``."""
    fields: dict[str, Any] = {
        "type": 2, "chainId": chain_id, "nonce": nonce, "gas": gas, "value": value,
        "maxFeePerGas": fee_cap, "maxPriorityFeePerGas": tip, "data": data,
    }
    if to is not None:
        fields["to"] = to
    return _sign(index, tuple(sorted(fields.items())))


def legacy(index: int, nonce: int, *, gas_price: int = GWEI, gas: int = 21_000,
           chain_id: int | None = DEVNET_CHAIN_ID) -> DecodedTransaction:
    """A legacy transaction; ``chain_id=None`` makes it unprotected (pre-EIP-155)."""
    fields: dict[str, Any] = {"nonce": nonce, "gas": gas, "gasPrice": gas_price, "value": 1,
                              "to": RECIPIENT, "data": b""}
    if chain_id is not None:
        fields["chainId"] = chain_id
    return _sign(index, tuple(sorted(fields.items())))


@dataclass
class Accounts:
    """An in-memory AccountReader: every account is rich unless told otherwise."""

    nonces: dict[bytes, int] = field(default_factory=dict)
    balances: dict[bytes, int] = field(default_factory=dict)
    default_balance: int = 10**24

    def nonce(self, address: bytes) -> int:
        return self.nonces.get(address, 0)

    def balance(self, address: bytes) -> int:
        return self.balances.get(address, self.default_balance)
