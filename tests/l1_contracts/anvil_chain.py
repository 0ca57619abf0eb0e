"""A real anvil for the contract tests, and the few verbs the tests need: deploy, send, expect a
revert, move time.

Transactions are signed locally with anvil's dev accounts and sent with a fixed gas allowance, so
a test sees the real receipt (gas used, logs, status) of every call it makes; a revert is checked
with eth_call, which returns the contract's reason string.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from eth_account import Account
from eth_account.signers.local import LocalAccount
from web3 import Web3
from web3.contract import Contract
from web3.contract.contract import ContractFunction
from web3.exceptions import ContractLogicError
from web3.types import RPCEndpoint, TxReceipt

from ordo.l1.compiler import compile_contract
from tests.l1.l1_process import ANVIL_CHAIN_ID, l1_process

ANVIL_MNEMONIC = "test test test test test test test test test test test junk"
ACCOUNT_COUNT = 10
TX_GAS = 6_000_000
"""Enough to deploy a contract at the 24,576-byte code limit (about 5.4 M gas)."""


def _dev_accounts() -> list[LocalAccount]:
    Account.enable_unaudited_hdwallet_features()
    return [
        Account.from_mnemonic(ANVIL_MNEMONIC, account_path=f"m/44'/60'/0'/0/{index}")
        for index in range(ACCOUNT_COUNT)
    ]


class TransactionFailed(AssertionError):
    """A transaction a test expected to succeed was mined with status 0."""


class AnvilChain:
    def __init__(self, w3: Web3, accounts: list[LocalAccount]) -> None:
        self.w3 = w3
        self.accounts = accounts

    def deploy(self, name: str, *args: Any, sender: LocalAccount | None = None) -> Contract:
        compiled = compile_contract(name)
        return self.deploy_code(compiled.abi, compiled.bytecode, *args, sender=sender)

    def deploy_code(self, abi: list[dict[str, Any]], bytecode: bytes, *args: Any,
                    sender: LocalAccount | None = None) -> Contract:
        factory = self.w3.eth.contract(abi=abi, bytecode=bytecode)
        receipt = self._send(factory.constructor(*args), sender or self.accounts[0])
        address = receipt["contractAddress"]
        assert address is not None
        return self.w3.eth.contract(address=address, abi=abi)

    def deploy_revert_reason(self, name: str, *args: Any) -> str:
        compiled = compile_contract(name)
        factory = self.w3.eth.contract(abi=compiled.abi, bytecode=compiled.bytecode)
        data = factory.constructor(*args).data_in_transaction
        try:
            self.w3.eth.call({"from": self.accounts[0].address, "data": data})
        except ContractLogicError as error:
            return _reason(error)
        raise AssertionError(f"deploying {name} did not revert")

    def send(self, call: ContractFunction, sender: LocalAccount) -> TxReceipt:
        return self._send(call, sender)

    def _send(self, call: Any, sender: LocalAccount) -> TxReceipt:
        transaction = call.build_transaction(
            {
                "from": sender.address,
                "nonce": self.w3.eth.get_transaction_count(sender.address, "pending"),
                "gas": TX_GAS,
                "chainId": ANVIL_CHAIN_ID,
            }
        )
        signed = sender.sign_transaction(transaction)
        tx_hash = self.w3.eth.send_raw_transaction(signed.raw_transaction)
        receipt = self.w3.eth.wait_for_transaction_receipt(tx_hash, timeout=30)
        if receipt["status"] != 1:
            raise TransactionFailed(f"transaction {tx_hash.hex()} reverted")
        return receipt

    def revert_reason(self, call: ContractFunction, sender: LocalAccount) -> str:
        try:
            call.call({"from": sender.address})
        except ContractLogicError as error:
            return _reason(error)
        raise AssertionError("the call did not revert")

    def increase_time(self, seconds: int) -> None:
        self.w3.provider.make_request(RPCEndpoint("evm_increaseTime"), [seconds])
        self.w3.provider.make_request(RPCEndpoint("evm_mine"), [])

    def set_balance(self, address: str, wei: int) -> None:
        self.w3.provider.make_request(RPCEndpoint("anvil_setBalance"), [address, hex(wei)])

    def timestamp(self) -> int:
        return int(self.w3.eth.get_block("latest")["timestamp"])


def _reason(error: ContractLogicError) -> str:
    return str(error.message).removeprefix("execution reverted: ")


@contextlib.contextmanager
def running_anvil(log_path: Path) -> Iterator[AnvilChain]:
    """anvil (Prague) on a leased port in its own process group, killed with it on exit."""
    with l1_process("anvil", extra=("--hardfork", "prague"), log=log_path) as l1:
        w3 = Web3(Web3.HTTPProvider(l1.url, request_kwargs={"timeout": 30}))
        yield AnvilChain(w3, _dev_accounts())


@pytest.fixture(scope="module")
def chain(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AnvilChain]:
    """One real anvil per test module (each test deploys its own contracts on it); the conftests
    of the L1 test folders take this one fixture."""
    with running_anvil(tmp_path_factory.mktemp("anvil") / "anvil.log") as started:
        yield started
