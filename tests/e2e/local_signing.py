"""Client-side signing: how a wallet talks to a sequencer that holds no user keys.

Every transaction the end-to-end tests send is signed here with eth_account and submitted with
eth_sendRawTransaction, exactly as a dapp or wallet would.
"""

from __future__ import annotations

import time
from typing import Any, cast

from eth_account.signers.local import LocalAccount
from hexbytes import HexBytes
from web3 import Web3
from web3.types import TxParams, TxReceipt

GWEI = 10**9
DEFAULT_TIP = GWEI
RECEIPT_TIMEOUT_S = 60.0


def base_fee(w3: Web3) -> int:
    return int(w3.eth.get_block("latest")["baseFeePerGas"])


def dynamic_fees(w3: Web3, tip: int = DEFAULT_TIP) -> dict[str, int]:
    """Fee fields that stay valid for several blocks of rising base fee."""
    return {"maxPriorityFeePerGas": tip, "maxFeePerGas": 2 * base_fee(w3) + tip}


def sign_transaction(w3: Web3, account: LocalAccount, fields: dict[str, Any]) -> bytes:
    """Complete missing fields (chain id, nonce, fees, gas) and sign; the raw bytes."""
    tx: dict[str, Any] = {"chainId": w3.eth.chain_id, "value": 0, **fields}
    if "nonce" not in tx:
        tx["nonce"] = w3.eth.get_transaction_count(account.address, "pending")
    if "gasPrice" not in tx and "maxFeePerGas" not in tx:
        tx.update(dynamic_fees(w3))
    if "gas" not in tx:
        estimate: dict[str, Any] = {k: v for k, v in tx.items() if k in ("to", "data", "value")}
        tx["gas"] = w3.eth.estimate_gas(cast(TxParams, {"from": account.address, **estimate}))
    return bytes(account.sign_transaction(tx).raw_transaction)


def send_signed(w3: Web3, account: LocalAccount, fields: dict[str, Any]) -> HexBytes:
    """Sign locally and submit with eth_sendRawTransaction; the hash the node acknowledged."""
    return w3.eth.send_raw_transaction(sign_transaction(w3, account, fields))


def wait_for_receipt(w3: Web3, tx_hash: bytes, timeout: float = RECEIPT_TIMEOUT_S) -> TxReceipt:
    return w3.eth.wait_for_transaction_receipt(HexBytes(tx_hash), timeout=timeout,
                                               poll_latency=0.1)


def transact(w3: Web3, account: LocalAccount, fields: dict[str, Any]) -> TxReceipt:
    """Send and wait until mined; a failed (status 0) transaction is an error here."""
    receipt = wait_for_receipt(w3, send_signed(w3, account, fields))
    if receipt["status"] != 1:
        raise AssertionError(f"transaction failed: {receipt}")
    return receipt


def wait_for_block_after(w3: Web3, number: int, timeout: float = 30.0) -> int:
    """Wait until the chain is past block ``number``; the new head number."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        head = w3.eth.block_number
        if head > number:
            return head
        time.sleep(0.1)
    raise AssertionError(f"no block after {number} within {timeout} s")
