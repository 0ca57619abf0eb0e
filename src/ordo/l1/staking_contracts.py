"""The governance token and locking pool ABIs, parsed once, and handles bound to a deployment.

The ABI comes from the compiler's cache, so a node reading the pool does not load the Vyper
compiler once the contracts have been compiled on that machine.
"""

from __future__ import annotations

from functools import cache

from ordo.l1.abi_codec import ContractAbi
from ordo.l1.client import L1Client
from ordo.l1.compiler import compile_contract
from ordo.l1.contract_handle import ContractHandle


@cache
def token_abi() -> ContractAbi:
    return ContractAbi.parse(compile_contract("GovernanceToken").abi)


@cache
def pool_abi() -> ContractAbi:
    return ContractAbi.parse(compile_contract("LockingPool").abi)


def token_at(client: L1Client, address: bytes) -> ContractHandle:
    return ContractHandle(client, address, token_abi())


def pool_at(client: L1Client, address: bytes) -> ContractHandle:
    return ContractHandle(client, address, pool_abi())
