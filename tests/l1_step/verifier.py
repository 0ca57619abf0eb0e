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
from tests.l1_contracts.anvil_chain import AnvilChain

from .routes import ARITH, COPY, FLOW, MEMORY, PART_NAMES

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


def deploy_verifier(chain: AnvilChain) -> Verifier:
    parts = {}
    for part, name in PART_NAMES.items():
        compiled = compile_contract(name)
        parts[part] = chain.deploy_code(compiled.abi + STEP_ABI, compiled.bytecode)
    compiled = compile_contract(ROUTER)
    router = chain.deploy_code(compiled.abi + STEP_ABI, compiled.bytecode, parts[FLOW].address,
                               parts[ARITH].address, parts[MEMORY].address, parts[COPY].address)
    return Verifier(router, parts)


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
