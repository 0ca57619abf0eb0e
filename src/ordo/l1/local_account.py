"""An L1 account whose key is held locally: builds, signs and sends EIP-1559 transactions.

The nonce comes from the node's pending count each time (so a restart, or another process
sending from the same key, never makes us reuse or skip a nonce), but never below the last nonce
this process used, so that a node slow to count our previous transaction cannot make us send two
transactions with one nonce.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from eth_account import Account
from eth_utils import to_checksum_address

from ordo.core.call import CallRequest
from ordo.l1.client import L1Client
from ordo.l1.fee_suggestion import FeeSuggestion
from ordo.l1.rpc_errors import L1RpcError

GAS_MARGIN_NUMERATOR = 5
GAS_MARGIN_DENOMINATOR = 4
"""Gas limit = estimate * 5/4: state may change between estimate and inclusion."""
NONCE_RETRIES = 2


@dataclass(frozen=True)
class SentTransaction:
    tx_hash: bytes
    nonce: int
    gas: int
    fees: FeeSuggestion


class LocalAccount:
    def __init__(self, client: L1Client, private_key: bytes) -> None:
        if len(private_key) != 32:
            raise ValueError("private key must be 32 bytes")
        self.client = client
        self._key = private_key
        self.address = bytes.fromhex(Account.from_key(private_key).address[2:])
        self._lock = asyncio.Lock()
        self._last_nonce: int | None = None

    async def send_transaction(self, to: bytes | None, data: bytes = b"", value: int = 0,
                               gas: int | None = None,
                               fees: FeeSuggestion | None = None) -> SentTransaction:
        """Sign and submit; ``to=None`` deploys ``data`` as init code. Raises L1RpcError
        (a revert found by gas estimation carries its reason)."""
        if to is not None and len(to) != 20:
            raise ValueError(f"to: 0x{to.hex()} is not a 20-byte address")
        if value < 0:
            raise ValueError(f"value: {value} is negative")
        if gas is None:
            estimate = await self.client.estimate_gas(
                CallRequest(sender=self.address, to=to, value=value, data=data))
            gas = estimate * GAS_MARGIN_NUMERATOR // GAS_MARGIN_DENOMINATOR
        if fees is None:
            fees = await self.client.suggest_fees()
        chain_id = await self.client.chain_id()
        async with self._lock:
            for attempt in range(NONCE_RETRIES + 1):
                nonce = await self._next_nonce()
                transaction = {
                    "type": 2, "chainId": chain_id, "nonce": nonce, "gas": gas,
                    "maxFeePerGas": fees.max_fee_per_gas,
                    "maxPriorityFeePerGas": fees.max_priority_fee_per_gas,
                    "value": value, "data": data,
                }
                if to is not None:
                    transaction["to"] = to_checksum_address(to)
                raw = bytes(Account.sign_transaction(transaction, self._key).raw_transaction)
                try:
                    tx_hash = await self.client.send_raw_transaction(raw)
                except L1RpcError as error:
                    if "nonce too low" in error.message.lower() and attempt < NONCE_RETRIES:
                        # Someone else used it (another process on this key): count again.
                        self._last_nonce = nonce
                        continue
                    # The node did not take it: its nonce is free again.
                    self._last_nonce = None if self._last_nonce is None else \
                        min(self._last_nonce, nonce - 1)
                    raise
                self._last_nonce = nonce
                return SentTransaction(tx_hash, nonce, gas, fees)
        raise AssertionError("unreachable")

    async def _next_nonce(self) -> int:
        pending = await self.client.get_transaction_count(self.address, "pending")
        if self._last_nonce is None:
            return pending
        return max(pending, self._last_nonce + 1)
