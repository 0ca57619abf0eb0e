"""One real anvil per test module; every test deploys its own queue, inbox double and portal.

The portal and the queue are the production contracts (compiled by compile_contract); the
inbox is InboxDouble.vy, so a test sets output roots, landing times and dispute statuses
directly, and the storage tries behind those roots are built in Python (storage_tries.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from eth_account.signers.local import LocalAccount
from web3.contract import Contract
from web3.contract.contract import ContractFunction
from web3.exceptions import ContractLogicError
from web3.types import TxReceipt

from tests.l1_contracts.anvil_chain import ANVIL_CHAIN_ID, AnvilChain, chain
from tests.l1_inbox.rollup_setup import send_paying

from .storage_tries import Withdrawal, output_proof, output_root

HERE = Path(__file__).resolve().parent
CHALLENGE_WINDOW = 600
MIN_FEE = 10**15
INCLUSION_WINDOW = 10
DISPUTE_NONE, DISPUTE_OPEN, DISPUTE_LOST, DISPUTE_DEFENDED = 0, 1, 2, 3


@cache
def compile_test_contract(name: str) -> tuple[list[dict[str, Any]], bytes]:
    """A test-only Vyper contract of this folder (compile_contract knows only Ordo's own)."""
    import vyper

    output = vyper.compile_code((HERE / f"{name}.vy").read_text(encoding="utf-8"),
                                output_formats=["abi", "bytecode"])
    return list(output["abi"]), bytes.fromhex(str(output["bytecode"]).removeprefix("0x"))


def deploy_test_contract(chain: AnvilChain, name: str, *args: Any,
                         sender: LocalAccount | None = None) -> Contract:
    abi, bytecode = compile_test_contract(name)
    return chain.deploy_code(abi, bytecode, *args, sender=sender)


def send_with_gas(chain: AnvilChain, call: ContractFunction, sender: LocalAccount,
                  gas: int) -> TxReceipt:
    """Send with an exact gas allowance; returns the receipt whatever its status."""
    transaction: Any = call.build_transaction({
        "from": sender.address, "gas": gas, "chainId": ANVIL_CHAIN_ID,
        "nonce": chain.w3.eth.get_transaction_count(sender.address, "pending")})
    signed = sender.sign_transaction(transaction)
    return chain.w3.eth.wait_for_transaction_receipt(
        chain.w3.eth.send_raw_transaction(signed.raw_transaction), timeout=30)


@dataclass
class PortalSetup:
    chain: AnvilChain
    queue: Contract
    inbox: Contract
    portal: Contract

    @property
    def owner(self) -> LocalAccount:
        return self.chain.accounts[0]

    @property
    def relayer(self) -> LocalAccount:
        return self.chain.accounts[7]

    @property
    def depositor(self) -> LocalAccount:
        return self.chain.accounts[5]

    def balance(self, address: str) -> int:
        return int(self.chain.w3.eth.get_balance(address))  # type: ignore[arg-type]

    def deposit(self, amount: int) -> TxReceipt:
        """Deposit `amount` (plus the fee) through the queue; it ends in the portal."""
        return send_paying(self.chain, self.queue.functions.deposit(self.depositor.address),
                           self.depositor, amount + MIN_FEE)

    def land(self, index: int, storage_root: bytes) -> tuple[bytes, bytes, bytes, bytes]:
        """Land batch `index` with the output root of a block whose message passer has
        storage root `storage_root`; returns the OutputRootProof tuple."""
        proof = output_proof(storage_root)
        root = output_root(proof[1], proof[2], proof[3], proof[0])
        self.chain.send(self.inbox.functions.land(index, root), self.owner)
        return proof

    def set_status(self, index: int, status: int) -> None:
        self.chain.send(self.inbox.functions.set_dispute_status(index, status), self.owner)

    def prove_call(self, withdrawal: Withdrawal, index: int,
                   output: Sequence[bytes], proof: Sequence[bytes]) -> ContractFunction:
        return self.portal.functions.prove_withdrawal(withdrawal.as_tuple(), index,
                                                      tuple(output), list(proof))

    def prove(self, withdrawal: Withdrawal, index: int, output: Sequence[bytes],
              proof: Sequence[bytes]) -> TxReceipt:
        return self.chain.send(self.prove_call(withdrawal, index, output, proof), self.relayer)

    def prove_refusal(self, withdrawal: Withdrawal, index: int, output: Sequence[bytes],
                      proof: Sequence[bytes]) -> str:
        return self.chain.revert_reason(self.prove_call(withdrawal, index, output, proof),
                                        self.relayer)

    def finalize_call(self, withdrawal: Withdrawal) -> ContractFunction:
        return self.portal.functions.finalize_withdrawal(withdrawal.as_tuple())

    def finalize(self, withdrawal: Withdrawal) -> TxReceipt:
        return self.chain.send(self.finalize_call(withdrawal), self.relayer)

    def finalize_refusal(self, withdrawal: Withdrawal) -> str:
        return self.chain.revert_reason(self.finalize_call(withdrawal), self.relayer)

    def finalized(self, withdrawal: Withdrawal) -> bool:
        return bool(self.portal.functions.finalized_withdrawals(withdrawal.hash).call())


def deploy_portal_setup(chain: AnvilChain) -> PortalSetup:
    owner = chain.accounts[0]
    queue = chain.deploy("ForcedInclusionQueue", INCLUSION_WINDOW, MIN_FEE,
                         chain.accounts[9].address, sender=owner)
    inbox = deploy_test_contract(chain, "InboxDouble", queue.address, CHALLENGE_WINDOW,
                                 sender=owner)
    portal = chain.deploy("WithdrawalPortal", inbox.address, queue.address, sender=owner)
    chain.send(queue.functions.set_portal(portal.address), owner)
    return PortalSetup(chain, queue, inbox, portal)


def call_reason(chain: AnvilChain, call: ContractFunction, sender: LocalAccount,
                gas: int) -> str | None:
    """The revert reason of `call` run with exactly `gas`, or None when it succeeds."""
    try:
        call.call({"from": sender.address, "gas": gas})
    except ContractLogicError as error:
        return str(error.message).removeprefix("execution reverted: ")
    return None


@pytest.fixture
def setup(chain: AnvilChain) -> PortalSetup:
    return deploy_portal_setup(chain)

__all__ = ["chain"]
