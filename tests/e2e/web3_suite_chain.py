"""The chain state web3.py's own module tests expect, built on a running node by local signing.

web3.py's integration suite runs against a geth data dir prepared by its generate_fixtures script:
a keyfile account that deployed the Math, Emitter, Revert, OffchainLookup, PanicErrors and
Storage contracts, a block whose first transaction emitted one log, an empty block and a block
with a plain transfer. This module reproduces that state with transactions a wallet would send.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from eth_account.signers.local import LocalAccount
from eth_utils import to_checksum_address
from hexbytes import HexBytes
from web3 import Web3
from web3._utils.contract_sources.contract_data._custom_contract_data import EMITTER_ENUM
from web3._utils.contract_sources.contract_data.emitter_contract import EMITTER_CONTRACT_DATA
from web3._utils.contract_sources.contract_data.math_contract import MATH_CONTRACT_DATA
from web3._utils.contract_sources.contract_data.offchain_lookup import OFFCHAIN_LOOKUP_DATA
from web3._utils.contract_sources.contract_data.panic_errors_contract import (
    PANIC_ERRORS_CONTRACT_DATA,
)
from web3._utils.contract_sources.contract_data.revert_contract import REVERT_CONTRACT_DATA
from web3._utils.contract_sources.contract_data.storage_contract import STORAGE_CONTRACT_DATA
from web3.types import BlockData, TxReceipt

from .local_signing import dynamic_fees, transact, wait_for_receipt

KEYFILE_ACCOUNT_FUNDS = 1_000 * 10**18
EMPTY_BLOCK_TIMEOUT_S = 30.0
DEPLOY_GAS = 3_000_000
REVERTING_CALL_GAS = 320_000

CONTRACT_DATA: dict[str, dict[str, Any]] = {
    "math": MATH_CONTRACT_DATA,
    "emitter": EMITTER_CONTRACT_DATA,
    "revert": REVERT_CONTRACT_DATA,
    "offchain_lookup": OFFCHAIN_LOOKUP_DATA,
    "panic_errors": PANIC_ERRORS_CONTRACT_DATA,
    "storage": STORAGE_CONTRACT_DATA,
}


@dataclass(frozen=True)
class Web3SuiteChain:
    """Addresses and hashes the web3.py module tests look up (geth_fixture_data's content)."""

    contract_addresses: dict[str, str]
    math_deploy_txn_hash: HexBytes
    txn_hash_with_log: HexBytes
    block_hash_with_log: HexBytes
    empty_block_hash: HexBytes
    mined_txn_hash: HexBytes
    block_with_txn_hash: HexBytes


def _send_all(w3: Web3, sender: LocalAccount, txs: list[dict[str, Any]]) -> list[TxReceipt]:
    """Submit with consecutive nonces without waiting in between, then wait for every receipt."""
    nonce = w3.eth.get_transaction_count(sender.address, "pending")
    fees = dynamic_fees(w3)
    hashes = []
    for offset, fields in enumerate(txs):
        tx = {"chainId": w3.eth.chain_id, "value": 0, "nonce": nonce + offset, **fees, **fields}
        hashes.append(w3.eth.send_raw_transaction(sender.sign_transaction(tx).raw_transaction))
    return [wait_for_receipt(w3, tx_hash) for tx_hash in hashes]


def _wait_for_empty_block(w3: Web3, after: int) -> BlockData:
    deadline = time.monotonic() + EMPTY_BLOCK_TIMEOUT_S
    number = after + 1
    while time.monotonic() < deadline:
        block = w3.eth.get_block(number) if number <= w3.eth.block_number else None
        if block is None:
            time.sleep(0.1)
            continue
        if not block["transactions"]:
            return block
        number += 1
    raise AssertionError(f"no empty block after {after} within {EMPTY_BLOCK_TIMEOUT_S} s")


def build_web3_suite_chain(w3: Web3, funder: LocalAccount, keyfile: LocalAccount) -> Web3SuiteChain:
    transact(w3, funder, {"to": keyfile.address, "value": KEYFILE_ACCOUNT_FUNDS, "gas": 21_000})

    names = list(CONTRACT_DATA)
    deployments = _send_all(w3, keyfile, [
        {"data": CONTRACT_DATA[name]["bytecode"], "gas": DEPLOY_GAS} for name in names
    ])
    addresses: dict[str, str] = {}
    for name, receipt in zip(names, deployments, strict=True):
        assert receipt["status"] == 1, f"deploying {name} failed"
        address = receipt["contractAddress"]
        assert address is not None
        addresses[name] = address

    # Alone in its block, so it is transaction 0 there, as web3's tests expect.
    emitter = w3.eth.contract(address=to_checksum_address(addresses["emitter"]),
                              abi=CONTRACT_DATA["emitter"]["abi"])
    log_data = emitter.encode_abi(
        "logDouble", [EMITTER_ENUM["LogDoubleWithIndex"], 12345, 54321]
    )
    (log_receipt,) = _send_all(w3, keyfile, [{"to": emitter.address, "data": log_data,
                                              "gas": 100_000}])
    assert log_receipt["status"] == 1 and len(log_receipt["logs"]) == 1

    revert = w3.eth.contract(address=to_checksum_address(addresses["revert"]),
                             abi=CONTRACT_DATA["revert"]["abi"])
    _send_all(w3, keyfile, [
        {"to": revert.address, "data": revert.encode_abi(name), "gas": REVERTING_CALL_GAS}
        for name in ("normalFunction", "revertWithMessage", "revertWithoutMessage")
    ])

    empty_block = _wait_for_empty_block(w3, w3.eth.block_number)

    (mined,) = _send_all(w3, keyfile, [{"to": keyfile.address, "value": 1, "gas": 21_000}])
    return Web3SuiteChain(
        contract_addresses=addresses,
        math_deploy_txn_hash=HexBytes(deployments[0]["transactionHash"]),
        txn_hash_with_log=HexBytes(log_receipt["transactionHash"]),
        block_hash_with_log=HexBytes(log_receipt["blockHash"]),
        empty_block_hash=HexBytes(empty_block["hash"]),
        mined_txn_hash=HexBytes(mined["transactionHash"]),
        block_with_txn_hash=HexBytes(mined["blockHash"]),
    )
