"""The deployed on-chain step verifier and the Python tracer side by side: deploy the parts and
the router on anvil, trace a program with the Python tracer, and ask the verifier for each
step's post-state."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from eth_utils import to_checksum_address
from web3.contract import Contract
from web3.exceptions import ContractLogicError

from ordo.core.genesis import devnet_genesis
from ordo.faultproof.block_parts import ChainRules
from ordo.faultproof.tracer import MessageCall, Trace, trace_message_call
from ordo.l1.client import L1Client
from ordo.l1.compiler import compile_contract
from ordo.l1.local_account import LocalAccount as OrdoAccount
from ordo.l1.step_verifier_deploy import (
    ROUTER,
    STEP_PARTS,
    StepVerifierDeployment,
    deploy_step_verifier,
)
from tests.faultproof.block_chain import rules_of
from tests.faultproof.corpus import Case
from tests.faultproof.evm_reference import BLOCK, CALLER, TARGET, Account, make_state
from tests.l1_contracts.anvil_chain import AnvilChain

from .routes import MPT_SERVICE, PART_NAMES

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


def deploy_verifier(chain: AnvilChain, rules: ChainRules | None = None,
                    forced_queue: bytes = bytes(20)) -> Verifier:
    """The verifier as ``ordo devnet`` deploys it (``ordo.l1.step_verifier_deploy``), from
    account 0, wrapped as web3 contracts for the tests' calls. Run in a thread of its own so it
    works from async tests too (their loop is running). ``rules`` default to the devnet
    genesis's (no L1, so no queue is read)."""
    chain_rules = rules or rules_of(devnet_genesis())
    url = str(chain.w3.provider.endpoint_uri)
    key = bytes(chain.accounts[0].key)

    async def deploy() -> StepVerifierDeployment:
        async with L1Client(url) as client:
            return await deploy_step_verifier(client, OrdoAccount(client, key), chain_rules,
                                              forced_queue)

    with ThreadPoolExecutor(max_workers=1) as pool:
        deployed = pool.submit(asyncio.run, deploy()).result()

    def contract(address: bytes, abi: list[dict[str, Any]]) -> Contract:
        return chain.w3.eth.contract(address=to_checksum_address(address), abi=abi)

    parts = {part: contract(address, compile_contract(PART_NAMES[part]).abi + STEP_ABI)
             for part, address in zip(sorted(PART_NAMES), deployed.parts, strict=True)}
    assert tuple(PART_NAMES[part] for part in sorted(PART_NAMES)) == STEP_PARTS
    return Verifier(contract(deployed.router, compile_contract(ROUTER).abi + STEP_ABI), parts,
                    contract(deployed.mpt, compile_contract(MPT_SERVICE).abi))


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
