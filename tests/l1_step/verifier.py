"""The deployed on-chain step verifier and the Python tracer side by side: deploy the parts and
the router on anvil, trace a program with the Python tracer, and ask the verifier for each
step's post-state."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from web3.contract import Contract
from web3.exceptions import ContractLogicError

from ordo.faultproof.tracer import MessageCall, Trace, trace_message_call
from ordo.l1.compiler import compile_contract
from tests.faultproof.corpus import Case
from tests.faultproof.evm_reference import BLOCK, CALLER, TARGET, Account, make_state
from tests.l1_contracts.anvil_chain import ANVIL_CHAIN_ID, AnvilChain

from .routes import ACCOUNT, MPT_SERVICE, PART_NAMES, STORAGE

ROUTER = "step/StepRouter"
STEP_ABI: list[dict[str, Any]] = [{
    "type": "function", "name": "step", "stateMutability": "view",
    "inputs": [{"name": "pre_state", "type": "bytes32"}, {"name": "witness", "type": "bytes"}],
    "outputs": [{"name": "", "type": "bytes32"}],
}]
"""IStepVerifier.vyi: the router and the parts take it in __default__ (their compiled ABI lists
only a fallback), so the callers' ABI names it."""
STEP_GAS = 29_000_000
"""eth_call's gas for a step: an L1 block's worth (a step that needs more is a finding)."""


@dataclass(frozen=True)
class Verifier:
    router: Contract
    parts: dict[int, Contract]
    mpt: Contract


DEPLOY_GAS = 8_000_000
"""A part near the 24,576-byte limit costs about 5.4 M gas to deploy (200 per byte of code plus
its init code as calldata): more than the shared fixture's fixed allowance."""


def deploy_contract(chain: AnvilChain, abi: list[dict[str, Any]], bytecode: bytes,
            *args: object) -> Contract:
    sender = chain.accounts[0]
    factory = chain.w3.eth.contract(abi=abi, bytecode=bytecode)
    transaction = factory.constructor(*args).build_transaction({
        "from": sender.address, "gas": DEPLOY_GAS, "chainId": ANVIL_CHAIN_ID,
        "nonce": chain.w3.eth.get_transaction_count(sender.address, "pending"),
    })
    signed = sender.sign_transaction(transaction)
    receipt = chain.w3.eth.wait_for_transaction_receipt(
        chain.w3.eth.send_raw_transaction(signed.raw_transaction), timeout=30)
    assert receipt["status"] == 1 and receipt["contractAddress"] is not None, receipt
    return chain.w3.eth.contract(address=receipt["contractAddress"], abi=abi)


def deploy_verifier(chain: AnvilChain) -> Verifier:
    compiled = compile_contract(MPT_SERVICE)
    mpt = deploy_contract(chain, compiled.abi, compiled.bytecode)
    parts = {}
    for part, name in PART_NAMES.items():
        compiled = compile_contract(name)
        args = (mpt.address,) if part in (STORAGE, ACCOUNT) else ()
        parts[part] = deploy_contract(chain, compiled.abi + STEP_ABI, compiled.bytecode, *args)
    compiled = compile_contract(ROUTER)
    router = deploy_contract(chain, compiled.abi + STEP_ABI, compiled.bytecode,
                               *(parts[part].address for part in sorted(PART_NAMES)))
    return Verifier(router, parts, mpt)


def trace_case(case: Case) -> Trace:
    """The tracer's steps of a corpus case (tests/faultproof/corpus.py: programs the tracer is
    checked on against py-evm)."""
    accounts = {
        TARGET: Account(balance=1000, code=case.code, storage=case.storage),
        CALLER: Account(balance=10**18),
        **case.others,
    }
    db, root = make_state(accounts)
    call = MessageCall(caller=CALLER, to=TARGET, data=case.data, gas=case.gas,
                       value=case.value, gas_price=case.gas_price, origin=case.origin,
                       is_static=case.is_static)
    return trace_message_call(db, root, BLOCK, call)


def on_chain(verifier: Verifier, pre: bytes, witness: bytes) -> bytes | str:
    """The verifier's post-state commitment, or its revert reason."""
    try:
        result = verifier.router.functions.step(pre, witness).call({"gas": STEP_GAS})
    except ContractLogicError as error:
        return str(error.message).removeprefix("execution reverted: ")
    return bytes(result)


def step_gas(verifier: Verifier, pre: bytes, witness: bytes) -> int:
    """The L1 gas of one step call (eth_estimateGas: calldata and execution)."""
    return int(verifier.router.functions.step(pre, witness).estimate_gas({"gas": STEP_GAS}))
