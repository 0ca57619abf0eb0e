"""Whether a one-step verifier decides every kind of step (IStepVerifier.decides_every_step).

A leaf of the dispute game whose step the verifier cannot check (it reverts) is never countered,
so that claim stands by default: with an incomplete verifier a liar who plays the step half down
to such a leaf wins. A deployment therefore refuses an incomplete verifier unless its caller
allows it explicitly (devnets), and whatever runs on one must say so in these words.
"""

from __future__ import annotations

from functools import cache

from ordo.l1.abi_codec import AbiError, ContractAbi
from ordo.l1.client import L1Client
from ordo.l1.contract_handle import ContractHandle
from ordo.l1.rpc_errors import L1RpcError

INCOMPLETE_VERIFIER_NOTE = (
    "the step verifier does not yet decide every step (a transaction's start on a chain with "
    "the L1 data fee, and the few steps the tracer itself refuses, docs/fault_proofs.md 4.6): "
    "a liar who plays the step half down to one can win; honest players win against a liar "
    "who does not play")
"""What a deployment on an incomplete verifier states (ordo status, the devnet manifest, docs)."""


@cache
def completeness_abi() -> ContractAbi:
    """The one view of IStepVerifier.vyi this module reads."""
    return ContractAbi.parse([{"type": "function", "name": "decides_every_step", "inputs": [],
                               "outputs": [{"name": "", "type": "bool"}],
                               "stateMutability": "view"}])


async def decides_every_step(client: L1Client, verifier: bytes) -> bool:
    """The verifier's own answer; False for one that does not answer (it reverts or returns
    something else): a verifier that does not say it is complete is treated as incomplete."""
    handle = ContractHandle(client, verifier, completeness_abi())
    try:
        return await handle.call("decides_every_step") is True
    except (L1RpcError, AbiError):
        return False
