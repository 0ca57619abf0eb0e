"""Token calls that fail: a token that returns False instead of reverting, and the governance
token's own refusals."""

from __future__ import annotations

from pathlib import Path

import vyper

from .anvil_chain import AnvilChain
from .ordo_votes import signer_address, validator_key
from .pool_deployment import MIN_LOCK, PoolDeployment, PoolParameters

FALSE_TOKEN_SOURCE = Path(__file__).with_name("FalseToken.vy")


def test_a_token_returning_false_is_a_failed_transfer(chain: AnvilChain) -> None:
    output = vyper.compile_code(FALSE_TOKEN_SOURCE.read_text(), output_formats=["abi", "bytecode"])
    false_token = chain.deploy_code(output["abi"], bytes.fromhex(output["bytecode"][2:]))
    pool = chain.deploy("LockingPool", *PoolParameters().constructor_args(false_token.address))
    alice = chain.accounts[1]
    signer = signer_address(validator_key(1))
    assert chain.revert_reason(pool.functions.lock(MIN_LOCK, signer), alice) == (
        "LockingPool: token transfer failed"
    )
    assert chain.revert_reason(pool.functions.fund_reserve(1), alice) == (
        "LockingPool: token transfer failed"
    )


def test_governance_token_refuses_the_zero_address(deployment: PoolDeployment) -> None:
    alice = deployment.account(1)
    deployment.chain.send(deployment.token.functions.mint(alice.address, 5), deployment.owner)
    zero = "0x" + "00" * 20
    assert deployment.chain.revert_reason(deployment.token.functions.transfer(zero, 1), alice) == (
        "GovernanceToken: transfer to the zero address"
    )
